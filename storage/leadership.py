"""Leadership: which one of several processes sharing a database does work
that only one may do at a time (syncing a Matrix account).

Every process runs an :class:`Election` for the same name; the one that
holds its lock leads, the others try again every :data:`RETRY_SECONDS`.

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``)
  on a connection of its own, held open for as long as the process leads.
  The server releases a session lock when the session ends, so when the
  leader dies (even by SIGKILL: its kernel closes the socket) the lock is
  free at once and a follower takes it at its next try. The leader looks at
  its connection every :data:`CHECK_SECONDS` and gives up leading when the
  connection fails or does not answer within :data:`CHECK_TIMEOUT`: the
  server may already have let another process take the lock, and two
  processes syncing side by side is what this is for. The server is asked to
  probe the leader's TCP connection with keepalives, so a leader cut off by
  the network (no FIN, no RST) lets go on the server's side within seconds,
  not the operating system's default two hours. The lock needs a real
  session: a pooler in transaction mode (PgBouncer ``pool_mode =
  transaction``) would break it.
- **SQLite** (processes on one machine): ``flock`` on a lock file next to
  the database file. The kernel releases it when the process dies, so the
  take-over works as on PostgreSQL. ``flock`` (not ``fcntl``/POSIX locks,
  which belong to the whole process) conflicts between two opens of the file
  in one process too, which the tests use. Not for a database on a network
  file system, where SQLite itself is not safe either.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from contextlib import suppress
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from storage.engine import Database

log = logging.getLogger(__name__)

# How often a follower tries to take the lock: the longest a dead leader's
# work waits for a successor, beyond the successor's own start.
RETRY_SECONDS = 1.0
# How often the leader makes sure its lock connection still works, and how
# long that may take before it counts as lost.
CHECK_SECONDS = 2.0
CHECK_TIMEOUT = 3.0
# Opening the lock connection may take this long before the try counts as lost.
CONNECT_TIMEOUT = 5.0
# Server-side TCP keepalive on the lock connection: idle seconds before the
# first probe, seconds between probes, probes missed before the server drops
# the session (and with it the lock).
_KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL's advisory lock
    keys are bigints). Python's ``hash()`` is salted per process, so two
    processes would never agree on it."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Election(Protocol):
    """One process's part in the election for ``name``."""

    name: str

    @property
    def leading(self) -> bool:
        """Whether this process holds the lock (as far as it last knew)."""
        ...

    async def try_lead(self) -> bool:
        """Take the lock if it is free; whether this process leads now.
        Never raises for a database or file problem: that is a lost try."""
        ...

    async def lost(self) -> None:
        """Return when this process no longer leads (its lock connection
        failed, say); keeps checking until then. Call it only while leading."""
        ...

    async def resign(self) -> None:
        """Let go of the lock, so another process can lead."""
        ...

    async def close(self) -> None:
        """Resign and release every resource."""
        ...


def election_for(db: Database, name: str, *, check_seconds: float = CHECK_SECONDS) -> Election:
    """The election for ``name`` among the processes that use ``db``."""
    if not db.is_sqlite:
        return AdvisoryLockElection(db.url, name, check_seconds=check_seconds)
    return FileLockElection(lock_file_for(_sqlite_path(db.url), name), name, check_seconds=check_seconds)


def lock_file_for(database: Path, name: str) -> Path:
    """The lock file of election ``name`` next to the SQLite file ``database``."""
    return database.with_name(f"{database.name}.lock-{lock_key(name) & 0xFFFF_FFFF_FFFF_FFFF:016x}")


def _sqlite_path(url: str) -> Path:
    """The file of a SQLite URL (the database class takes no database in memory)."""
    database = make_url(url).database or ""
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


class AdvisoryLockElection:
    """The election on PostgreSQL: a session advisory lock on a connection of
    its own (see the module docstring)."""

    def __init__(self, url: str, name: str, *, check_seconds: float = CHECK_SECONDS,
                 check_timeout: float = CHECK_TIMEOUT) -> None:
        self.name = name
        self.key = lock_key(name)
        self.check_seconds = check_seconds
        self.check_timeout = check_timeout
        # No pool: the connection is this election's alone, and closing it
        # must really end the session (a pool would keep it, lock and all).
        self._engine = create_async_engine(url, poolclass=NullPool, connect_args={
            "server_settings": {"application_name": f"kenniscafe election {name}"[:63], **_KEEPALIVE},
        })
        self._conn: AsyncConnection | None = None
        self._pid: int | None = None
        self._leading = False
        self._failing = False  # a failed try was logged; say when it works again

    @property
    def leading(self) -> bool:
        """Whether this process holds the lock (as far as it last knew)."""
        return self._leading

    @property
    def backend_pid(self) -> int | None:
        """The server process of the lock connection (for tests and operators)."""
        return self._pid

    async def try_lead(self) -> bool:
        """Take the advisory lock if it is free; whether this process leads now."""
        if self._leading:
            return True
        try:
            conn = await self._connection()
            won = await asyncio.wait_for(
                conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}), self.check_timeout)
        except Exception as error:  # noqa: BLE001 - a try that fails is a try lost; the next one reconnects
            # A try cut short may have taken the lock on the server: closing
            # the session is the one way to be sure it is not held unseen.
            await self._drop()
            if not self._failing:
                log.warning("election %s: cannot reach the database (%s); trying again", self.name,
                            type(error).__name__)
            self._failing = True
            return False
        if self._failing:
            log.info("election %s: the database answers again", self.name)
            self._failing = False
        self._leading = bool(won)
        return self._leading

    async def lost(self) -> None:
        """Return when the lock connection fails, does not answer in time, or
        no longer holds the lock; looked at every ``check_seconds``."""
        while self._leading:
            await asyncio.sleep(self.check_seconds)
            if not self._leading:
                return
            problem = await self._check()
            if problem is not None:
                log.warning("election %s: %s; no longer leading", self.name, problem)
                await self._drop()

    async def _check(self) -> str | None:
        """None while the lock connection answers and holds the lock, else what is wrong."""
        if self._conn is None:
            return "the lock connection is gone"
        try:
            held = await asyncio.wait_for(self._conn.scalar(_HOLDS_LOCK, _key_parts(self.key)), self.check_timeout)
        except TimeoutError:
            return f"the lock connection did not answer within {self.check_timeout:.0f} s"
        except Exception as error:  # noqa: BLE001 - whatever it is, the lock cannot be counted on
            return f"the lock connection failed ({type(error).__name__})"
        return None if held else "the lock is no longer held by this session"

    async def resign(self) -> None:
        """Let go of the lock by ending the session: the server releases
        every lock of a session that ends, and a fresh connection for the
        next try costs little next to a lock left behind by an unlock that
        failed."""
        await self._drop()

    async def close(self) -> None:
        """Resign and dispose of the connection's engine."""
        await self._drop()
        await self._engine.dispose()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await asyncio.wait_for(self._engine.connect(), CONNECT_TIMEOUT)
            # Autocommit: the session lock outlives transactions anyway, and a
            # session left "idle in transaction" could be ended by the server
            # (idle_in_transaction_session_timeout), lock and all.
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            self._pid = await self._conn.scalar(text("SELECT pg_backend_pid()"))
        return self._conn

    async def _drop(self) -> None:
        """Close the lock connection, whatever state it is in (ends the session)."""
        conn, self._conn, self._pid = self._conn, None, None
        self._leading = False
        if conn is None:
            return
        with suppress(Exception):
            # Invalidated: SQLAlchemy must not try to reset a connection that
            # may be broken or busy with a query cut short; bounded, since a
            # peer that vanished may never answer the goodbye.
            await asyncio.wait_for(conn.invalidate(), 2.0)
        with suppress(Exception):
            await asyncio.wait_for(conn.close(), 2.0)


# Whether this session holds the advisory lock whose bigint key is split into
# its high (classid) and low (objid) 32 bits, as pg_locks shows it.
_HOLDS_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND objsubid = 1 AND classid::bigint = :high AND objid::bigint = :low)"
)


def _key_parts(key: int) -> dict[str, int]:
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}


class FileLockElection:
    """The election on SQLite: ``flock`` on a lock file next to the database
    (see the module docstring). The file stays; its content says which
    process leads, for people."""

    def __init__(self, path: Path, name: str, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.name = name
        self.path = path
        self.check_seconds = check_seconds
        self._fd: int | None = None
        self._failing = False

    @property
    def leading(self) -> bool:
        """Whether this process holds the lock file."""
        return self._fd is not None

    async def try_lead(self) -> bool:
        """Lock the file if no other process (or election) has it locked."""
        if self._fd is not None:
            return True
        try:
            # Close-on-exec: a child process must not inherit (and keep) the lock.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            if not self._failing:
                log.warning("election %s: cannot open %s (%s); trying again", self.name, self.path,
                            error.strerror or error)
            self._failing = True
            return False
        self._failing = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        # Locked, but the file may have been removed or replaced between the
        # open and the lock (by someone tidying up): a lock on a file nobody
        # else can open again leads nothing.
        if not self._still_the_file(fd):
            os.close(fd)
            return False
        with suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} leads {self.name}\n".encode())
        self._fd = fd
        return True

    async def lost(self) -> None:
        """Return if the lock file is removed or replaced (another process
        could then lock a new file of that name); looked at every
        ``check_seconds``. The kernel keeps the lock itself while we live."""
        while self._fd is not None:
            await asyncio.sleep(self.check_seconds)
            if self._fd is not None and not self._still_the_file(self._fd):
                log.warning("election %s: the lock file %s was removed or replaced; no longer leading",
                            self.name, self.path)
                await self.resign()

    async def resign(self) -> None:
        """Unlock by closing the file."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with suppress(OSError):
                os.close(fd)

    async def close(self) -> None:
        """Resign (the file stays for the next process)."""
        await self.resign()

    def _still_the_file(self, fd: int) -> bool:
        try:
            mine, named = os.fstat(fd), os.stat(self.path)
        except OSError:
            return False
        return (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)
