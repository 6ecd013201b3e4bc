"""Sign-ups per second through the whole core, against raw sqlite3; and on
PostgreSQL with 1, 2 and 4 bot processes sharing the database.

Ours: ``!kc join E<n>`` messages for 500 members × 50 coffee tables, all
handed to ``Bot.handle`` at once, each with a platform event id (command
text in, reply delivered out, on a SQLite file). Each is one unit of work:
the sign-up decided under the write lock, the event's claim and the reply's
outbox row, committed together; then the reply is delivered and its row
marked sent. Baselines, same run, same schema: a raw ``sqlite3`` loop of
the same writes (BEGIN IMMEDIATE; claim; count; insert; outbox row; COMMIT;
mark sent), and one SQLModel ``AsyncSession`` per sign-up doing only the
count and the insert (the straightforward ORM path).

On PostgreSQL the same joins go to 1, 2 or 4 whole bot processes
(``signups_process.py``), each taking every n-th member's joins to every
event, so the processes contend for every table's seats; the rate counts
from the moment all were told to go until the last delivered its answers
(not counting the processes' start and stop).
Beside them, SQLite with one process (ours, above).
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlmodel import col

from adapters.runtime import running_core
from bench.common import BENCH_DIR, REPO_ROOT, Result, cache_dir
from bench.postgres import bench_database, server_answers
from bench.signups_process import join_messages
from bot.config import Settings
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path
from storage.models import Signup
from storage.sql import stamp
from tests.fakes import RecordingMessenger

CAPACITY = 20
PROCESSES = (1, 2, 4)
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _prepare(url: str, members: int, events: int) -> None:
    """A migrated database with the members and open events."""
    db = Database(url)
    await db.migrate()
    now = datetime.now(UTC)
    async with db.write() as session:
        at, starts = stamp(session, now), stamp(session, now + timedelta(days=7))
        await session.execute(text("INSERT INTO community (id, name, timezone, language, created_at) "
                                   "VALUES (1, 'Bench', 'Europe/Amsterdam', 'en', :at)"), {"at": at})
        people = [{"m": m, "name": f"u{m}", "at": at} for m in range(1, members + 1)]
        await session.execute(text("INSERT INTO member (id, display_name, created_at, digest_dm, pairing_opt_in) "
                                   "VALUES (:m, :name, :at, false, false)"), people)
        await session.execute(text("INSERT INTO identity (member_id, platform, external_id, display_name, created_at) "
                                   "VALUES (:m, 'console', :name, :name, :at)"), people)
        await session.execute(text("INSERT INTO membership (community_id, member_id, role, joined_at) "
                                   "VALUES (1, :m, 'member', :at)"), people)
        await session.execute(text(
            "INSERT INTO event (community_id, number, title, starts_at, location, capacity, status, created_by_id, "
            "created_at, updated_at) VALUES (1, :e, 'Bench', :starts, 'Here', :capacity, 'open', 1, :at, :at)"),
            [{"e": e, "starts": starts, "capacity": CAPACITY, "at": at} for e in range(1, events + 1)])
    if db.url.startswith("postgresql"):
        # Ids were given explicitly: move the sequences past them.
        async with db.write() as session:
            for table in ("community", "member"):
                await session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                           f"(SELECT max(id) FROM {table}))"))
    await db.dispose()


async def _going(url: str) -> int:
    db = Database(url)
    async with db.read() as session:
        going = (await session.execute(
            select(func.count()).select_from(Signup).where(col(Signup.state) == "going"))).scalar_one()
    await db.dispose()
    return int(going)


async def _ours(path: Path, members: int, events: int) -> float:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(path), "commands_per_minute": 0},
        "communities": [{"name": "Bench", "managers": ["u1"], "rooms": ["console"]}],
    })
    messages = join_messages(members, events, 0, 1)
    async with running_core(settings, SystemClock()) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        start = time.perf_counter()
        await asyncio.gather(*(core.bot.handle(message) for message in messages))
        await core.deliverer.idle()
        elapsed = time.perf_counter() - start
    assert len(messenger.sent) == len(messages), (len(messenger.sent), len(messages))
    going = await _going(sqlite_url_for_path(path))
    assert going == events * min(CAPACITY, members), going
    return len(messages) / elapsed


def _processes(url: str, members: int, events: int, shares: int) -> float:
    """Sign-ups per second of ``shares`` bot processes on the database at ``url``."""
    command = [sys.executable, str(BENCH_DIR / "signups_process.py"), url, str(members), str(events)]
    workers = [subprocess.Popen([*command, str(share), str(shares)], cwd=REPO_ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
               for share in range(shares)]
    for worker in workers:  # each has built its core
        assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    start = time.time()  # wall clock: compared with the workers' own
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = [worker.communicate()[0].split() for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    answered = sum(int(count) for count, _ in reports)
    elapsed = max(float(finished) for _, finished in reports) - start
    assert answered == members * events, (answered, members * events)
    going = asyncio.run(_going(url))
    assert going == events * min(CAPACITY, members), going
    return members * events / elapsed


def _postgresql_results(members: int, events: int) -> list[Result]:
    """Sign-ups per second on PostgreSQL with 1, 2 and 4 processes, each
    beside SQLite with one on the same joins; nothing (said why) without a
    server."""
    missing = server_answers()
    if missing:
        print(f"signups: PostgreSQL figures left out: {missing}", file=sys.stderr)
        return []
    sqlite_db = cache_dir() / "signups-sqlite.db"
    _fresh(sqlite_db)
    asyncio.run(_prepare(sqlite_url_for_path(sqlite_db), members, events))
    sqlite_rate = asyncio.run(_ours(sqlite_db, members, events))
    _fresh(sqlite_db)
    results = []
    for shares in PROCESSES:
        with bench_database("kenniscafe_bench_signups") as url:
            asyncio.run(_prepare(url, members, events))
            rate = _processes(url, members, events, shares)
        processes = f"{shares} process{'es' if shares > 1 else ''}"
        results.append(Result(
            f"sign-ups per second on PostgreSQL, {processes}", rate, "sign-ups/s", {"SQLite, 1 process": sqlite_rate},
            note=f"{members} members × {events} events joined through {processes} on one PostgreSQL 15 "
                 "(loopback, synchronous commit); SQLite: the same joins through one"))
    return results


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
    """Sign-ups per second: ours through the core, raw sqlite3, and the ORM
    path; then PostgreSQL with 1, 2 and 4 processes beside SQLite."""
    members, events = (50, 5) if quick else (500, 50)
    folder = cache_dir()
    ours_db, raw_db, orm_db = folder / "signups-ours.db", folder / "signups-raw.db", folder / "signups-orm.db"
    for db_file in (ours_db, raw_db, orm_db):
        _fresh(db_file)
    asyncio.run(_prepare(sqlite_url_for_path(ours_db), members, events))
    ours = asyncio.run(_ours(ours_db, members, events))
    asyncio.run(_prepare(sqlite_url_for_path(raw_db), members, events))
    raw = _raw(raw_db, members, events)
    # The ORM path is ~80x slower: a tenth of the work gives its rate well enough.
    orm_events = max(1, events // 10)
    asyncio.run(_prepare(sqlite_url_for_path(orm_db), members, orm_events))
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
        # Each PostgreSQL commit waits for a disk flush: a fifth of the joins.
        *_postgresql_results(members, max(1, events // 5)),
    ]
