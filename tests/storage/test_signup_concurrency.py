"""Capacity holds under concurrency: 200 joins for 20 seats, from many tasks
and three processes at once, through the real storage."""

from __future__ import annotations

import asyncio
import json
import os
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
