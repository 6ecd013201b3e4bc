"""Organizers mark who did not come to a coffee table, for attendance in
the community's stats.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signup") as batch:
        batch.add_column(sa.Column("no_show", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("signup") as batch:
        batch.drop_column("no_show")
