"""PostgreSQL for benchmarks: the server to use (``KENNISCAFE_BENCH_PG``,
default the one on loopback), statements on it, and databases made for a
benchmark."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg

SERVER_ENV = "KENNISCAFE_BENCH_PG"
# The server's address as asyncpg takes it (a SQLAlchemy "+asyncpg" URL is accepted too).
SERVER = os.environ.get(SERVER_ENV, "postgresql://postgres@127.0.0.1:5432").replace("+asyncpg", "", 1)


def url_of(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the server."""
    return f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://', 1)}/{name}"


async def run_on(name: str, *statements: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Statements on database ``name``, each on its own (outside a
    transaction: VACUUM, CREATE DATABASE); the rows of the last one."""
    conn = await asyncpg.connect(f"{SERVER}/{name}", timeout=5)
    try:
        rows: list[tuple[Any, ...]] = []
        for statement in statements:
            rows = [tuple(row) for row in await conn.fetch(statement, *args)]
        return rows
    finally:
        await conn.close()


async def admin(statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """One statement on the server's ``postgres`` database; its rows."""
    return await run_on("postgres", statement, args=args)


def server_answers() -> str | None:
    """None when the server answers; else why not, in a few words."""
    try:
        asyncio.run(admin("SELECT 1"))
    except (OSError, TimeoutError, asyncpg.PostgresError) as problem:
        return f"no PostgreSQL server at {SERVER} ({problem})"
    return None


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """An empty database ``name`` (made anew), its URL; dropped afterwards."""
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield url_of(name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
