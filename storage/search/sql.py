"""SQL shared by every path: running statements, the filters every
candidate passes, the newest posts, and which database we are on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_of(session: AsyncSession) -> str:
    """The name of the session's database dialect ("sqlite", "postgresql")."""
    return session.get_bind().dialect.name


@dataclass(frozen=True)
class Filter:
    """What a post must be to be found: in the community, not removed, and
    carrying the tag and written by the author when those are given."""

    community_id: int
    tag: str | None
    author_id: int | None

    def sql(self) -> str:
        """Conditions on ``post AS p``: the community, not removed, filters.
        Every path applies them to every candidate, whatever proposed it."""
        sql = " AND p.community_id = :community_id AND p.removed_at IS NULL"
        if self.author_id is not None:
            sql += " AND p.author_id = :author_id"
        if self.tag is not None:
            # Checked per candidate through posttag's primary key; the tag id
            # is an uncorrelated subquery, evaluated once.
            sql += (
                " AND EXISTS (SELECT 1 FROM posttag AS pt WHERE pt.post_id = p.id"
                " AND pt.tag_id = (SELECT t.id FROM tag AS t"
                " WHERE t.community_id = :community_id AND t.name = :tag))"
            )
        return sql

    def params(self) -> dict[str, Any]:
        """The parameters ``sql()`` refers to."""
        params: dict[str, Any] = {"community_id": self.community_id}
        if self.author_id is not None:
            params["author_id"] = self.author_id
        if self.tag is not None:
            params["tag"] = self.tag
        return params


class Sql:
    """Runs SQL on the session's connection, inside its transaction.

    On aiosqlite it hands each statement to the driver itself: one round
    trip to the driver's thread instead of the four SQLAlchemy's adapter
    makes (cursor, execute, fetch, close: 0.13 against 0.58 ms here). That
    difference is most of what a search costs, and it doubles whenever the
    machine is busy. Elsewhere (PostgreSQL, other drivers) it goes through
    SQLAlchemy. Statements use ``:name`` parameters, which both accept."""

    def __init__(self, session: AsyncSession, driver: Any = None) -> None:
        self.session = session
        self._driver = driver

    @classmethod
    async def of(cls, session: AsyncSession) -> Sql:
        """The fastest way to run SQL on ``session``'s connection."""
        if dialect_of(session) != "sqlite":
            return cls(session)
        # Pending ORM changes must reach the database before we read it past
        # SQLAlchemy; and taking the connection begins the transaction.
        await session.flush()
        raw = await (await session.connection()).get_raw_connection()
        driver = raw.driver_connection
        if callable(getattr(driver, "execute_fetchall", None)) and callable(
            getattr(driver, "executemany", None)
        ):
            return cls(session, driver)
        return cls(session)

    async def all(self, statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query, as tuples."""
        if self._driver is not None:
            return [tuple(row) for row in await self._driver.execute_fetchall(statement, params or {})]
        result = await self.session.execute(text(statement), params or {})
        return [tuple(row) for row in result.all()]

    async def run(self, statement: str, params: dict[str, Any] | None = None) -> None:
        """A statement without rows."""
        if self._driver is not None:
            await self._driver.execute_fetchall(statement, params or {})
        else:
            await self.session.execute(text(statement), params or {})

    async def many(self, statement: str, rows: list[dict[str, Any]]) -> None:
        """A statement once per row of parameters."""
        if not rows:
            return
        if self._driver is not None:
            cursor = await self._driver.executemany(statement, rows)
            await cursor.close()
        else:
            await self.session.execute(text(statement), rows)


async def newest_rows(sql: Sql, flt: Filter, limit: int, columns: str) -> list[tuple[Any, ...]]:
    """The newest posts passing the filters (portable SQL)."""
    if flt.tag is not None:
        # Start from the tag's posts (usually few) rather than walking the
        # whole community newest-first until enough of them carry the tag.
        query = (
            f"SELECT {columns} FROM tag AS t"
            " JOIN posttag AS pt ON pt.tag_id = t.id"
            " JOIN post AS p ON p.id = pt.post_id"
            " WHERE t.community_id = :community_id AND t.name = :tag"
            " AND p.community_id = :community_id AND p.removed_at IS NULL"
            + (" AND p.author_id = :author_id" if flt.author_id is not None else "")
        )
    else:
        query = f"SELECT {columns} FROM post AS p WHERE 1 = 1" + flt.sql()
    query += " ORDER BY p.created_at DESC, p.id DESC LIMIT :limit"
    return await sql.all(query, {**flt.params(), "limit": limit})
