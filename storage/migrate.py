"""Running Alembic migrations from inside the bot (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL: the advisory lock that lets one process at a time migrate.
MIGRATION_LOCK = 0x4B43_4D49_4752  # "KCMIGR"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations; with ``connection``,
    migrations run on that connection instead of opening their own."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every migration not yet applied, on an open sync connection.

    On PostgreSQL several processes may start at once (or a new version be
    deployed to all of them): the first migrates under a transaction-level
    advisory lock, the others wait for it and then find nothing to do —
    rather than creating the same tables side by side and failing. (SQLite's
    write lock does this already.)"""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), "head")
