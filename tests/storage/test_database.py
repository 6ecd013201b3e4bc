"""The database layer: migrations on SQLite and PostgreSQL, and safe writers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.domain import NewPost
from bot.incoming import Actor
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path
from storage.repositories.archive import SqlArchive
from storage.repositories.directory import SqlDirectory
from tests.conftest import migrated


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated database of each supported kind."""
    url = (sqlite_url_for_path(tmp_path / "kc.db") if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    async with migrated(url) as db:
        yield db


async def test_migrations_create_every_table_and_are_idempotent(database: Database) -> None:
    await database.migrate()  # a second run changes nothing and does not fail
    async with database.read() as session:
        if database.is_sqlite:
            names = (await session.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))).scalars().all()
        else:
            names = (
                await session.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema='public'"))
            ).scalars().all()
    for table in ("community", "member", "identity", "membership", "post", "tag", "posttag", "postlink",
                  "reaction", "comment", "event", "signup", "eventinterest", "outboundledger",
                  "processedinbound", "adapterstate", "messageanchor", "linkcode", "pairingmatch"):
        assert table in names


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(sqlite_url_for_path(tmp_path / "kc.db"))
    await db.migrate()
    async with db.read() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await db.dispose()


async def test_concurrent_posts_get_distinct_consecutive_numbers(database: Database) -> None:
    clock = SystemClock()
    directory = SqlDirectory(database, clock)
    community = await directory.ensure_community("Kenniscafé", "Europe/Amsterdam", "en")
    author = await directory.ensure_member(community.id, Actor("console", "rene", "rene"))
    archive = SqlArchive(database, clock)

    async def write(i: int) -> int:
        saved = await archive.create_post(
            NewPost(community.id, author.id, f"Post {i}", "body", ("load",), (), datetime.now(UTC))
        )
        return saved.number

    numbers = await asyncio.gather(*(write(i) for i in range(40)))
    assert sorted(numbers) == list(range(1, 41))
    assert (await archive.tag_counts(community.id)) == [("load", 40)]


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    """Every model change comes with its migration (autogenerate finds nothing)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from storage.migrations.env_filters import is_modelled

    db = Database(sqlite_url_for_path(tmp_path / "drift.db"))
    await db.migrate()

    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"include_object": is_modelled})  # type: ignore[arg-type]
        return list(compare_metadata(context, SQLModel.metadata))

    diff = await db.run_sync(differences)
    await db.dispose()
    assert diff == []


async def test_processes_starting_together_migrate_an_empty_database_once(database_url: str) -> None:
    """Three bot processes started at the same moment on an empty database
    (or a new version deployed to all): one migrates, the others wait and
    find the schema current — none fails."""
    databases = [Database(database_url) for _ in range(3)]
    try:
        # (Unserialized, PostgreSQL's DDL from three sessions deadlocks or fails.)
        await asyncio.wait_for(asyncio.gather(*(db.migrate() for db in databases)), 60)
        async with databases[0].read() as session:
            versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        for db in databases:
            await db.dispose()
    assert len(versions) == 1
