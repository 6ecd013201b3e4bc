"""Every community from one database into another, ids and all:
``kenniscafe migrate-data --from URL --to URL`` (SQLite to PostgreSQL, and
back, or SQLite to SQLite).

Unlike an export (``storage.transfer``: one community, renumbered, without
what belongs to a running bot), this moves the whole database as it is:
every modelled table (``storage.models``, the schema the migrations make),
every row with its id, so outbox rows, ledger keys (``reminder:<event id>:…``),
message anchors and the Matrix sync position stay valid. The search tables
(``search_text``, FTS5's ``post_fts``, the ``search_top_*`` lists; the
hand-written tables of ``storage.migrations.env_filters``) are derived:
they are rebuilt on the target by ``storage.search`` rather than copied,
since each database indexes in its own way (FTS5 and terms on SQLite;
words, a tsvector and a GIN index on PostgreSQL).

The target is brought to the newest schema first and must hold no data.
The copy is one transaction on the target, so a failure leaves it empty.
The source is read in one transaction too (a snapshot: WAL on SQLite,
``REPEATABLE READ`` on PostgreSQL), in primary-key order and in batches.
PostgreSQL's id sequences are set past the copied ids afterwards. Then
both sides are counted, table by table.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy import table as named_table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import Database, DbSession, printable_url
from storage.search import index_posts, rebuild_search_lists
from storage.sql import Sql, dialect_of

# Rows read and written per statement: bounded memory, few round trips.
BATCH = 5_000
# Derived tables whose rows are compared after the rebuild: one per live post.
REBUILT = ("search_text",)


class MigrationRefused(Exception):
    """The data cannot be moved (a bad URL, a missing source, a target that
    holds data, a failed copy); the message says why, in one line."""


@dataclass(frozen=True)
class Count:
    """One table's rows on both sides."""

    table: str
    source: int
    target: int
    rebuilt: bool = False

    @property
    def matches(self) -> bool:
        """Whether both sides hold as many rows."""
        return self.source == self.target


@dataclass
class Moved:
    """What a migration did: the communities, the counts, how long it took."""

    communities: list[str]
    counts: list[Count] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def matches(self) -> bool:
        """Whether every table holds as many rows on the target as on the source."""
        return all(count.matches for count in self.counts)


def tables() -> list[Table]:
    """The modelled tables, each after those it refers to."""
    return list(SQLModel.metadata.sorted_tables)


def database_url(text: str) -> str:
    """The URL as the bot's :class:`Database` takes it: ``sqlite:///PATH``
    or ``postgresql+asyncpg://…`` (a plain ``postgresql://`` gets asyncpg);
    anything else is refused."""
    try:
        url = make_url(text)
    except ArgumentError as error:
        raise MigrationRefused(f"{text.split('://', 1)[0]!r} is not a database URL "
                               "(sqlite:///PATH or postgresql+asyncpg://USER@HOST/NAME)") from error
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise MigrationRefused(f"{text} names no database file (sqlite:///PATH)")
        return url.render_as_string(hide_password=False)
    if backend == "postgresql" and driver in ("asyncpg", "psycopg", "psycopg2"):
        if not url.database:
            raise MigrationRefused(f"{printable_url(text)} names no database (postgresql+asyncpg://USER@HOST/NAME)")
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise MigrationRefused(f"{url.drivername}:// is not a database this bot runs on "
                           "(sqlite:///PATH or postgresql+asyncpg://USER@HOST/NAME)")


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


async def migrate_data(source_url: str, target_url: str, *, batch: int = BATCH) -> Moved:
    """Copy every row of the database at ``source_url`` into the empty one
    at ``target_url`` (migrated first), rebuild search there and count both."""
    source_url, target_url = database_url(source_url), database_url(target_url)
    source_path, target_path = _sqlite_path(source_url), _sqlite_path(target_url)
    if source_path is not None and not source_path.is_file():
        raise MigrationRefused(f"there is no database at {source_path}")
    same_file = source_path is not None and target_path is not None and target_path.exists() \
        and source_path.resolve() == target_path.resolve()
    if same_file or source_url == target_url:
        raise MigrationRefused("the source and the target are the same database")
    started = time.monotonic()
    source = Database(source_url)
    try:
        target = Database(target_url)
    except BaseException:
        await source.dispose()
        raise
    try:
        await source.migrate()
        await target.migrate()
        held = [count for count in await _counts(target, [t.name for t in tables()]) if count[1]]
        if held:
            what = ", ".join(f"{name} {rows}" for name, rows in held[:4])
            raise MigrationRefused(f"{printable_url(target_url)} already holds data ({what}); "
                                   "migrate into an empty database")
        moved = Moved(await _communities(source))
        if not moved.communities:
            raise MigrationRefused(f"{printable_url(source_url)} holds no community: nothing to move")
        try:
            await _copy(source, target, batch)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
            raise MigrationRefused(f"the copy failed and was rolled back, the target holds no data: "
                                   f"{type(error).__name__}: {reason}") from error
        moved.counts = await _compare(source, target)
        moved.seconds = time.monotonic() - started
        return moved
    finally:
        await source.dispose()
        await target.dispose()


async def _copy(source: Database, target: Database, batch: int) -> None:
    """Every modelled table's rows, then the derived search tables, then
    the sequences: one transaction on the target."""
    async with source.read() as reading, target.write() as writing:
        if dialect_of(reading) == "postgresql":
            # One snapshot for every table (must be the transaction's first statement).
            await Sql(reading).run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in tables():
            async for rows in _rows(reading, table, batch):
                await writing.execute(table.insert(), rows)
        await index_posts(await Sql.of(writing))
        await rebuild_search_lists(writing)
        if dialect_of(writing) == "postgresql":
            await _fix_sequences(writing)


async def _rows(session: DbSession, table: Table, batch: int) -> AsyncIterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, ``batch`` at a time (keyset
    pagination: each batch starts after the last key of the one before)."""
    key = list(table.primary_key.columns)
    after: Sequence[Any] | None = None
    while True:
        query = select(table).order_by(*key).limit(batch)
        if after is not None:
            query = query.where(tuple_(*key) > tuple_(*after))
        rows = [dict(row) for row in (await session.execute(query)).mappings().all()]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = [rows[-1][column.name] for column in key]


async def _fix_sequences(session: DbSession) -> None:
    """Set every id sequence past the largest copied id, so the next row
    gets the next number (PostgreSQL does not when ids are given)."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    sql = Sql(session)
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        name, col = quote(table.name), quote(column.name)
        await sql.run(f"SELECT setval(pg_get_serial_sequence(:table, :column), coalesce(max({col}), 1), "
                      f"max({col}) IS NOT NULL) FROM {name}", {"table": name, "column": column.name})


async def _communities(db: Database) -> list[str]:
    async with db.read() as session:
        return [str(row[0]) for row in await (await Sql.of(session)).all("SELECT name FROM community ORDER BY id")]


async def _counts(db: Database, names: Sequence[str]) -> list[tuple[str, int]]:
    """Rows per table, in one transaction."""
    async with db.read() as session:
        return [(name, int((await session.execute(select(func.count()).select_from(named_table(name)))).scalar_one()))
                for name in names]


async def _compare(source: Database, target: Database) -> list[Count]:
    counted = [*(table.name for table in tables()), *REBUILT]
    sides = zip(await _counts(source, counted), await _counts(target, counted), strict=True)
    return [Count(name, before, after, rebuilt=name in REBUILT) for (name, before), (_, after) in sides]
