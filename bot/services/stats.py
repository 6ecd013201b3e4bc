"""Overview for community managers: `stats [weeks]`, and `event noshow` by
which organizers record who did not come (attendance in those stats)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.commands.args import ArgError, EventArg, TextArg, whole_number
from bot.commands.registry import Args, Context, Response, command
from bot.domain import Contributor, Role, WeekStats
from bot.messages import count, say, say_text, typed_command
from bot.ports import Events, Stats
from bot.refusal import Refusal
from bot.richtext import BulletList, Document, Paragraph
from bot.services.events import event_ref
from bot.services.people import PeopleService
from bot.timefmt import format_day, latest_weekly_moment

DEFAULT_WEEKS = 4
MAX_WEEKS = 26
TOP_CONTRIBUTORS = 3
_UNDO_WORDS = frozenset({"undo", "off", "ongedaan", "uit"})


def week_starts(weeks: int, timezone: str, now: datetime) -> list[datetime]:
    """The Mondays (00:00 community time) of the last ``weeks`` weeks, the
    current one last."""
    this_monday = latest_weekly_moment(0, time(0, 0), timezone, now)
    return [latest_weekly_moment(0, time(0, 0), timezone, this_monday - timedelta(weeks=n))
            for n in range(weeks - 1, -1, -1)]


def parse_weeks(text: str) -> int:
    """``stats 8`` → 8; empty → the default; anything else is refused."""
    if not text:
        return DEFAULT_WEEKS
    weeks = whole_number(text, 1, MAX_WEEKS)
    if weeks is None:
        raise ArgError("arg.bad_weeks", token=text[:20], limit=MAX_WEEKS)
    return weeks


class StatsService:
    """`stats` and `event noshow`."""

    def __init__(self, stats: Stats, events: Events, people: PeopleService) -> None:
        self.stats = stats
        self.events = events
        self.people = people

    @command("stats", TextArg("weeks", optional=True), role=Role.MANAGER)
    async def overview(self, ctx: Context, args: Args) -> Response:
        """Activity per week: posts, comments, reactions, members, sign-ups, attendance."""
        weeks = parse_weeks(str(args.get("weeks")))
        starts = week_starts(weeks, ctx.community.timezone, ctx.now)
        found = await self.stats.weekly(ctx.community.id, starts, ctx.now)
        top = await self.stats.top_contributors(ctx.community.id, starts[0], ctx.now, TOP_CONTRIBUTORS)
        lang, zone = ctx.language, ctx.community.timezone
        rows = tuple(say(lang, "stats.week", week=format_day(w.start, zone, lang, now=ctx.now),
                         facts=self._facts(lang, w)) for w in found)
        blocks: list[Paragraph | BulletList] = [Paragraph(say(lang, "stats.header", weeks=count(lang, "week", weeks))),
                                                BulletList(rows)]
        if top:
            names = ", ".join(self._contributor(lang, c) for c in top)
            blocks.append(Paragraph(say(lang, "stats.top", names=names)))
        return Response(Document(tuple(blocks)))

    @command("event noshow", EventArg(), TextArg("member", shown="<member> [undo]"), role=Role.ORGANIZER)
    async def no_show(self, ctx: Context, args: Args) -> Response:
        """After a coffee table: mark who signed up but did not come (add `undo` to take it back)."""
        number: int = args.get("event")
        words = str(args.get("member")).split()
        undo = len(words) > 1 and words[-1].casefold() in _UNDO_WORDS
        name = " ".join(words[:-1] if undo else words)
        found = await self.events.get_event(ctx.community.id, number)
        if found is None:
            raise Refusal("event.not_found", ref=f"E{number}", events=typed_command(ctx.language, ctx.prefix, "events"))
        if found.info.starts_at > ctx.now:
            raise Refusal("noshow.not_yet", ref=event_ref(number))
        member = await self.people.known(ctx, name)
        counted = await self.stats.set_no_show(found.info.id, member.id, not undo)
        if counted is None:
            raise Refusal("noshow.not_going", name=member.display_name, ref=event_ref(number))
        came, missed = counted
        key = "noshow.undone" if undo else "noshow.marked"
        return Response(Document((Paragraph(say(ctx.language, key, name=member.display_name, ref=event_ref(number),
                                                    came=came, missed=missed)),)))

    @staticmethod
    def _facts(lang: str, week: WeekStats) -> str:
        facts = [
            count(lang, "post", week.posts),
            count(lang, "comment", week.comments),
            count(lang, "reaction", week.reactions),
            say_text(lang, "stats.active", n=week.active_members, new=week.new_members),
            count(lang, "signup", week.signups),
        ]
        if week.came or week.no_shows:
            facts.append(say_text(lang, "stats.attendance", came=week.came, missed=week.no_shows))
        return " · ".join(facts)

    @staticmethod
    def _contributor(lang: str, who: Contributor) -> str:
        parts = [count(lang, "post", who.posts)] if who.posts else []
        if who.comments:
            parts.append(count(lang, "comment", who.comments))
        return f"{who.name} ({', '.join(parts)})"
