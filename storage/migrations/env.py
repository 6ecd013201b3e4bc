"""Alembic environment: migrations always run on a connection we hand in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.migrations.env_filters import is_modelled

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `kenniscafe migrate`, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=is_modelled,
)
with context.begin_transaction():
    context.run_migrations()
