"""On PostgreSQL, writers of different processes run side by side; one that
loses a race (a key another took meanwhile) is run again, never answered
with an apology."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from adapters.runtime import running_core
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.ports import SystemClock
from bot.richtext import render_plain
from storage.engine import Database
from tests.conftest import console_settings
from tests.fakes import RecordingMessenger

ROOM = RoomRef("console", "console")
NEWCOMERS = 12


def said(name: str, text: str, event_id: str) -> MessageReceived:
    return MessageReceived(Actor("console", name, name), MessageRef(ROOM, event_id), text, event_id=event_id)


async def test_a_newcomer_heard_by_two_processes_at_once_is_one_member_and_gets_both_answers(
    postgres_url: str, tmp_path: Path
) -> None:
    """Each newcomer's first two messages reach two bot processes at the same
    moment: both create the member, one loses the race on the unique
    identity and runs again. Both are answered; no apology; one member."""
    settings = console_settings(tmp_path / "kc.db", postgres_url)
    async with running_core(settings, SystemClock(), limit_commands=False) as first, \
            running_core(settings, SystemClock(), limit_commands=False) as second:
        for core in (first, second):
            core.attach(RecordingMessenger("console"))
        names = [f"newcomer{i}" for i in range(NEWCOMERS)]
        answers = await asyncio.gather(*(
            core.bot.handle(said(name, text, f"{name}-{core_name}"))
            for name in names
            for core, core_name, text in ((first, "a", "!kc post Hello | my first post"), (second, "b", "!kc help"))
        ))
    texts = [render_plain(row.message.doc) for rows in answers for row in rows]
    assert len(texts) == 2 * NEWCOMERS
    assert not [t for t in texts if "went wrong" in t]
    assert sum(t.startswith("Saved #") for t in texts) == NEWCOMERS
    db = Database(postgres_url)
    async with db.read() as session:
        members = (await session.execute(text(
            "SELECT count(*) FROM identity WHERE external_id LIKE 'newcomer%'"))).scalar_one()
    await db.dispose()
    assert members == NEWCOMERS


async def test_processes_started_at_once_on_a_fresh_database_all_start(postgres_url: str, tmp_path: Path) -> None:
    """Four processes started together write the same community, rooms and
    managers; those that lose a race run the start-up writes again."""
    settings = console_settings(tmp_path / "kc.db", postgres_url)
    db = Database(postgres_url)
    try:
        await db.migrate()  # migrations are serialised anyway; the race is in what follows
    finally:
        await db.dispose()

    async def start() -> int:
        async with running_core(settings, SystemClock(), limit_commands=False) as core:
            return len(core.bot.communities)

    for _ in range(3):
        assert await asyncio.gather(*(start() for _ in range(4))) == [1, 1, 1, 1]
    db = Database(postgres_url)
    try:
        async with db.read() as session:
            rooms = (await session.execute(text("SELECT count(*) FROM room"))).scalar_one()
            members = (await session.execute(text("SELECT count(*) FROM member"))).scalar_one()
    finally:
        await db.dispose()
    assert (rooms, members) == (1, 1)
