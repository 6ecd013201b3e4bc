"""One database engine for the whole process, with SQLite made safe for writers.

SQLite through SQLAlchemy begins transactions lazily (pysqlite's legacy
behaviour), so "count, then insert" races between writers. We follow
SQLAlchemy's documented pysqlite recipe: switch the driver's own transaction
handling off (``isolation_level = None``) and emit ``BEGIN`` ourselves —
``BEGIN IMMEDIATE`` for write transactions, so the write lock is taken before
the first read and a check-then-write is atomic.

Units of work. :meth:`Database.atomic` opens a scope in which every
``write()`` (and every ``read()`` after the first write) shares one
transaction, begun at the first write and committed when the scope ends. So
the handling of an inbound event — its effect, its claim and its replies'
outbox rows — commits or rolls back as one, although each repository opens
its own ``write()`` block as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

_WRITE_OPTION = "kenniscafe_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections the pool may hand out at once (SQLAlchemy's defaults: 5 + 10).
POOL_SIZE, POOL_OVERFLOW = 5, 10


def sqlite_url_for_path(path: str | Path) -> str:
    """The async SQLAlchemy URL of a SQLite file at ``path``."""
    return f"sqlite+aiosqlite:///{Path(path)}"


@dataclass
class UnitOfWork:
    """The transaction of one :meth:`Database.atomic` scope."""

    db: Database
    session: AsyncSession | None = None
    _resources: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def wrote(self) -> bool:
        """Whether anything was written (the write transaction was begun)."""
        return self.session is not None


_current: ContextVar[UnitOfWork | None] = ContextVar("kenniscafe_unit_of_work", default=None)


class Database:
    """The engine plus read and write sessions; SQLite or PostgreSQL by URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
        if self.is_sqlite:
            _ensure_parent_folder(url)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._writer = self.engine.execution_options(**{_WRITE_OPTION: True})
        # A burst of thousands of messages must queue for a connection, not
        # fail: the pool would give up on a waiter after 30 s, an asyncio
        # semaphore in front of it never does.
        self._sessions = asyncio.Semaphore(POOL_SIZE + POOL_OVERFLOW)
        # SQLite has one write lock per file. Writers of this process queue
        # here, in order, instead of in SQLite's busy handler, which polls
        # with sleeps of up to 100 ms; other processes still meet the busy handler.
        self._write_turn = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            _install_sqlite_recipe(self.engine)

    @asynccontextmanager
    async def read(self, *, detached: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for reading; on SQLite a deferred transaction (no lock).
        Inside a unit of work that has written, its own transaction (so the
        reader sees what the unit wrote), unless ``detached``."""
        unit = None if detached else self._unit()
        if unit is not None and unit.session is not None:
            yield unit.session
            return
        async with self._sessions, AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self, *, detached: bool = False) -> AsyncIterator[AsyncSession]:
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
            session = await self._begin_write(stack)
            yield session

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

    async def _begin_write(self, stack: AsyncExitStack) -> AsyncSession:
        if self._write_turn is not None:
            await stack.enter_async_context(self._write_turn)
        await stack.enter_async_context(self._sessions)
        session = await stack.enter_async_context(AsyncSession(self._writer, expire_on_commit=False))
        await stack.enter_async_context(session.begin())
        return session

    def _unit(self) -> UnitOfWork | None:
        unit = _current.get()
        return unit if unit is not None and unit.db is self else None

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from storage.migrate import upgrade_to_head

        async with self._writer.connect() as conn:
            await conn.run_sync(upgrade_to_head)
            await conn.commit()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _ensure_parent_folder(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_recipe(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writes = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
