"""Linking identities: one person on Matrix and on Slack becomes one member.

`link` gives a one-time code (for the asker's eyes only, valid ten minutes,
single use); typing `link CODE` on the other platform makes both identities
one member — posts, reactions, sign-ups, roles and profile merged without
duplicates. Wrong codes are limited per member, so codes cannot be guessed.
`unlink` gives the identity it is typed from a member of its own again.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.commands.args import TextArg
from bot.commands.registry import Args, Context, Response, command
from bot.domain import CommunityInfo
from bot.messages import platform_name, say, typed_command
from bot.ports import Directory, Linking
from bot.refusal import Refusal
from bot.richtext import Code, document
from bot.services.events import EventsService

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
CODE_VALID = timedelta(minutes=10)
WRONG_CODES = 5  # per member within CODE_VALID


def normalize_code(text: str) -> str:
    """``abcd-efgh`` → ``ABCDEFGH``: what people type back, forgiving."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


@dataclass
class _Tries:
    """Wrong codes per member, recently."""

    wrong: dict[int, list[datetime]] = field(default_factory=dict)

    def blocked(self, member_id: int, now: datetime) -> bool:
        recent = [at for at in self.wrong.get(member_id, []) if now - at < CODE_VALID]
        self.wrong[member_id] = recent
        return len(recent) >= WRONG_CODES

    def failed(self, member_id: int, now: datetime) -> None:
        self.wrong.setdefault(member_id, []).append(now)


class LinkingService:
    """`link` and `unlink`."""

    def __init__(self, linking: Linking, directory: Directory, events: EventsService,
                 communities: Mapping[int, CommunityInfo]) -> None:
        self.linking = linking
        self.directory = directory
        self.events = events
        self.communities = communities
        self._tries = _Tries()

    @command("link", TextArg("code", optional=True))
    async def link(self, ctx: Context, args: Args) -> Response:
        """Link your Matrix and Slack accounts: a code here, typed there."""
        typed = normalize_code(str(args.get("code")))
        if not typed:
            return await self._new_code(ctx)
        now, member = ctx.now, ctx.member
        if self._tries.blocked(member.id, now):
            raise Refusal("link.too_many")
        taken = await self.linking.take_code(typed, now)
        if taken is None:
            self._tries.failed(member.id, now)
            raise Refusal("link.unknown", new=typed_command(ctx.language, ctx.prefix, "link"))
        other_id, platform = taken
        if other_id == member.id:
            raise Refusal("link.same", platform=platform_name(ctx.language, platform))
        keep, merged = sorted((other_id, member.id))
        promotions = await self.linking.merge(keep, merged, now)
        self.directory.forget_cached()
        notices = await self.events.notices_for_promotions(self.communities, promotions, now)
        here = platform_name(ctx.language, ctx.message.sender.platform)
        there = platform_name(ctx.language, platform)
        return Response(document(say(ctx.language, "link.done", here=here, there=there)), notices=tuple(notices))

    @command("unlink")
    async def unlink(self, ctx: Context, args: Args) -> Response:
        """Make this account a member of its own again."""
        sender = ctx.message.sender
        if await self.linking.split(sender.platform, sender.user_id, sender.display_name, ctx.now) is None:
            raise Refusal("link.not_linked")
        self.directory.forget_cached()
        here = platform_name(ctx.language, sender.platform)
        return Response(document(say(ctx.language, "link.undone", here=here)))

    async def _new_code(self, ctx: Context) -> Response:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        await self.linking.add_code(code, ctx.member.id, ctx.message.sender.platform, ctx.now, ctx.now + CODE_VALID)
        shown = f"{code[:4]}-{code[4:]}"
        return Response(document(say(ctx.language, "link.code", code=Code(shown),
                                     command=typed_command(ctx.language, ctx.prefix, "link", shown))), private=True)
