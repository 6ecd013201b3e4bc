"""Calendar feeds on the database: members' secret feed tokens, and the
tables a community's or a member's feed lists."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from bot.domain import EventInfo
from storage.engine import Database
from storage.sql import Sql, read_stamp, stamp

# An event's fields as EventInfo wants them, with its going and waitlisted
# counts (the (event_id, state) index answers each count).
EVENT_COLUMNS = (
    "e.id, e.number, e.title, e.starts_at, e.location, e.capacity, e.status, "
    "(SELECT count(*) FROM signup g WHERE g.event_id = e.id AND g.state = 'going'), "
    "(SELECT count(*) FROM signup w WHERE w.event_id = e.id AND w.state = 'waitlisted'), "
    "e.cancel_reason, e.sequence"
)
# A cancelled table keeps its sign-ups' states (storage/signups.py), so
# "going or waitlisted" also finds the cancelled tables a member was on;
# a member who left (state 'cancelled') is off the table and out of the feed.
_ON_TABLE = "('going', 'waitlisted')"


def new_token() -> str:
    """A fresh secret for a feed address (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


class SqlCalendar:
    """Calendar feeds: who a feed address belongs to, and what it lists."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def token_of(self, member_id: int) -> str:
        """The member's feed token, made on first use. Race-safe: the token
        is only set where none is, then read back, so concurrent first calls
        (in this process or another) all return the one that was stored."""
        params = {"m": member_id}
        async with self.db.read() as session:
            found = await (await Sql.of(session)).all("SELECT calendar_token FROM member WHERE id = :m", params)
        if found and found[0][0] is not None:
            return str(found[0][0])
        async with self.db.write() as session:
            sql = await Sql.of(session)
            # PostgreSQL: a concurrent writer waits for this row, then finds it
            # set and changes nothing (SQLite: BEGIN IMMEDIATE serializes).
            await sql.run("UPDATE member SET calendar_token = :t WHERE id = :m AND calendar_token IS NULL",
                          {**params, "t": new_token()})
            found = await sql.all("SELECT calendar_token FROM member WHERE id = :m", params)
        if not found:
            raise LookupError(f"no member {member_id}")
        return str(found[0][0])

    async def reset_token(self, member_id: int) -> str:
        """A new feed token for the member: addresses with the old one stop working."""
        token = new_token()
        async with self.db.write() as session:
            sql = await Sql.of(session)
            await sql.run("UPDATE member SET calendar_token = :t WHERE id = :m", {"t": token, "m": member_id})
            if not await sql.all("SELECT id FROM member WHERE id = :m", {"m": member_id}):
                raise LookupError(f"no member {member_id}")
        return token

    async def member_of_token(self, token: str) -> int | None:
        """The member whose current feed token this is, if any."""
        if not token:
            return None
        async with self.db.read() as session:
            found = await (await Sql.of(session)).all("SELECT id FROM member WHERE calendar_token = :t", {"t": token})
        return int(found[0][0]) if found else None

    async def community_feed(self, community_id: int, since: datetime) -> list[EventInfo]:
        """The community's tables starting at or after ``since``, cancelled
        ones included, soonest first."""
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                f"SELECT {EVENT_COLUMNS} FROM event e WHERE e.community_id = :c AND e.starts_at >= :since "
                "ORDER BY e.starts_at, e.number",
                {"c": community_id, "since": stamp(session, since)},
            )
        return [event_info(row) for row in rows]

    async def member_feed(self, member_id: int, since: datetime) -> list[tuple[int, EventInfo]]:
        """(community id, table) for every table starting at or after
        ``since`` that the member is going to or waiting for, cancelled
        tables they were on included, soonest first."""
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                f"SELECT e.community_id, {EVENT_COLUMNS} FROM event e JOIN signup s ON s.event_id = e.id "
                f"WHERE s.member_id = :m AND s.state IN {_ON_TABLE} AND e.starts_at >= :since "
                "ORDER BY e.starts_at, e.community_id, e.number",
                {"m": member_id, "since": stamp(session, since)},
            )
        return [(int(row[0]), event_info(row[1:])) for row in rows]


def event_info(row: tuple[Any, ...]) -> EventInfo:
    """An EventInfo from the columns of :data:`EVENT_COLUMNS`."""
    event_id, number, title, starts_at, location, capacity, status, going, waitlisted, reason, sequence = row
    return EventInfo(
        int(event_id), int(number), str(title), read_stamp(starts_at), str(location),
        None if capacity is None else int(capacity), str(status), int(going), int(waitlisted),
        None if reason is None else str(reason), int(sequence),
    )
