"""`help`: the command list and per-command usage, generated from the registry."""

from __future__ import annotations

from bot.commands.args import TextArg
from bot.commands.registry import Args, Context, Registry, Response, command
from bot.domain import Role
from bot.messages import say, say_text
from bot.richtext import BulletList, Code, Paragraph, Text, document, inlines


class HelpService:
    """Explains the commands of whatever registry it is given."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @command("help", TextArg("command", optional=True), aliases=("hulp",))
    async def help(self, ctx: Context, args: Args) -> Response:
        """All commands with a line each, or one command in full."""
        wanted: str = args.get("command").lower().lstrip("!/")
        if wanted.startswith(ctx.prefix.lstrip("!/")):
            wanted = wanted[len(ctx.prefix.lstrip("!/")) :].strip()
        if wanted:
            cmd, _ = self.registry.lookup(wanted.split())
            if cmd is None:
                suggestion = self.registry.closest(wanted.split()[0])
                help_code = Code(f"{ctx.prefix} help")
                if suggestion:
                    return Response(document(say(ctx.language, "error.unknown_verb", verb=wanted,
                                                 suggestion=Code(suggestion), help=help_code)))
                return Response(document(say(ctx.language, "error.unknown_verb_no_suggestion",
                                             verb=wanted, help=help_code)))
            lines = [Paragraph((Code(cmd.usage(ctx.prefix)), Text(" — " + say_text(ctx.language, cmd.spec.help_key))))]
            if cmd.spec.aliases:
                lines.append(Paragraph(say(ctx.language, "help.aliases", aliases=", ".join(cmd.spec.aliases))))
            if cmd.spec.role > Role.MEMBER:
                role = say_text(ctx.language, f"role.{cmd.spec.role.label}")
                lines.append(Paragraph(say(ctx.language, "help.for_role", role=role)))
            return Response(document(*lines))
        items = tuple(
            inlines(Code(f"{c.name} {' '.join(a.usage() for a in c.spec.args)}".strip()),
                    " — " + say_text(ctx.language, c.spec.help_key))
            for c in self.registry.commands
        )
        header = say(ctx.language, "help.header", prefix=Code(ctx.prefix), help_verb=Code(f"{ctx.prefix} help <command>"))
        hint = say(ctx.language, "help.console_hint", save=Code(f"{ctx.prefix} save"))
        return Response(document(header, BulletList(items), hint))
