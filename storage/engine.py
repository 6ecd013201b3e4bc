"""One database for the whole process, with SQLite made safe for writers.

SQLite through SQLAlchemy begins transactions lazily (pysqlite's legacy
behaviour), so "count, then insert" races between writers. We follow
SQLAlchemy's documented pysqlite recipe: switch the driver's own transaction
handling off (``isolation_level = None``) and emit ``BEGIN`` ourselves —
``BEGIN IMMEDIATE`` for write transactions, so the write lock is taken before
the first read and a check-then-write is atomic.

SQLite runs inline. It is a library inside this process: a statement costs
microseconds, while handing each one to a driver thread (aiosqlite) costs
four thread round trips, about a third of a millisecond each on a small
machine — most of what a command costs. So on SQLite the sessions are
SQLAlchemy's synchronous ones, run on the event loop, behind
:class:`InlineSession`, which offers the async session's interface. What
could block the loop for long is waited for asynchronously instead: the
write lock (in this process an ``asyncio.Lock``; another process's hold is
retried with short sleeps), never in SQLite's busy handler. PostgreSQL uses
asyncpg through SQLAlchemy's async sessions as usual, and its writers run
side by side: what must not interleave locks its rows (``FOR UPDATE`` on
the event of a sign-up, the community of a new post or table), and a
transaction that loses a race (a unique key taken meanwhile, a deadlock)
is reported by :meth:`Database.is_conflict`, so its unit can be run again.

Units of work. :meth:`Database.atomic` opens a scope in which every
``write()`` (and every ``read()`` after the first write) shares one
transaction, begun at the first write and committed when the scope ends. So
the handling of an inbound event — its effect, its claim and its replies'
outbox rows — commits or rolls back as one, although each repository opens
its own ``write()`` block as usual.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
)
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

T = TypeVar("T")
# A result of any shape (SQLAlchemy 2.1 types rows by a tuple of column types).
AnyResult = Result[*tuple[Any, ...]]

_WRITE_OPTION = "kenniscafe_write"
# How long a writer waits for another process to release SQLite's write lock.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# SQLite's own busy handler blocks the loop: let it wait only briefly, and
# retry beyond that with asyncio sleeps.
_SQLITE_INLINE_BUSY_MS = 20
# Connections the pool may hand out at once (SQLAlchemy's defaults: 5 + 10).
POOL_SIZE, POOL_OVERFLOW = 5, 10


def sqlite_url_for_path(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file at ``path``."""
    return f"sqlite+aiosqlite:///{Path(path)}"


class DatabaseUnusable(Exception):
    """The database cannot be opened or created (not a database, no
    permission, no server); the message says which and why."""


class DbSession(Protocol):
    """What repositories use of a session: the async session's interface,
    which :class:`InlineSession` also offers (SQLite)."""

    def add(self, instance: object) -> None:
        """Add an ORM object, inserted at the next flush."""
        ...

    async def execute(self, statement: Executable, params: Any = None) -> AnyResult:
        """Run a statement in the session's transaction."""
        ...

    async def flush(self) -> None:
        """Write pending ORM changes."""
        ...

    async def get(self, entity: type[T], ident: Any) -> T | None:
        """An ORM object by primary key."""
        ...

    async def get_one(self, entity: type[T], ident: Any) -> T:
        """An ORM object by primary key, which must exist."""
        ...

    async def delete(self, instance: object) -> None:
        """Delete an ORM object at the next flush."""
        ...

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn`` with the synchronous session."""
        ...

    def get_bind(self) -> Engine | Connection:
        """The engine (its dialect names the database)."""
        ...

    def begin_nested(self) -> AbstractAsyncContextManager[Any]:
        """A savepoint: its block rolls back alone when it raises."""
        ...


class InlineSession:
    """A synchronous SQLAlchemy session behind the async session's interface:
    each call runs at once, on the calling thread (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session

    def add(self, instance: object) -> None:
        """Add an ORM object, inserted at the next flush."""
        self.sync_session.add(instance)

    async def execute(self, statement: Executable, params: Any = None) -> AnyResult:
        """Run a statement in the session's transaction."""
        return self.sync_session.execute(statement, params)

    async def flush(self) -> None:
        """Write pending ORM changes."""
        self.sync_session.flush()

    async def get(self, entity: type[T], ident: Any) -> T | None:
        """An ORM object by primary key."""
        return self.sync_session.get(entity, ident)

    async def get_one(self, entity: type[T], ident: Any) -> T:
        """An ORM object by primary key, which must exist."""
        return self.sync_session.get_one(entity, ident)

    async def delete(self, instance: object) -> None:
        """Delete an ORM object at the next flush."""
        self.sync_session.delete(instance)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn`` with the synchronous session."""
        return fn(self.sync_session, *args)

    def get_bind(self) -> Engine | Connection:
        """The engine (its dialect names the database)."""
        return self.sync_session.get_bind()

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A savepoint: its block rolls back alone when it raises."""
        with self.sync_session.begin_nested():
            yield

    def raw_connection(self) -> sqlite3.Connection:
        """The driver's connection, inside the session's transaction (pending
        ORM changes flushed first), for statements that need no SQLAlchemy."""
        self.sync_session.flush()
        driver = self.sync_session.connection().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return driver


@dataclass
class UnitOfWork:
    """The transaction of one :meth:`Database.atomic` scope."""

    db: Database
    session: DbSession | None = None
    _resources: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def wrote(self) -> bool:
        """Whether anything was written (the write transaction was begun)."""
        return self.session is not None


_current: ContextVar[UnitOfWork | None] = ContextVar("kenniscafe_unit_of_work", default=None)


class Database:
    """Read and write sessions and units of work; SQLite or PostgreSQL by URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # A burst of thousands of messages must queue for a connection, not
        # fail: the pool would give up on a waiter after 30 s, an asyncio
        # semaphore in front of it never does.
        self._sessions = asyncio.Semaphore(POOL_SIZE + POOL_OVERFLOW)
        self._sqlite: Engine | None = None
        self._async: AsyncEngine | None = None
        # SQLite has one write lock per file. Writers of this process queue
        # here, in order; other processes' holds are retried with sleeps.
        # (PostgreSQL locks rows, not the database: its writers don't queue.)
        self._write_turn = asyncio.Lock()
        if self.is_sqlite:
            _ensure_parent_folder(url)
            self._sqlite = create_engine(
                make_url(url).set(drivername="sqlite"), echo=echo, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                connect_args={"timeout": _SQLITE_INLINE_BUSY_MS / 1000, "check_same_thread": False},
            )
            _install_sqlite_recipe(self._sqlite)
        else:
            self._async = _async_engine(url, echo)

    @asynccontextmanager
    async def read(self, *, detached: bool = False) -> AsyncIterator[DbSession]:
        """A session for reading; on SQLite a deferred transaction (no lock).
        Inside a unit of work that has written, its own transaction (so the
        reader sees what the unit wrote), unless ``detached``."""
        unit = None if detached else self._unit()
        if unit is not None and unit.session is not None:
            yield unit.session
            return
        async with self._sessions:
            if self._sqlite is not None:
                with Session(self._sqlite, expire_on_commit=False) as session, session.begin():
                    yield InlineSession(session)
            else:
                async with AsyncSession(self._async, expire_on_commit=False) as pg, pg.begin():
                    yield pg

    @asynccontextmanager
    async def write(self, *, detached: bool = False) -> AsyncIterator[DbSession]:
        """A session whose transaction holds the write lock from its start
        (``BEGIN IMMEDIATE`` on SQLite), committed on leaving the block — or,
        inside :meth:`atomic`, the unit's transaction, committed with the unit.

        ``detached`` commits on its own even inside a unit: for idempotent
        writes that must survive the unit's rollback (a member seen for the
        first time). It must come before the unit's first write, which holds
        the write lock this would wait for."""
        unit = self._unit()
        if detached and unit is not None:
            if unit.session is not None:
                raise RuntimeError("a detached write after the unit of work began writing would wait for itself")
            unit = None
        if unit is not None:
            if unit.session is None:
                unit.session = await self._begin_write(unit._resources)
            yield unit.session
            return
        async with AsyncExitStack() as stack:
            yield await self._begin_write(stack)

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work: every write inside commits together at the end of
        the block, or nothing does. The transaction begins at the first
        write, so a block that only reads never takes the write lock.
        Nested scopes join the outer one."""
        outer = self._unit()
        if outer is not None:
            yield outer
            return
        unit = UnitOfWork(self)
        token = _current.set(unit)
        try:
            async with unit._resources:
                yield unit
        finally:
            _current.reset(token)

    async def _begin_write(self, stack: AsyncExitStack) -> DbSession:
        """Open a write transaction whose end ``stack`` takes care of:
        committed when the stack closes normally, rolled back otherwise."""
        if self._sqlite is None:
            await stack.enter_async_context(self._sessions)
            pg = await stack.enter_async_context(AsyncSession(self._async, expire_on_commit=False))
            await stack.enter_async_context(pg.begin())
            return pg
        await stack.enter_async_context(self._write_turn)
        await stack.enter_async_context(self._sessions)
        session = await self._sqlite_write_session()
        stack.enter_context(session)
        stack.enter_context(_transaction_of(session))
        return InlineSession(session)

    async def _sqlite_write_session(self) -> Session:
        """A session holding SQLite's write lock (``BEGIN IMMEDIATE``), waited
        for asynchronously while another process holds it."""
        assert self._sqlite is not None
        writer = self._sqlite.execution_options(**{_WRITE_OPTION: True})
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = 0.002
        while True:
            session = Session(writer, expire_on_commit=False)
            try:
                session.begin()
                session.connection()  # BEGIN IMMEDIATE, now
                return session
            except OperationalError as error:
                session.close()
                if not _is_locked(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    @staticmethod
    def is_conflict(error: BaseException) -> bool:
        """Whether ``error`` (or what caused it) is a transaction that lost a
        race with another writer — a unique key taken meanwhile, a deadlock
        or a serialization failure — rather than a bug: the same work, run
        again in a new transaction, will see the winner's row and succeed."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            if isinstance(current, DBAPIError) and _lost_a_race(current.orig):
                return True
            current = current.__cause__ or current.__context__
        return False

    def _unit(self) -> UnitOfWork | None:
        unit = _current.get()
        return unit if unit is not None and unit.db is self else None

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        """Call ``fn`` with a plain synchronous connection, committed after
        (migrations, schema comparisons)."""
        if self._sqlite is not None:
            with self._sqlite.execution_options(**{_WRITE_OPTION: True}).connect() as conn:
                # Rare and at start-up: here SQLite may simply wait for another
                # process (set on the driver's connection, before any BEGIN).
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
                try:
                    result = fn(conn)
                    conn.commit()
                finally:
                    driver.execute(f"PRAGMA busy_timeout = {_SQLITE_INLINE_BUSY_MS}")
                return result
        assert self._async is not None
        async with self._async.connect() as aconn:
            result = await aconn.run_sync(fn)
            await aconn.commit()
            return result

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision; the first use of a
        database, so one that cannot be used is reported here, plainly."""
        from storage.migrate import upgrade_to_head

        try:
            await self.run_sync(upgrade_to_head)
        except (DBAPIError, OSError) as error:
            raise DatabaseUnusable(_unusable(self.url, error)) from error

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._sqlite is not None:
            self._sqlite.dispose()
        if self._async is not None:
            await self._async.dispose()


@contextmanager
def _transaction_of(session: Session) -> Iterator[None]:
    """Commit the session's open transaction on success, else roll it back."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


# SQLSTATEs of a lost race on PostgreSQL: unique violation, serialization
# failure, deadlock detected.
_CONFLICT_STATES = frozenset({"23505", "40001", "40P01"})
# SQLite's extended result codes for a unique or primary key taken.
_SQLITE_KEY_TAKEN = frozenset({sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY})


def _lost_a_race(driver_error: BaseException | None) -> bool:
    """Whether a driver's error says a concurrent writer won (see is_conflict)."""
    if isinstance(driver_error, sqlite3.Error):
        return getattr(driver_error, "sqlite_errorcode", None) in _SQLITE_KEY_TAKEN
    # SQLAlchemy's asyncpg adapter carries the SQLSTATE, as does asyncpg's own error behind it.
    for candidate in (driver_error, getattr(driver_error, "__cause__", None)):
        if getattr(candidate, "sqlstate", None) in _CONFLICT_STATES:
            return True
    return False


def _is_locked(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text


def _ensure_parent_folder(url: str) -> None:
    """Create a new database file readable by its owner alone (0600), in a
    folder only they may enter (0700) if the folder is new: the file holds
    the Matrix login. SQLite gives its -wal and -shm files the same mode."""
    path = url.split(":///", 1)[-1]
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    folder = Path(path).parent
    try:
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
        if not Path(path).exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as error:
        raise DatabaseUnusable(f"cannot create the database {path}: {error.strerror or error}") from error


def printable_url(url: str) -> str:
    """A database URL fit to print or log: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def _unusable(url: str, error: BaseException) -> str:
    """One line on why a database cannot be used."""
    reason = str(getattr(error, "orig", None) or error).splitlines()[0]
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if "not a database" in reason:
            return f"{path} is not a SQLite database ({reason}); give the path of a database, or of a new file"
        return f"cannot use the database {path}: {reason}"
    return f"cannot use the database {printable_url(url)}: {reason}"


# What to say when a PostgreSQL URL is configured on an install without asyncpg.
POSTGRES_EXTRA = "PostgreSQL needs the postgres extra: pip install 'kenniscafe[postgres]'"


def _async_engine(url: str, echo: bool) -> AsyncEngine:
    """The engine of a server database. asyncpg is an extra
    (``kenniscafe[postgres]``): the dialect imports it only here, so the base
    install runs on SQLite without it and says what to install otherwise."""
    try:
        return create_async_engine(url, echo=echo, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    except ModuleNotFoundError as error:
        if error.name == "asyncpg":
            raise DatabaseUnusable(POSTGRES_EXTRA) from error
        raise DatabaseUnusable(f"the database driver {error.name} is not installed; "
                               "use sqlite:///PATH or postgresql+asyncpg://…") from error
    except ArgumentError as error:
        raise DatabaseUnusable(f"{_scheme(url)} is not a database URL the bot can use "
                               "(sqlite:///PATH or postgresql+asyncpg://USER@HOST/NAME)") from error


def _scheme(url: str) -> str:
    """The part of a URL before ``://`` (never its password), for messages."""
    return repr(url.split("://", 1)[0] + "://…") if "://" in url else "the text given"


def _install_sqlite_recipe(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_INLINE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
