"""The community's records: `export` for managers (a file, sent privately),
and erasing personal data — `forget @member` by a manager, `me forget` by
the member themself (after confirming)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from bot.commands.args import TextArg
from bot.commands.registry import Args, Context, Response, command
from bot.domain import CommunityInfo, MemberInfo, Role
from bot.exportfile import as_zip
from bot.messages import count, say, say_text, typed_command
from bot.outgoing import Attachment, DirectNotice
from bot.ports import Directory, Records
from bot.refusal import Refusal
from bot.richtext import Document, document
from bot.services.events import EventsService
from bot.services.people import PeopleService
from bot.timefmt import local

CONFIRM_WORDS = frozenset({"confirm", "yes", "bevestig", "ja"})


def export_stem(community: CommunityInfo, day: str) -> str:
    """``kenniscafe-export-2026-12-01``: the export's file name, without extension."""
    plain = unicodedata.normalize("NFKD", community.name.casefold()).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "community"
    return f"{slug}-export-{day}"


class RecordsService:
    """`export`, `forget` and `me forget`."""

    def __init__(self, records: Records, directory: Directory, people: PeopleService, events: EventsService,
                 communities: Mapping[int, CommunityInfo]) -> None:
        self.records = records
        self.directory = directory
        self.people = people
        self.events = events
        self.communities = communities

    @command("export", role=Role.MANAGER)
    async def export(self, ctx: Context, args: Args) -> Response:
        """The community's data as JSON and CSV, sent to you privately as a zip file."""
        data = await self.records.export(ctx.community.id)
        stem = export_stem(ctx.community, local(ctx.now, ctx.community.timezone).date().isoformat())
        file = Attachment(f"{stem}.zip", as_zip(data, stem), "application/zip")

        def described(lang: str) -> Document:
            return document(say(lang, "export.file", community=ctx.community.name,
                                members=count(lang, "member", len(data["members"])),
                                posts=count(lang, "post", len(data["posts"])),
                                tables=count(lang, "table", len(data["events"]))))

        notice = DirectNotice(ctx.member.id, described, attachment=file)
        return Response(document(say(ctx.language, "export.sent")), private=True, notices=(notice,))

    @command("forget", TextArg("member"), role=Role.MANAGER)
    async def forget(self, ctx: Context, args: Args) -> Response:
        """Erase a member's personal data; their posts stay, from "a former member"."""
        member = await self.people.known(ctx, str(args.get("member")))
        notices = await self._erase(ctx, member)
        return Response(document(say(ctx.language, "forget.done", name=member.display_name)), notices=notices)

    @command("me forget", TextArg("confirm", optional=True, shown="[confirm]"))
    async def forget_me(self, ctx: Context, args: Args) -> Response:
        """Erase your personal data (profile, accounts, settings); your posts stay, from "a former member"."""
        if str(args.get("confirm")).casefold() not in CONFIRM_WORDS:
            return Response(document(say(ctx.language, "forget.confirm",
                                         command=typed_command(ctx.language, ctx.prefix, "me forget", say_text(ctx.language, "term.confirm")))))
        notices = await self._erase(ctx, ctx.member)
        return Response(document(say(ctx.language, "forget.self_done")), notices=notices)

    async def _erase(self, ctx: Context, member: MemberInfo) -> tuple[DirectNotice, ...]:
        if member.role == Role.MANAGER:
            managers = [m for m in await self.directory.staff(ctx.community.id) if m.role == Role.MANAGER]
            if len(managers) <= 1:
                raise Refusal("forget.last_manager")
        # Stored as the name everyone sees: in the community's language.
        former = say_text(ctx.community.language, "member.former")
        promotions = await self.records.forget(member.id, former, ctx.now)
        self.directory.forget_cached()
        return tuple(await self.events.notices_for_promotions(self.communities, promotions, ctx.now))
