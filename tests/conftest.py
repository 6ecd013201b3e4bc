"""Shared test harness: the real bot on the console adapter, on a temp SQLite file."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest

from adapters.console.adapter import ConsoleAdapter
from adapters.runtime import Core, running_core
from bot.app import Bot
from bot.config import Settings
from bot.ports import Clock
from storage.engine import Database, sqlite_url_for_path

# Saturday 28 November 2026, 11:00 in Amsterdam.
START = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def console_settings(db_path: Path, database_url: str | None = None, **community: object) -> Settings:
    """One community, managed by rene, listening on the console (its
    database the SQLite file at ``db_path`` unless ``database_url`` is given;
    in a ``--engine postgresql`` run, a PostgreSQL database of its own, the
    same one for the same ``db_path``)."""
    return Settings.model_validate(
        {
            "bot": {"database": database_url or database_url_for(db_path)},
            "communities": [{"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"], **community}],
        }
    )


class Transcript:
    """Drive the console like a user: ``await say("!kc help")`` returns what
    the bot printed in answer, as text."""

    def __init__(self, core: Core, console: ConsoleAdapter, out: io.StringIO) -> None:
        self.core = core
        self.bot: Bot = core.bot
        self.console = console
        self.out = out

    async def delivered(self) -> None:
        """Wait until every stored message was printed (after a job ran)."""
        await self.core.deliverer.idle()

    async def say(self, line: str, *, as_user: str | None = None) -> str:
        """Type ``line`` (as ``as_user`` if given); the new output lines."""
        if as_user is not None:
            self.console.user = as_user
        start = len(self.out.getvalue())
        await self.console.handle_line(line)
        return self.out.getvalue()[start:]

    def ref_of(self, fragment: str) -> str:
        """The reference of the newest printed message containing ``fragment``."""
        for line in reversed(self.out.getvalue().splitlines()):
            if line.startswith("[m") and fragment in line:
                return line[1 : line.index("]")]
        raise AssertionError(f"no message with {fragment!r}")

    def last_ref(self) -> str:
        """The reference of the newest printed message, e.g. ``m4``."""
        for line in reversed(self.out.getvalue().splitlines()):
            if line.startswith("[m"):
                return line[1 : line.index("]")]
        raise AssertionError("nothing printed yet")


POSTGRES_SERVER = os.environ.get("KENNISCAFE_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
# Which database the bot under test uses: --engine, else KENNISCAFE_TEST_ENGINE, else SQLite.
ENGINE = {"name": os.environ.get("KENNISCAFE_TEST_ENGINE", "sqlite")}
_TEMPLATE = f"kenniscafe_template_{os.getpid()}"
_created: dict[Path, str] = {}  # the bot's database of each test's db_path (--engine postgresql)
_copies: list[str] = []  # every copy of the template made in this run
# What a missing server raises where a test would rather be skipped.
NO_SERVER = (TimeoutError, OSError, asyncpg.PostgresError)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--engine", choices=("sqlite", "postgresql"), default=None,
                     help="the database the bot under test uses (default sqlite; postgresql needs the "
                          "server at KENNISCAFE_TEST_PG, and fails when none answers)")


def pytest_configure(config: pytest.Config) -> None:
    chosen = config.getoption("--engine")
    if chosen:
        ENGINE["name"] = chosen


def database_url_for(db_path: Path) -> str:
    """The database the bot of a test uses for ``db_path``: that SQLite file,
    or (``--engine postgresql``) a fresh PostgreSQL database cloned from a
    migrated template, the same one for the same path within the run."""
    if ENGINE["name"] != "postgresql":
        return sqlite_url_for_path(db_path)
    if db_path not in _created:
        _created[db_path] = migrated_copy()
    return _created[db_path]


def migrated_copy() -> str:
    """The URL of a new PostgreSQL database, a copy of this run's migrated
    template (made at first use; copying is much faster than migrating),
    dropped at the end of the run. Raises when no server answers."""
    if not _copies:
        _make_template()
    name = f"kenniscafe_test_{uuid.uuid4().hex[:12]}"
    _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE}"')
    _copies.append(name)
    return f"{POSTGRES_SERVER}/{name}"


def _make_template() -> None:
    """One migrated database per run; every test's database is a copy (fast)."""
    _postgres_admin(f'DROP DATABASE IF EXISTS "{_TEMPLATE}"')
    _postgres_admin(f'CREATE DATABASE "{_TEMPLATE}"')

    async def migrate() -> None:
        db = Database(f"{POSTGRES_SERVER}/{_TEMPLATE}")
        try:
            await db.migrate()
        finally:
            await db.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate()).result()


@pytest.fixture(autouse=True, scope="session")
def _drop_test_databases() -> Iterator[None]:
    """Drop the template's copies, and the template, at the end of the run."""
    yield
    for name in [*_copies, *([_TEMPLATE] if _copies else [])]:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_admin(statement: str) -> None:
    """Run one statement on the server's ``postgres`` database. In a thread of
    its own, so sync and async fixtures alike can use it."""
    dsn = POSTGRES_SERVER.replace("postgresql+asyncpg", "postgresql")

    async def run() -> None:
        conn = await asyncpg.connect(f"{dsn}/postgres", timeout=3)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@asynccontextmanager
async def migrated(url: str) -> AsyncIterator[Database]:
    """The database at ``url``, migrated; its connections closed on exit."""
    db = Database(url)
    try:
        await db.migrate()
        yield db
    finally:
        await db.dispose()


def skip_without_server(problem: BaseException) -> NoReturn:
    """Skip the test: no PostgreSQL server answers here (CI machines have one)."""
    pytest.skip(f"no PostgreSQL server at {POSTGRES_SERVER} ({problem}); CI machines have one")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server, dropped afterwards;
    the test is skipped, saying why, when no server answers (CI machines have one)."""
    name = f"kenniscafe_test_{uuid.uuid4().hex[:12]}"
    try:
        _postgres_admin(f'CREATE DATABASE "{name}"')
    except NO_SERVER as problem:
        skip_without_server(problem)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each supported kind: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url_for_path(tmp_path / "kc.db")
    else:
        yield str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kenniscafe.db"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@asynccontextmanager
async def console_on(
    db_path: Path, user: str = "rene", clock: Clock | None = None, settings: Settings | None = None
) -> AsyncIterator[Transcript]:
    """A bot with a console on the SQLite file at ``db_path``, stopped on exit."""
    async with running_core(settings or console_settings(db_path), clock or FakeClock(), limit_commands=False) as core:
        out = io.StringIO()
        console = ConsoleAdapter(core.handle_and_deliver, out, user, db_path.parent / "files")
        core.attach(console)
        yield Transcript(core, console, out)


@pytest.fixture
async def transcript(db_path: Path) -> AsyncIterator[Transcript]:
    async with console_on(db_path) as running:
        yield running
