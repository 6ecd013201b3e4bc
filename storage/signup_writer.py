"""Running the sign-up rules: batched on SQLite, row-locked on PostgreSQL.

On SQLite every write transaction takes the database's one write lock, so
throughput is decided by how much each transaction costs. One writer thread
owns a plain ``sqlite3`` connection and applies every request that queued up
while the previous batch ran in a single ``BEGIN IMMEDIATE`` transaction,
each request in order (a failing request is retried alone, so it fails
alone). Many processes may share the file: each batch still
holds the lock for its whole transaction, so their decisions serialize.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.domain import SignupResult
from storage.engine import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.signups import SignupRequest, SignupRules

_SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


class SignupRunner(Protocol):
    """Applies a sign-up request in a transaction of its own or a batch's."""

    async def submit(self, request: SignupRequest) -> SignupResult:
        """Apply ``request``; its result once committed."""
        ...

    async def close(self) -> None:
        """Finish what is queued and release the connection."""
        ...


class Sqlite3Sql:
    """The rules' query interface on a stdlib sqlite3 connection."""

    lock_suffix = ""  # BEGIN IMMEDIATE already holds the write lock

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, **params: Any) -> None:
        self.conn.execute(sql, params)

    def stamp(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).strftime(_SQLITE_STAMP)

    def read_stamp(self, value: Any) -> datetime:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


class BatchingSqliteRunner:
    """One writer thread; requests queued meanwhile share a transaction."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signup-writer")
        self._conn: sqlite3.Connection | None = None
        self._pending: list[tuple[SignupRequest, asyncio.Future[SignupResult]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def submit(self, request: SignupRequest) -> SignupResult:
        """Queue ``request`` for the next batch and wait for its result."""
        future: asyncio.Future[SignupResult] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def close(self) -> None:
        """Finish queued batches, then close the connection in its thread."""
        if self._flushing is not None:
            await self._flushing
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    results = await loop.run_in_executor(self._executor, self._apply, [r for r, _ in batch])
                except Exception as error:  # noqa: BLE001 - the commit failed: every request of the batch learns why
                    results = [error] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._flushing = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._conn = conn
        return self._conn

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _apply(self, requests: list[SignupRequest]) -> list[SignupResult | Exception]:
        """All requests in one transaction; should one of them fail, the batch
        is undone and each request retried in a transaction of its own, so
        the failure stays with its request (rare, so the fast path carries
        no savepoints)."""
        conn = self._connection()
        try:
            return list(self._transaction(conn, requests))
        except Exception:  # noqa: BLE001 - retried one by one below, where it is reported per request
            results: list[SignupResult | Exception] = []
            for request in requests:
                try:
                    results.extend(self._transaction(conn, [request]))
                except Exception as error:  # noqa: BLE001 - handed to that request's caller
                    results.append(error)
            return results

    @staticmethod
    def _transaction(conn: sqlite3.Connection, requests: list[SignupRequest]) -> list[SignupResult]:
        rules = SignupRules(Sqlite3Sql(conn))
        conn.execute("BEGIN IMMEDIATE")
        try:
            results = [rules.apply(request) for request in requests]
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return results


class _AlchemySql:
    """The rules' query interface on a SQLAlchemy connection (PostgreSQL)."""

    lock_suffix = " FOR UPDATE"  # lock the event row: writers of one event queue up

    def __init__(self, session: Session) -> None:
        self.session = session

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.session.execute(text(sql), params)]

    def run(self, sql: str, **params: Any) -> None:
        self.session.execute(text(sql), params)

    def stamp(self, moment: datetime) -> Any:
        return moment

    def read_stamp(self, value: Any) -> datetime:
        moment: datetime = value
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class TransactionPerRequestRunner:
    """Each request in its own transaction, with the event row locked."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def submit(self, request: SignupRequest) -> SignupResult:
        """Apply ``request`` in a transaction of its own."""
        async with self._db.write() as session:
            return await session.run_sync(lambda sync: SignupRules(_AlchemySql(sync)).apply(request))

    async def close(self) -> None:
        """Nothing to release: the engine's pool belongs to the database."""


def signup_runner(db: Database) -> SignupRunner:
    """The runner that suits the database: batched on a SQLite file."""
    if db.is_sqlite:
        return BatchingSqliteRunner(db.url.split(":///", 1)[1])
    return TransactionPerRequestRunner(db)
