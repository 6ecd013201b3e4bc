"""Sign-up rules under random operation sequences (hypothesis, stateful).

After every step: never more going than capacity, the waitlist is first come
first served, a member holds at most one sign-up per event, and every
promotion produced exactly one notice (ledger row)."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.domain import EventChange, EventStatus, SignupResult
from storage.engine import Database, sqlite_url_for_path
from storage.signups import (
    EditRequest,
    JoinRequest,
    LeaveRequest,
    SignupRequest,
    SignupRules,
    StatusRequest,
)

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


class Sqlite3Sql:
    """The rules' query interface on a plain sqlite3 connection, so each
    example runs the rules without an event loop."""

    lock_suffix = ""  # BEGIN IMMEDIATE holds the write lock

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, **params: object) -> None:
        self.conn.execute(sql, params)

    def stamp(self, moment: datetime) -> object:
        return moment.astimezone(UTC).strftime(_STAMP)

    def read_stamp(self, value: object) -> datetime:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
MEMBERS = 8


def _template_database() -> Path:
    """One migrated database with a community and members, reused by every example."""
    folder = Path(tempfile.mkdtemp(prefix="kc-rules-"))
    path = folder / "rules.db"

    async def migrate() -> None:
        db = Database(sqlite_url_for_path(path))
        await db.migrate()
        await db.dispose()

    asyncio.run(migrate())
    conn = sqlite3.connect(path, isolation_level=None)
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute("INSERT INTO community (id, name, timezone, language, created_at) VALUES (1, 'K', 'UTC', 'en', ?)",
                 (stamp,))
    for member in range(1, MEMBERS + 1):
        conn.execute("INSERT INTO member (id, display_name, created_at, digest_dm, pairing_opt_in) "
                     "VALUES (?, ?, ?, 0, 0)", (member, f"m{member}", stamp))
    conn.close()
    return path


DATABASE = _template_database()


class SignupMachine(RuleBasedStateMachine):
    """Drives the rules on a real SQLite file against a simple model."""

    event_number = 0

    def __init__(self) -> None:
        super().__init__()
        self.conn = sqlite3.connect(DATABASE, isolation_level=None)
        self.sql = Sqlite3Sql(self.conn)
        # Each example gets an event of its own in the shared database.
        SignupMachine.event_number += 1
        self.number = SignupMachine.event_number
        self.capacity: int | None = None
        self.closed = False
        self.going: list[int] = []
        self.waitlist: list[int] = []
        self.promotions = 0

    @initialize(capacity=st.one_of(st.none(), st.integers(1, 4)))
    def open_event(self, capacity: int | None) -> None:
        stamp = self.sql.stamp(NOW)
        starts = self.sql.stamp(NOW + timedelta(days=7))
        self.conn.execute(
            "INSERT INTO event (community_id, number, title, starts_at, location, capacity, status, "
            "created_by_id, created_at, updated_at) VALUES (1, ?, 't', ?, 'here', ?, 'open', 1, ?, ?)",
            (self.number, starts, capacity, stamp, stamp),
        )
        self.event_id = self.conn.execute("SELECT id FROM event WHERE number = ?", (self.number,)).fetchone()[0]
        self.capacity = capacity

    def apply(self, request: SignupRequest) -> SignupResult:
        self.conn.execute("BEGIN IMMEDIATE")
        result = SignupRules(self.sql).apply(request)
        self.conn.execute("COMMIT")
        self.promotions += len(result.promoted)
        return result

    def promote(self) -> list[int]:
        moved = []
        while self.waitlist and (self.capacity is None or len(self.going) < self.capacity):
            moved.append(self.waitlist.pop(0))
            self.going.append(moved[-1])
        return moved

    @rule(member=st.integers(1, MEMBERS))
    def join(self, member: int) -> None:
        result = self.apply(JoinRequest(1, self.number, member, NOW))
        if member in self.going or member in self.waitlist:
            assert result.outcome.startswith("already_")
        elif self.closed:
            assert result.outcome == "closed"
        elif self.capacity is None or len(self.going) < self.capacity:
            assert result.outcome == "going"
            self.going.append(member)
        else:
            self.waitlist.append(member)
            assert (result.outcome, result.position) == ("waitlisted", len(self.waitlist))

    @rule(member=st.integers(1, MEMBERS))
    def leave(self, member: int) -> None:
        result = self.apply(LeaveRequest(1, self.number, member, NOW))
        if member in self.going:
            self.going.remove(member)
            assert [p.member_id for p in result.promoted] == self.promote()
        elif member in self.waitlist:
            self.waitlist.remove(member)
            assert result.outcome == "left_waitlist"
        else:
            assert result.outcome == "not_signed_up"

    @rule(capacity=st.one_of(st.none(), st.integers(1, 5)))
    def change_capacity(self, capacity: int | None) -> None:
        result = self.apply(EditRequest(1, self.number, EventChange("capacity", capacity), NOW))
        if capacity is not None and capacity < len(self.going):
            assert result.outcome == "capacity_below_going"
            return
        self.capacity = capacity
        assert [p.member_id for p in result.promoted] == self.promote()

    @rule()
    def close(self) -> None:
        self.apply(StatusRequest(1, self.number, EventStatus.CLOSED, None, NOW))
        self.closed = True

    @rule()
    def reopen(self) -> None:
        self.apply(StatusRequest(1, self.number, EventStatus.OPEN, None, NOW))
        self.closed = False

    def stored(self, state: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT member_id FROM signup WHERE event_id = ? AND state = ? ORDER BY queue_seq", (self.event_id, state)
        )
        return [member for (member,) in rows]

    @invariant()
    def never_more_going_than_capacity(self) -> None:
        going = self.stored("going")
        assert self.capacity is None or len(going) <= self.capacity
        assert sorted(going) == sorted(self.going)

    @invariant()
    def waitlist_is_first_come_first_served(self) -> None:
        assert self.stored("waitlisted") == self.waitlist

    @invariant()
    def one_signup_per_member(self) -> None:
        rows = self.conn.execute(
            "SELECT member_id, count(*) FROM signup WHERE event_id = ? GROUP BY member_id HAVING count(*) > 1",
            (self.event_id,),
        ).fetchall()
        assert rows == []

    @invariant()
    def every_promotion_has_exactly_one_notice(self) -> None:
        notices = self.conn.execute(
            "SELECT count(*) FROM outboundledger WHERE key LIKE ?", (f"promotion:{self.event_id}:%",)
        ).fetchone()[0]
        assert notices == self.promotions

    def teardown(self) -> None:
        self.conn.close()


SignupMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestSignupRules = SignupMachine.TestCase
