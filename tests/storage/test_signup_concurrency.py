"""Capacity holds under concurrency: 200 joins for 20 seats, from many tasks
and three processes at once, through the real storage; and 1,000 joins
through four whole bot processes on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.domain import NewEvent
from bot.incoming import Actor
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path
from storage.repositories.directory import SqlDirectory
from storage.repositories.events import SqlEvents
from tests.conftest import console_on, console_settings

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("signup_worker.py")
SEATS, MEMBERS = 20, 200


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL two processes can share."""
    if request.param == "sqlite":
        return sqlite_url_for_path(tmp_path / "signups.db")
    return str(request.getfixturevalue("postgres_url"))


async def _worker(url: str, community_id: int, member_ids: list[int]) -> list[dict[str, object]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), url, str(community_id), "1", *map(str, member_ids),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_200_joins_for_20_seats_from_three_processes(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    clock = SystemClock()
    directory = SqlDirectory(db, clock)
    community = await directory.ensure_community("Kenniscafé", "Europe/Amsterdam", "en")
    members = [
        (await directory.ensure_member(community.id, Actor("console", f"m{i}", f"m{i}"))).id for i in range(MEMBERS)
    ]
    events = SqlEvents(db)
    now = datetime.now(UTC)
    await events.create_event(
        NewEvent(community.id, "Crowded", now + timedelta(days=3), "Here", SEATS, members[0], now)
    )

    mine, theirs_a, theirs_b = members[:60], members[60:130], members[130:]
    ours = asyncio.gather(*(events.join(community.id, 1, m, datetime.now(UTC)) for m in mine))
    local, remote_a, remote_b = await asyncio.gather(
        ours, _worker(database_url, community.id, theirs_a), _worker(database_url, community.id, theirs_b)
    )
    reported = [{"member": m, "outcome": r.outcome, "position": r.position} for m, r in zip(mine, local, strict=True)]
    reported += remote_a + remote_b

    # Nothing lost: every member got an answer, and is in the database once.
    assert sorted(r["member"] for r in reported) == sorted(members)
    async with db.read() as session:
        rows = (
            await session.execute(
                text("SELECT member_id, state FROM signup WHERE event_id = 1 ORDER BY queue_seq")
            )
        ).all()
    await db.dispose()
    assert len(rows) == MEMBERS

    # Exactly the seats were given, and the rest queue in the order they were told.
    going = [m for m, state in rows if state == "going"]
    waitlist = [m for m, state in rows if state == "waitlisted"]
    assert len(going) == SEATS and len(waitlist) == MEMBERS - SEATS
    assert sorted(r["member"] for r in reported if r["outcome"] == "going") == sorted(going)
    told_places = {r["member"]: r["position"] for r in reported if r["outcome"] == "waitlisted"}
    assert [told_places[m] for m in waitlist] == list(range(1, MEMBERS - SEATS + 1))


async def test_tasks_of_one_process_queue_in_the_order_they_asked(tmp_path: Path) -> None:
    db = Database(sqlite_url_for_path(tmp_path / "order.db"))
    await db.migrate()
    directory = SqlDirectory(db, SystemClock())
    community = await directory.ensure_community("Kenniscafé", "Europe/Amsterdam", "en")
    members = [(await directory.ensure_member(community.id, Actor("console", f"m{i}", f"m{i}"))).id for i in range(30)]
    events = SqlEvents(db)
    now = datetime.now(UTC)
    await events.create_event(NewEvent(community.id, "Small", now + timedelta(days=1), "Here", 2, members[0], now))
    results = await asyncio.gather(*(events.join(community.id, 1, m, now) for m in members))
    await db.dispose()
    assert [r.outcome for r in results[:2]] == ["going", "going"]
    assert [r.position for r in results[2:]] == list(range(1, 29))


JOIN_WORKER = Path(__file__).with_name("join_worker.py")
CROWD, PROCESSES = 1000, 4


async def _bot_process(url: str, names: list[str]) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(JOIN_WORKER), url, *names,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), 60)
    assert ready == b"ready\n", ready + (await process.stderr.read() if process.stderr else b"")
    return process


async def test_1000_joins_for_20_seats_from_four_bot_processes_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """Four whole bots on one PostgreSQL database, 250 members each sending
    `!kc join E1` at the same moment: exactly 20 are told they're in, the
    other 980 are told their place, and the waitlist is in that order."""
    async with console_on(tmp_path / "kc.db", settings=console_settings(tmp_path / "kc.db", postgres_url)) as console:
        starts = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d 19:00")
        assert "E1" in await console.say(f"!kc event new Crowded | {starts} | Here | {SEATS}")
    names = [f"member{i}" for i in range(CROWD)]
    shares = [names[k::PROCESSES] for k in range(PROCESSES)]
    processes = [await _bot_process(postgres_url, share) for share in shares]
    for process in processes:  # every core is built: now all join at once
        assert process.stdin is not None
        process.stdin.write(b"go\n")
    outputs = await asyncio.gather(*(asyncio.wait_for(p.communicate(), 120) for p in processes))
    lines = []
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()[-3000:]
        lines += [json.loads(line) for line in out.decode().splitlines()]
    told = {line["member"]: line["answers"] for line in lines if "member" in line}
    assert sum(line["delivered"] for line in lines if "delivered" in line) == CROWD  # every answer went out

    # One answer each, and it says what happened.
    assert sorted(told) == sorted(names)
    assert all(len(answers) == 1 for answers in told.values())
    going = {name for name, (answer,) in told.items() if answer.startswith("You're in for E1")}
    places = {}
    for name, (answer,) in told.items():
        if name not in going:
            match = re.search(r"you're number (\d+) on the waitlist", answer)
            assert match, answer
            places[name] = int(match.group(1))
    assert len(going) == SEATS
    assert sorted(places.values()) == list(range(1, CROWD - SEATS + 1))

    # The database agrees, and queues the waitlist in the order it was told.
    db = Database(postgres_url)
    async with db.read() as session:
        rows = (await session.execute(text(
            "SELECT i.external_id, s.state FROM signup AS s JOIN identity AS i ON i.member_id = s.member_id"
            " WHERE i.platform = 'console' AND i.external_id LIKE 'member%' ORDER BY s.queue_seq"
        ))).all()
    await db.dispose()
    assert {name for name, state in rows if state == "going"} == going
    assert [places[name] for name, state in rows if state == "waitlisted"] == list(range(1, CROWD - SEATS + 1))
