"""Raw SQL on a session's connection, inside its transaction, as fast as
the database allows; and timestamps as the dialect stores them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from storage.engine import DbSession, InlineSession

# How SQLAlchemy stores a DateTime on SQLite (raw SQL must match it to compare).
SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"


def dialect_of(session: DbSession) -> str:
    """The name of the session's database dialect ("sqlite", "postgresql")."""
    return session.get_bind().dialect.name


def stamp(session: DbSession, moment: datetime) -> object:
    """A timestamp for raw SQL, as SQLAlchemy's column type would store it."""
    if dialect_of(session) == "sqlite":
        return moment.astimezone(UTC).strftime(SQLITE_STAMP)
    return moment


def read_stamp(value: datetime | str) -> datetime:
    """A stored timestamp read back by raw SQL, as an aware UTC datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Sql:
    """Runs SQL on the session's connection, inside its transaction.

    On SQLite it hands each statement to the driver's connection itself,
    past SQLAlchemy's statement handling (8 µs against some 130 µs a
    statement here): that difference is most of what a search costs.
    Elsewhere (PostgreSQL) it goes through SQLAlchemy. Statements use
    ``:name`` parameters, which both accept."""

    def __init__(self, session: DbSession, driver: sqlite3.Connection | None = None) -> None:
        self.session = session
        self._driver = driver

    @classmethod
    async def of(cls, session: DbSession) -> Sql:
        """The fastest way to run SQL on ``session``'s connection."""
        if isinstance(session, InlineSession):
            # Pending ORM changes reach the database first; taking the
            # connection begins the transaction.
            return cls(session, session.raw_connection())
        return cls(session)

    async def all(self, statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query, as tuples."""
        if self._driver is not None:
            return [tuple(row) for row in self._driver.execute(statement, params or {}).fetchall()]
        result = await self.session.execute(text(statement), params or {})
        return [tuple(row) for row in result.all()]

    async def dicts(self, statement: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a query, as dicts by column name."""
        if self._driver is not None:
            cursor = self._driver.execute(statement, params or {})
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        result = await self.session.execute(text(statement), params or {})
        return [dict(row._mapping) for row in result]

    async def run(self, statement: str, params: dict[str, Any] | None = None) -> None:
        """A statement without rows."""
        if self._driver is not None:
            self._driver.execute(statement, params or {})
        else:
            await self.session.execute(text(statement), params or {})

    async def many(self, statement: str, rows: list[dict[str, Any]]) -> None:
        """A statement once per row of parameters."""
        if not rows:
            return
        if self._driver is not None:
            self._driver.executemany(statement, rows)
        else:
            await self.session.execute(text(statement), rows)
