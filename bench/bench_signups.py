"""Sign-ups per second through the whole core, against raw sqlite3.

Ours: ``!kc join E<n>`` messages for 500 members × 50 coffee tables, all
handed to ``Bot.handle`` at once, each with a platform event id (command
text in, reply delivered out, on a SQLite file). Each is one unit of work:
the sign-up decided under the write lock, the event's claim and the reply's
outbox row, committed together; then the reply is delivered and its row
marked sent. Baselines, same run, same schema: a raw ``sqlite3`` loop of
the same writes (BEGIN IMMEDIATE; claim; count; insert; outbox row; COMMIT;
mark sent), and one SQLModel ``AsyncSession`` per sign-up doing only the
count and the insert (the straightforward ORM path).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from adapters.runtime import running_core
from bench.common import Result, cache_dir
from bot.config import Settings
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path
from storage.models import Signup
from tests.fakes import RecordingMessenger

ROOM = RoomRef("console", "console")
CAPACITY = 20
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _prepare(path: Path, members: int, events: int) -> None:
    """A migrated database with the members and open events."""
    _fresh(path)
    db = Database(sqlite_url_for_path(path))
    await db.migrate()
    await db.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    now = datetime.now(UTC)
    stamp, starts = now.strftime(STAMP), (now + timedelta(days=7)).strftime(STAMP)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO community (id, name, timezone, language, created_at) "
                 "VALUES (1, 'Bench', 'Europe/Amsterdam', 'en', ?)", (stamp,))
    for m in range(1, members + 1):
        conn.execute("INSERT INTO member (id, display_name, created_at, digest_dm, pairing_opt_in) "
                     "VALUES (?, ?, ?, 0, 0)", (m, f"u{m}", stamp))
        conn.execute("INSERT INTO identity (member_id, platform, external_id, display_name, created_at) "
                     "VALUES (?, 'console', ?, ?, ?)", (m, f"u{m}", f"u{m}", stamp))
        conn.execute("INSERT INTO membership (community_id, member_id, role, joined_at) VALUES (1, ?, 'member', ?)",
                     (m, stamp))
    for e in range(1, events + 1):
        conn.execute("INSERT INTO event (community_id, number, title, starts_at, location, capacity, status, "
                     "created_by_id, created_at, updated_at) VALUES (1, ?, 'Bench', ?, 'Here', ?, 'open', 1, ?, ?)",
                     (e, starts, CAPACITY, stamp, stamp))
    conn.execute("COMMIT")
    conn.close()


async def _ours(path: Path, members: int, events: int) -> float:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(path), "commands_per_minute": 0},
        "communities": [{"name": "Bench", "managers": ["u1"], "rooms": ["console"]}],
    })
    messages = [
        MessageReceived(Actor("console", f"u{m}", f"u{m}"), MessageRef(ROOM, f"m{m}-{e}"), f"!kc join E{e}",
                        event_id=f"ev-{m}-{e}")
        for e in range(1, events + 1) for m in range(1, members + 1)
    ]
    async with running_core(settings, SystemClock()) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        start = time.perf_counter()
        await asyncio.gather(*(core.bot.handle(message) for message in messages))
        await core.deliverer.idle()
        elapsed = time.perf_counter() - start
        async with core.db.read() as session:
            going = (await session.execute(
                select(func.count()).select_from(Signup).where(col(Signup.state) == "going"))).scalar_one()
    assert len(messenger.sent) == len(messages), (len(messenger.sent), len(messages))
    assert going == events * min(CAPACITY, members), going
    return len(messages) / elapsed


def _raw(path: Path, members: int, events: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    now = datetime.now(UTC).strftime(STAMP)
    start = time.perf_counter()
    seq = 0
    for e in range(1, events + 1):
        for m in range(1, members + 1):
            seq += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO processedinbound (platform, event_id, received_at) VALUES ('console', ?, ?)",
                         (f"ev-{m}-{e}", now))
            going = conn.execute("SELECT count(*) FROM signup WHERE event_id = ? AND state = 'going'", (e,)).fetchone()[0]
            state = "going" if going < CAPACITY else "waitlisted"
            conn.execute("INSERT INTO signup (event_id, member_id, state, queue_seq, queued_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (e, m, state, seq, now, now))
            row = conn.execute(
                "INSERT INTO outboxmessage (platform, kind, lane, room_id, document, status, attempts, created_at, "
                "next_attempt_at, expires_at) VALUES ('console', 'room', 'console:console', 'console', ?, 'pending', "
                "0, ?, ?, ?) RETURNING id", (f'[["p",[["text","{state}"]]]]', now, now, now)).fetchone()[0]
            conn.execute("COMMIT")
            conn.execute("UPDATE outboxmessage SET status = 'sent', finished_at = ? WHERE id = ?", (now, row))
    elapsed = time.perf_counter() - start
    conn.close()
    return members * events / elapsed


async def _orm(path: Path, members: int, events: int) -> float:
    from sqlalchemy import func
    from sqlmodel import select

    db = Database(sqlite_url_for_path(path))
    now = datetime.now(UTC)

    async def one(e: int, m: int) -> None:
        async with db.write() as session:
            going = (await session.execute(
                select(func.count()).select_from(Signup).where(Signup.event_id == e, Signup.state == "going")
            )).scalar_one()
            session.add(Signup(event_id=e, member_id=m, state="going" if going < CAPACITY else "waitlisted",
                               queued_at=now, updated_at=now))

    start = time.perf_counter()
    await asyncio.gather(*(one(e, m) for e in range(1, events + 1) for m in range(1, members + 1)))
    elapsed = time.perf_counter() - start
    await db.dispose()
    return members * events / elapsed


def run(quick: bool) -> list[Result]:
    """Sign-ups per second: ours through the core, raw sqlite3, and the ORM path."""
    members, events = (50, 5) if quick else (500, 50)
    folder = cache_dir()
    ours_db, raw_db, orm_db = folder / "signups-ours.db", folder / "signups-raw.db", folder / "signups-orm.db"
    asyncio.run(_prepare(ours_db, members, events))
    ours = asyncio.run(_ours(ours_db, members, events))
    asyncio.run(_prepare(raw_db, members, events))
    raw = _raw(raw_db, members, events)
    # The ORM path is ~80x slower: a tenth of the work gives its rate well enough.
    orm_events = max(1, events // 10)
    asyncio.run(_prepare(orm_db, members, orm_events))
    orm = asyncio.run(_orm(orm_db, members, orm_events))
    for db_file in (ours_db, raw_db, orm_db):
        _fresh(db_file)
    share = 100 * ours / raw
    return [
        Result("sign-ups per second through the core", ours, "sign-ups/s",
               {"raw sqlite3": raw, "SQLModel session per sign-up": orm},
               note=f"{members} members × {events} events, capacity {CAPACITY}"),
        Result("core rate as a share of raw sqlite3", share, "%", {}, target=">= 25", passed=share >= 25,
               note="raw sqlite3 does the same writes (claim, sign-up, outbox row, mark) and nothing else; "
                    "ours also parses the command, finds the member, renders and delivers the reply"),
    ]
