"""The weekly digest: what happened, what is coming, whom to meet."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.commands.registry import Args, Context, Response, command
from bot.domain import CommunityInfo, DigestData, DigestPost
from bot.messages import count, say, say_text, typed_command
from bot.outgoing import DirectNotice, Kind, Outgoing
from bot.ports import Schedule
from bot.richtext import BulletList, Document, Inline, Paragraph, Text, document, inlines
from bot.services.archive import post_ref
from bot.services.events import EventsService, event_ref
from bot.services.reminders import Send
from bot.timefmt import format_day, format_when, latest_weekly_moment

PERIOD = timedelta(days=7)
# A digest whose moment passed while the bot was down is still posted this
# long afterwards (once); later, that week's digest is skipped.
DIGEST_GRACE = timedelta(hours=12)


def latest_digest_moment(community: CommunityInfo, now: datetime) -> datetime | None:
    """The most recent scheduled digest moment at or before ``now``, by the
    community's weekly schedule in its own time zone (DST-safe)."""
    if community.digest_weekday is None or community.digest_time is None:
        return None
    return latest_weekly_moment(community.digest_weekday, community.digest_time, community.timezone, now)


def digest_key(community: CommunityInfo, moment: datetime) -> str:
    """The once-only key of a digest period: community and ISO week."""
    year, week, _ = moment.astimezone(ZoneInfo(community.timezone)).isocalendar()
    return f"digest:{community.id}:{year}-W{week:02d}"


class DigestService:
    """Builds, previews and posts digests."""

    def __init__(self, schedule: Schedule, events: EventsService) -> None:
        self.schedule = schedule
        self.events = events

    @command("digest preview", aliases=("digest",))
    async def preview(self, ctx: Context, args: Args) -> Response:
        """The digest of the last seven days, now."""
        return Response(await self.build(ctx.community, ctx.now, ctx.now, ctx.prefix, ctx.language))

    @command("digest on")
    async def subscribe(self, ctx: Context, args: Args) -> Response:
        """Receive the weekly digest as a DM."""
        await self.schedule.set_digest_dm(ctx.member.id, True)
        return Response(document(say(ctx.language, "digest.on", off=typed_command(ctx.language, ctx.prefix, "digest off"))))

    @command("digest off")
    async def unsubscribe(self, ctx: Context, args: Args) -> Response:
        """Stop the digest DM."""
        await self.schedule.set_digest_dm(ctx.member.id, False)
        return Response(document(say(ctx.language, "digest.off", on=typed_command(ctx.language, ctx.prefix, "digest on"))))

    async def due(self, community: CommunityInfo, now: datetime, prefix: str) -> tuple[int, list[Send]]:
        """The community's digest if its moment has come and its period was
        not posted yet: claimed (in the caller's transaction) with one
        message per digest room and subscriber, each keyed by the period.
        Also how many digests (0 or 1)."""
        moment = latest_digest_moment(community, now)
        if moment is None or now - moment > DIGEST_GRACE:
            return 0, []
        # Read before the claim: the claim takes the write lock, reading need not hold it.
        data = await self.schedule.digest_data(community.id, moment - PERIOD, moment, now)
        key = digest_key(community, moment)
        if not await self.schedule.claim_digest(key, now):
            return 0, []
        sends: list[Send] = [
            Outgoing(room.platform, Kind.ROOM, self.compose(community, data, moment, now, prefix, community.language),
                     room_id=room.room_id, key=f"{key}:room:{room.platform}:{room.room_id}")
            for room in await self.schedule.digest_rooms(community.id)
        ]
        # One composer for all subscribers: written once per language when stored.
        compose = functools.partial(self.compose, community, data, moment, now, prefix)
        sends += [
            DirectNotice(member_id, compose, key=f"{key}:member:{member_id}")
            for member_id in await self.schedule.digest_subscribers(community.id)
        ]
        return 1, sends

    async def build(self, community: CommunityInfo, end: datetime, now: datetime, prefix: str,
                    language: str) -> Document:
        """The digest of the week before ``end``, in ``language``."""
        data = await self.schedule.digest_data(community.id, end - PERIOD, end, now)
        return self.compose(community, data, end, now, prefix, language)

    def compose(self, community: CommunityInfo, data: DigestData, end: datetime, now: datetime, prefix: str,
                lang: str) -> Document:
        """The digest document for the week before ``end``, sections in the
        spec's order, in ``lang``."""
        start = end - PERIOD
        if data.empty:
            return document(say(lang, "digest.empty", community=community.name, post=typed_command(lang, prefix, "post")))
        period = (f"{format_day(start, community.timezone, lang, now)} – "
                  f"{format_day(end - timedelta(seconds=1), community.timezone, lang, now)}")
        blocks: list[Paragraph | BulletList] = [
            Paragraph(say(lang, "digest.title", community=community.name, period=period))
        ]
        blocks += self._posts(lang, data)
        if data.discussions:
            blocks.append(Paragraph(say(lang, "digest.discussions")))
            blocks.append(BulletList(tuple(
                say(lang, "digest.discussion_item", ref=post_ref(p.number), title=p.title,
                    comments=count(lang, "comment", p.comments))
                for p in data.discussions
            )))
        if data.upcoming:
            blocks.append(Paragraph(say(lang, "digest.upcoming")))
            blocks.append(BulletList(tuple(
                say(lang, "event.list_item", ref=event_ref(e.number), title=e.title,
                    when=format_when(e.starts_at, community.timezone, lang, now), where=e.location,
                    seats=self.events.seats_text(lang, e))
                for e in data.upcoming
            )))
        if data.new_members:
            more = data.new_member_total - len(data.new_members)
            names = ", ".join(data.new_members) + (say_text(lang, "digest.more", n=more) if more else "")
            blocks.append(Paragraph(say(lang, "digest.new_members", names=names)))
        if data.suggested_pairs:
            blocks.append(Paragraph(say(lang, "digest.pairs")))
            blocks.append(BulletList(tuple(say(lang, "digest.pair", a=a, b=b, topic=t) for a, b, t in data.suggested_pairs)))
        return Document(tuple(blocks))

    @staticmethod
    def _posts(lang: str, data: DigestData) -> list[Paragraph | BulletList]:
        if not data.new_posts:
            return []

        def facts(post: DigestPost) -> str:
            shown = [count(lang, "reaction", post.reactions)] if post.reactions else []
            shown += [count(lang, "comment", post.comments)] if post.comments else []
            return "".join(f" · {fact}" for fact in shown)

        items: tuple[tuple[Inline, ...], ...] = tuple(
            say(lang, "digest.post_item", ref=post_ref(p.number), title=p.title, author=p.author_name,
                facts=facts(p))
            for p in data.new_posts
        )
        more = data.new_post_total - len(data.new_posts)
        if more:
            items += (inlines(Text(say_text(lang, "digest.more", n=more).strip())),)
        return [Paragraph(say(lang, "digest.new_posts", n=data.new_post_total)), BulletList(items)]
