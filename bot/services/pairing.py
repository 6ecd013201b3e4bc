"""Coffee pairing: members who opt in are introduced to each other, round
after round, preferring shared interests and people they have not met."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from bot.commands.registry import Args, Context, Response, command
from bot.domain import CommunityInfo, Participant
from bot.messages import say, say_text, typed_command
from bot.outgoing import DirectNotice
from bot.pairing import Group, group_members
from bot.ports import Pairing
from bot.richtext import Document, document
from bot.services.reminders import Send
from bot.timefmt import format_when, latest_weekly_moment

# A round whose moment passed while the bot was down is still held this long after.
ROUND_GRACE = timedelta(hours=12)
_FIRST_MONDAY = date(1970, 1, 5)


def round_moment(community: CommunityInfo, now: datetime) -> datetime | None:
    """The most recent round moment at or before ``now``: the community's
    pairing weekday and time, in the weeks the schedule holds rounds."""
    if community.pairing_weekday is None or community.pairing_time is None:
        return None
    moment = latest_weekly_moment(community.pairing_weekday, community.pairing_time, community.timezone, now)
    for _ in range(community.pairing_weeks):
        if _week_number(moment) % community.pairing_weeks == 0:
            return moment
        moment = latest_weekly_moment(community.pairing_weekday, community.pairing_time, community.timezone,
                                      moment - timedelta(minutes=1))
    return None


def _week_number(moment: datetime) -> int:
    return (moment.date() - _FIRST_MONDAY).days // 7


class PairingService:
    """`pair on`, `pair off`, `pair status`, and the rounds."""

    def __init__(self, pairing: Pairing) -> None:
        self.pairing = pairing

    @command("pair on")
    async def pair_on(self, ctx: Context, args: Args) -> Response:
        """Take part in coffee pairing."""
        await self.pairing.set_opt_in(ctx.member.id, True)
        return Response(document(say(ctx.language, "pair.on", weeks=ctx.community.pairing_weeks,
                                     off=typed_command(ctx.language, ctx.prefix, "pair off"))))

    @command("pair off")
    async def pair_off(self, ctx: Context, args: Args) -> Response:
        """Stop taking part in coffee pairing."""
        await self.pairing.set_opt_in(ctx.member.id, False)
        return Response(document(say(ctx.language, "pair.off", on=typed_command(ctx.language, ctx.prefix, "pair on"))))

    @command("pair status", aliases=("pair", "koppel"))
    async def status(self, ctx: Context, args: Args) -> Response:
        """Whether you take part, how many do, and when the next round is."""
        taking_part = await self.pairing.taking_part(ctx.community.id)
        state = say_text(ctx.language, "me.on" if ctx.member.id in taking_part else "me.off")
        upcoming = self.next_round(ctx.community, ctx.now)
        when = format_when(upcoming, ctx.community.timezone, ctx.language, ctx.now) if upcoming else say_text(
            ctx.language, "pair.no_rounds")
        return Response(document(say(ctx.language, "pair.status", state=state, n=len(taking_part), when=when,
                                     rounds=await self.pairing.rounds(ctx.community.id))))

    async def due(self, community: CommunityInfo, now: datetime) -> tuple[int, list[Send]]:
        """This period's round if its moment has come and it was not held:
        the groups recorded and claimed (in the caller's unit of work), with
        an introduction for everyone in them. Also how many rounds (0 or 1)."""
        moment = round_moment(community, now)
        if moment is None or now - moment > ROUND_GRACE:
            return 0, []
        taking_part = await self.pairing.taking_part(community.id)
        if len(taking_part) < 2:
            return 0, []
        key = f"pairing:{community.id}:{moment.date().isoformat()}"
        topics = {member_id: p.topics for member_id, p in taking_part.items()}
        groups = group_members(sorted(taking_part), await self.pairing.times_met(community.id), topics, key)
        if not await self.pairing.hold_round(community.id, key, groups, now):
            return 0, []
        sends: list[Send] = [
            DirectNotice(member_id, functools.partial(self._introduction, member_id, group, taking_part),
                         key=f"{key}:member:{member_id}")
            for group in groups for member_id in group
        ]
        return 1, sends

    def next_round(self, community: CommunityInfo, now: datetime) -> datetime | None:
        """When the next round is held."""
        if community.pairing_weekday is None:
            return None
        for weeks in range(1, community.pairing_weeks * 2 + 2):
            moment = round_moment(community, now + timedelta(weeks=weeks))
            if moment is not None and moment > now:
                return moment
        return None

    @staticmethod
    def _introduction(member_id: int, group: Group, people: dict[int, Participant], language: str) -> Document:
        """Whom a member meets this round, and why they were matched."""
        others = [people[m] for m in group if m != member_id]
        names = others[0].name if len(others) == 1 else say_text(
            language, "pair.and", first=", ".join(o.name for o in others[:-1]), last=others[-1].name)
        shared = sorted(people[member_id].topics & frozenset().union(*(o.topics for o in others)))
        why = (say_text(language, "pair.why_shared", topics=", ".join(shared)) if shared
               else say_text(language, "pair.why_new"))
        return document(say(language, "pair.introduction", names=names, why=why))
