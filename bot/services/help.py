"""`help`: the command list and per-command usage, generated from the registry."""

from __future__ import annotations

from bot.commands.args import TextArg
from bot.commands.registry import Args, Context, Registry, Response, command
from bot.domain import Role
from bot.messages import localized_usage, say, say_text, typed_command, verb
from bot.richtext import BulletList, Code, Paragraph, Text, document, inlines


class HelpService:
    """Explains the commands of whatever registry it is given."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @command("help", TextArg("command", optional=True))
    async def help(self, ctx: Context, args: Args) -> Response:
        """All commands with a line each, or one command in full."""
        wanted: str = args.get("command").lower().lstrip("!/")
        if wanted.startswith(ctx.prefix.lstrip("!/")):
            wanted = wanted[len(ctx.prefix.lstrip("!/")) :].strip()
        if wanted:
            return self._one(ctx, wanted)
        items = tuple(
            inlines(Code(" ".join(c.shape(ctx.language))), " — " + say_text(ctx.language, c.spec.help_key))
            for c in self.registry.commands
        )
        header = say(ctx.language, "help.header", prefix=Code(ctx.prefix),
                     help_verb=typed_command(ctx.language, ctx.prefix, "help",
                                             localized_usage(ctx.language, "<command>")))
        hint = say(ctx.language, "help.console_hint", save=typed_command(ctx.language, ctx.prefix, "save"))
        return Response(document(header, BulletList(items), hint))

    def _one(self, ctx: Context, wanted: str) -> Response:
        """One command in full: usage, what it does, an example, and who may
        use it — all in the reader's language (the verbs of the other
        languages work too, but would only clutter the answer)."""
        lang = ctx.language
        cmd, _ = self.registry.lookup(wanted.split())
        if cmd is None:
            suggestion = self.registry.closest(wanted.split()[0])
            help_code = typed_command(lang, ctx.prefix, "help")
            if suggestion:
                return Response(document(say(lang, "error.unknown_verb", verb=wanted[:40],
                                             suggestion=Code(verb(lang, suggestion.name)), help=help_code)))
            return Response(document(say(lang, "error.unknown_verb_no_suggestion", verb=wanted[:40], help=help_code)))
        lines = [
            Paragraph((Code(cmd.usage(ctx.prefix, lang)), Text(" — " + say_text(lang, cmd.spec.help_key)))),
            Paragraph(say(lang, "help.example", example=Code(f"{ctx.prefix} {say_text(lang, cmd.spec.example_key)}"))),
        ]
        if cmd.spec.role > Role.MEMBER:
            lines.append(Paragraph(say(lang, "help.for_role", role=say_text(lang, f"role.{cmd.spec.role.label}"))))
        return Response(document(*lines))
