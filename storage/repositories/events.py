"""Coffee tables on the database: events, sign-ups and interest."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from bot.domain import EventChange, EventDetails, EventInfo, EventStatus, NewEvent, SignupResult
from storage.engine import Database, DbSession
from storage.models import Community, Event, EventInterest, Member, Signup
from storage.signups import (
    GOING,
    WAITLISTED,
    EditRequest,
    JoinRequest,
    LeaveRequest,
    SignupRequest,
    SignupRules,
    StatusRequest,
)
from storage.sql import SQLITE_STAMP, read_stamp


class SessionSql:
    """The sign-up rules' query interface on a SQLAlchemy session: raw SQL,
    so timestamps are passed the way the dialect stores them. On SQLite the
    statements go to the driver's connection directly (see
    :class:`storage.sql.Sql` for why)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        # PostgreSQL: lock the event row, so writers of one event queue up
        # (on SQLite, BEGIN IMMEDIATE already holds the write lock).
        self.lock_suffix = "" if self.sqlite else " FOR UPDATE"
        self._driver: sqlite3.Connection | None = None
        if self.sqlite:
            session.flush()
            driver = session.connection().connection.driver_connection
            self._driver = driver if isinstance(driver, sqlite3.Connection) else None

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        if self._driver is not None:
            return [tuple(row) for row in self._driver.execute(sql, params).fetchall()]
        return [tuple(row) for row in self.session.execute(text(sql), params)]

    def run(self, sql: str, **params: Any) -> None:
        if self._driver is not None:
            self._driver.execute(sql, params)
        else:
            self.session.execute(text(sql), params)

    def stamp(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).strftime(SQLITE_STAMP) if self.sqlite else moment

    def read_stamp(self, value: Any) -> datetime:
        return read_stamp(value)


async def decide(session: DbSession, request: SignupRequest) -> SignupResult:
    """Apply the sign-up rules to ``request`` in the session's transaction."""
    result: SignupResult = await session.run_sync(lambda sync: SignupRules(SessionSql(sync)).apply(request))
    return result


class SqlEvents:
    """The Events port: reads through SQLModel; sign-up decisions by the
    rules of :mod:`storage.signups`, in the current unit of work."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # PostgreSQL: this process's writers of one event wait here, not on
        # its row lock. A crowd joining one table would otherwise hold every
        # pooled connection waiting for that row, and stall every other
        # table's sign-ups (and the outbox) behind it.
        self._queues: dict[tuple[int, int], asyncio.Lock] = {}

    async def _decide(self, request: SignupRequest) -> SignupResult:
        async with self.db.write() as session:
            if not self.db.is_sqlite:  # (SQLite: the write lock queues every writer already)
                key = (request.community_id, request.number)
                async with self._queues.setdefault(key, asyncio.Lock()):
                    # Holding the row lock, let the next one queue at the database.
                    await session.execute(text("SELECT id FROM event WHERE community_id = :c AND number = :n"
                                               " FOR UPDATE"), {"c": key[0], "n": key[1]})
            return await decide(session, request)

    async def create_event(self, event: NewEvent) -> tuple[EventInfo, list[int]]:
        """Open an event with the next number of its community; for a
        follow-up, claim the not-yet-told interested members of the original."""
        async with self.db.write() as session:
            # Serialize numbering per community on PostgreSQL (SQLite: BEGIN IMMEDIATE).
            await session.execute(select(Community.id).where(Community.id == event.community_id).with_for_update())
            number = (
                await session.execute(
                    select(func.coalesce(func.max(Event.number), 0) + 1).where(Event.community_id == event.community_id)
                )
            ).scalar_one()
            original_id = None
            if event.follow_up_of is not None:
                original_id = (
                    await session.execute(
                        select(Event.id).where(Event.community_id == event.community_id, Event.number == event.follow_up_of)
                    )
                ).scalar_one_or_none()
            row = Event(
                community_id=event.community_id, number=number, title=event.title, starts_at=event.starts_at,
                location=event.location, capacity=event.capacity, status=EventStatus.OPEN,
                follow_up_of_id=original_id, created_by_id=event.created_by_id,
                created_at=event.created_at, updated_at=event.created_at, time_set_at=event.created_at,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            told: list[int] = []
            if original_id is not None:
                pending = col(EventInterest.event_id) == original_id
                unnotified = pending & col(EventInterest.notified_at).is_(None)
                told = list((await session.execute(select(EventInterest.member_id).where(unnotified))).scalars())
                await session.execute(update(EventInterest).where(unnotified).values(notified_at=event.created_at))
            info = EventInfo(row.id, number, row.title, row.starts_at, row.location, row.capacity, row.status, 0, 0)
            return info, told

    async def get_event(self, community_id: int, number: int) -> EventDetails | None:
        """An event with attendee and waitlist names in queue order."""
        async with self.db.read() as session:
            row = (
                await session.execute(select(Event).where(Event.community_id == community_id, Event.number == number))
            ).scalar_one_or_none()
            if row is None:
                return None
            people = (
                await session.execute(
                    select(Signup.state, Member.display_name)
                    .join(Member, col(Member.id) == Signup.member_id)
                    .where(Signup.event_id == row.id, col(Signup.state).in_((GOING, WAITLISTED)))
                    .order_by(col(Signup.queue_seq))
                )
            ).all()
            follows = None
            if row.follow_up_of_id is not None:
                follows = (await session.execute(select(Event.number).where(Event.id == row.follow_up_of_id))).scalar_one()
        attendees = tuple(name for state, name in people if state == GOING)
        waitlist = tuple(name for state, name in people if state == WAITLISTED)
        return EventDetails(_info(row, len(attendees), len(waitlist)), attendees, waitlist, follows)

    async def upcoming(self, community_id: int, now: datetime, limit: int) -> list[EventInfo]:
        """Events not yet started and not cancelled, soonest first."""
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(Event)
                    .where(Event.community_id == community_id, Event.starts_at > now, Event.status != EventStatus.CANCELLED)
                    .order_by(col(Event.starts_at), col(Event.number))
                    .limit(limit)
                )
            ).scalars().all()
            counts: dict[tuple[int, str], int] = {}
            if rows:
                found = await session.execute(
                    select(Signup.event_id, Signup.state, func.count())
                    .where(col(Signup.event_id).in_([r.id for r in rows]))
                    .group_by(col(Signup.event_id), col(Signup.state))
                )
                counts = {(event_id, state): n for event_id, state, n in found}
        return [
            _info(r, counts.get((r.id or 0, GOING), 0), counts.get((r.id or 0, WAITLISTED), 0)) for r in rows
        ]

    async def join(self, community_id: int, number: int, member_id: int, now: datetime) -> SignupResult:
        """Sign up: going while seats last, else waitlisted with a place."""
        return await self._decide(JoinRequest(community_id, number, member_id, now))

    async def leave(self, community_id: int, number: int, member_id: int, now: datetime) -> SignupResult:
        """Cancel a sign-up; a freed seat goes to the first on the waitlist."""
        return await self._decide(LeaveRequest(community_id, number, member_id, now))

    async def edit(self, community_id: int, number: int, change: EventChange, now: datetime) -> SignupResult:
        """Change one field; more seats promote from the waitlist."""
        return await self._decide(EditRequest(community_id, number, change, now))

    async def set_status(
        self, community_id: int, number: int, status: str, reason: str | None, now: datetime
    ) -> SignupResult:
        """Open, close or cancel."""
        return await self._decide(StatusRequest(community_id, number, status, reason, now))

    async def add_interest(self, event_id: int, member_id: int, now: datetime) -> bool:
        """Remember 'tell me about the next one'; False if already noted."""
        async with self.db.write() as session:
            if await session.get(EventInterest, (event_id, member_id)) is not None:
                return False
            session.add(EventInterest(event_id=event_id, member_id=member_id, created_at=now))
            return True

    async def participants(self, event_id: int) -> list[int]:
        """Member ids going or waitlisted, in queue order."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Signup.member_id)
                .where(Signup.event_id == event_id, col(Signup.state).in_((GOING, WAITLISTED)))
                .order_by(col(Signup.queue_seq))
            )
            return list(rows.scalars())


def _info(row: Event, going: int, waitlisted: int) -> EventInfo:
    assert row.id is not None
    return EventInfo(
        row.id, row.number, row.title, row.starts_at, row.location, row.capacity, row.status,
        going, waitlisted, row.cancel_reason, row.sequence,
    )
