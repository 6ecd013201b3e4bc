"""What scheduled jobs ask the database: due reminders and digest contents.

The scheduler only knocks; these queries decide. A reminder is claimed by
inserting its unique ledger key in the same transaction that finds it due,
so two processes (or a restart) can never both send it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.domain import DigestData, DigestPost, DueReminder, EventInfo, EventStatus
from bot.incoming import RoomRef
from storage.engine import Database, DbSession
from storage.models import Member
from storage.repositories.events import SqlEvents
from storage.sql import Sql, read_stamp, stamp

log = logging.getLogger(__name__)

DIGEST_POSTS = 10
DIGEST_DISCUSSIONS = 5
DIGEST_MEMBERS = 20
DIGEST_PAIRS = 3
UPCOMING_WINDOW = timedelta(days=14)
# Reminders of events that started less than this long ago are logged as skipped.
SKIPPED_LOOKBACK = timedelta(days=1)


def reminder_key(event_id: int, offset: timedelta, starts_at: datetime) -> str:
    """The ledger key of one reminder of one start time of an event."""
    return f"reminder:{event_id}:{int(offset.total_seconds())}:{starts_at.isoformat()}"


async def claim_key(session: DbSession, key: str, at: datetime) -> bool:
    """Insert a ledger key inside the caller's transaction; False if taken."""
    claimed = await (await Sql.of(session)).all(
        "INSERT INTO outboundledger (key, created_at) VALUES (:key, :at) ON CONFLICT (key) DO NOTHING RETURNING id",
        {"key": key, "at": stamp(session, at)},
    )
    return bool(claimed)


class SqlSchedule:
    """The Schedule port on the database."""

    def __init__(self, db: Database, events: SqlEvents) -> None:
        self.db = db
        self.events = events

    async def claim_due_reminders(
        self, community_id: int, offsets: Sequence[timedelta], now: datetime
    ) -> list[DueReminder]:
        """Reminders due now, each claimed once. Of several offsets due at
        once (the bot was down), only the latest is sent; the rest are
        claimed as skipped. Events already started get none (logged)."""
        if not offsets:
            return []
        longest = max(offsets)
        async with self.db.write() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT id, number, title, starts_at, location, capacity, status, cancel_reason, "
                        "coalesce(time_set_at, created_at) FROM event WHERE community_id = :c AND status != :x "
                        "AND starts_at > :since AND starts_at <= :until ORDER BY starts_at"
                    ),
                    {"c": community_id, "x": EventStatus.CANCELLED, "since": stamp(session, now - SKIPPED_LOOKBACK),
                     "until": stamp(session, now + longest)},
                )
            ).all()
            claimed: list[DueReminder] = []
            for row in rows:
                starts_at, armed_at = read_stamp(row[3]), read_stamp(row[8])
                due = sorted(
                    (o for o in offsets if armed_at <= starts_at - o <= now), reverse=True
                )  # longest offset first, the latest due last
                if not due:
                    continue
                fresh = [o for o in due if await claim_key(session, reminder_key(row[0], o, starts_at), now)]
                if not fresh:
                    continue
                if starts_at <= now:
                    log.warning("E%s started before its %s reminder could be sent; skipped",
                                row[1], ", ".join(map(str, fresh)))
                    continue
                latest = due[-1]
                if latest not in fresh:
                    continue  # the latest was sent before; older ones were just late leftovers
                skipped = [o for o in fresh if o != latest]
                if skipped:
                    log.info("E%s: reminders %s superseded by the %s one", row[1], skipped, latest)
                going = (
                    await session.execute(
                        text("SELECT member_id FROM signup WHERE event_id = :e AND state = 'going' ORDER BY queue_seq"),
                        {"e": row[0]},
                    )
                ).scalars().all()
                rooms = (
                    await session.execute(
                        text("SELECT DISTINCT platform, room_external_id FROM messageanchor WHERE event_id = :e"),
                        {"e": row[0]},
                    )
                ).all()
                info = EventInfo(row[0], row[1], row[2], starts_at, row[4], row[5], row[6], len(going), 0, row[7])
                late = now - (starts_at - latest) > timedelta(minutes=5)
                claimed.append(DueReminder(community_id, info, latest, tuple(going),
                                           tuple((p, r) for p, r in rooms), late))
            return claimed

    async def digest_data(self, community_id: int, start: datetime, end: datetime, now: datetime) -> DigestData:
        """The digest's sections for the period [start, end)."""
        async with self.db.read() as session:
            period = {"c": community_id, "start": stamp(session, start), "end": stamp(session, end)}
            new_posts = (
                await session.execute(
                    text(
                        "SELECT p.number, p.title, m.display_name, "
                        "(SELECT count(*) FROM reaction r WHERE r.post_id = p.id) AS reactions, "
                        "(SELECT count(*) FROM comment k WHERE k.post_id = p.id) AS comments "
                        "FROM post p JOIN member m ON m.id = p.author_id "
                        "WHERE p.community_id = :c AND p.removed_at IS NULL "
                        "AND p.created_at >= :start AND p.created_at < :end "
                        "ORDER BY reactions DESC, comments DESC, p.number DESC LIMIT :n"
                    ),
                    {**period, "n": DIGEST_POSTS},
                )
            ).all()
            post_total = (
                await session.execute(
                    text("SELECT count(*) FROM post WHERE community_id = :c AND removed_at IS NULL "
                         "AND created_at >= :start AND created_at < :end"),
                    period,
                )
            ).scalar_one()
            discussions = (
                await session.execute(
                    text(
                        "SELECT p.number, p.title, m.display_name, 0, count(*) AS n "
                        "FROM comment k JOIN post p ON p.id = k.post_id JOIN member m ON m.id = p.author_id "
                        "WHERE k.created_at >= :start AND k.created_at < :end "
                        "AND p.community_id = :c AND p.removed_at IS NULL "
                        "GROUP BY p.id, p.number, p.title, m.display_name ORDER BY n DESC, p.number DESC LIMIT :n"
                    ),
                    {**period, "n": DIGEST_DISCUSSIONS},
                )
            ).all()
            members = (
                await session.execute(
                    text(
                        "SELECT m.display_name FROM membership s JOIN member m ON m.id = s.member_id "
                        "WHERE s.community_id = :c AND s.joined_at >= :start AND s.joined_at < :end "
                        "ORDER BY s.joined_at LIMIT :n"
                    ),
                    {**period, "n": DIGEST_MEMBERS},
                )
            ).scalars().all()
            member_total = (
                await session.execute(
                    text("SELECT count(*) FROM membership WHERE community_id = :c "
                         "AND joined_at >= :start AND joined_at < :end"),
                    period,
                )
            ).scalar_one()
            # Newcomers of the period first: they are the ones who know nobody yet.
            pairs = (
                await session.execute(
                    text(
                        "SELECT ma.display_name, mb.display_name, a.topic "
                        "FROM membership s JOIN membertopic a ON a.member_id = s.member_id "
                        "JOIN membertopic b ON b.topic = a.topic AND b.member_id != a.member_id "
                        "JOIN membership sb ON sb.member_id = b.member_id AND sb.community_id = :c "
                        "JOIN member ma ON ma.id = a.member_id JOIN member mb ON mb.id = b.member_id "
                        "WHERE s.community_id = :c AND s.joined_at >= :start AND s.joined_at < :end "
                        "AND NOT EXISTS (SELECT 1 FROM pairingmatch x WHERE x.community_id = :c AND "
                        "((x.member_a_id = a.member_id AND x.member_b_id = b.member_id) OR "
                        "(x.member_a_id = b.member_id AND x.member_b_id = a.member_id))) "
                        "ORDER BY s.joined_at, sb.joined_at DESC LIMIT :n"
                    ),
                    {**period, "n": DIGEST_PAIRS * 4},
                )
            ).all()
        upcoming = [e for e in await self.events.upcoming(community_id, now, 20) if e.starts_at <= now + UPCOMING_WINDOW]
        return DigestData(
            new_posts=tuple(DigestPost(n, t, a, r, c) for n, t, a, r, c in new_posts),
            new_post_total=post_total,
            discussions=tuple(DigestPost(n, t, a, r, c) for n, t, a, r, c in discussions),
            upcoming=tuple(upcoming),
            new_members=tuple(members),
            new_member_total=member_total,
            suggested_pairs=_distinct_pairs(pairs, DIGEST_PAIRS),
        )

    async def claim_digest(self, key: str, at: datetime) -> bool:
        """Claim a digest period; True for the one process that may post it."""
        async with self.db.write() as session:
            return await claim_key(session, key, at)

    async def digest_rooms(self, community_id: int) -> list[RoomRef]:
        """Where the community's digest is posted."""
        async with self.db.read() as session:
            rows = await session.execute(
                text("SELECT platform, external_id FROM room WHERE community_id = :c AND is_digest_room"),
                {"c": community_id},
            )
            return [RoomRef(p, r) for p, r in rows]

    async def digest_subscribers(self, community_id: int) -> list[int]:
        """Members of the community who asked for the digest by DM."""
        async with self.db.read() as session:
            rows = await session.execute(
                text("SELECT m.id FROM member m JOIN membership s ON s.member_id = m.id "
                     "WHERE s.community_id = :c AND m.digest_dm ORDER BY m.id"),
                {"c": community_id},
            )
            return list(rows.scalars())

    async def set_digest_dm(self, member_id: int, on: bool) -> None:
        """Subscribe a member to the digest by DM, or not."""
        async with self.db.write() as session:
            member = await session.get_one(Member, member_id)
            member.digest_dm = on


def _distinct_pairs(rows: Sequence[Any], limit: int) -> tuple[tuple[str, str, str], ...]:
    """Each pair of people once (two newcomers find each other from both sides)."""
    seen: set[frozenset[str]] = set()
    pairs = []
    for a, b, topic in rows:
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            pairs.append((a, b, topic))
    return tuple(pairs[:limit])
