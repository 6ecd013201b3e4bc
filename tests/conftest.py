"""Shared test harness: the real bot on the console adapter, on a temp SQLite file."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter
from adapters.runtime import build_bot
from bot.app import Bot
from bot.config import Settings
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path


def console_settings(db_path: Path, managers: list[str] | None = None) -> Settings:
    """One community, managed by rene, listening on the console."""
    return Settings.model_validate(
        {
            "bot": {"database": sqlite_url_for_path(db_path)},
            "communities": [{"name": "Kenniscafé", "managers": managers or ["rene"], "rooms": ["console"]}],
        }
    )


class Transcript:
    """Drive the console like a user: ``await say("!kc help")`` returns what
    the bot printed in answer, as text."""

    def __init__(self, bot: Bot, console: ConsoleAdapter, out: io.StringIO) -> None:
        self.bot = bot
        self.console = console
        self.out = out

    async def say(self, line: str, *, as_user: str | None = None) -> str:
        """Type ``line`` (as ``as_user`` if given); the new output lines."""
        if as_user is not None:
            self.console.user = as_user
        start = len(self.out.getvalue())
        await self.console.handle_line(line)
        return self.out.getvalue()[start:]

    def last_ref(self) -> str:
        """The reference of the newest printed message, e.g. ``m4``."""
        for line in reversed(self.out.getvalue().splitlines()):
            if line.startswith("[m"):
                return line[1 : line.index("]")]
        raise AssertionError("nothing printed yet")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kenniscafe.db"


@asynccontextmanager
async def console_on(db_path: Path, user: str = "rene") -> AsyncIterator[Transcript]:
    """A bot with a console on the SQLite file at ``db_path``, stopped on exit."""
    db = Database(sqlite_url_for_path(db_path))
    try:
        bot = await build_bot(console_settings(db_path), db, SystemClock())
        out = io.StringIO()
        console = ConsoleAdapter(bot.handle, out, user)
        bot.attach(console)
        yield Transcript(bot, console, out)
    finally:
        await db.dispose()


@pytest.fixture
async def transcript(db_path: Path) -> AsyncIterator[Transcript]:
    async with console_on(db_path) as running:
        yield running
