"""Scheduled jobs: events remember when their start time was last set, so a
reminder whose moment had already passed when the time was set (a table
opened two hours before it starts gets no "24 hours before" reminder) is
never sent; and indexes for the digest's per-period queries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("time_set_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE event SET time_set_at = created_at")
    op.create_index("ix_comment_created_at", "comment", ["created_at"])
    op.create_index("ix_membership_community_joined", "membership", ["community_id", "joined_at"])


def downgrade() -> None:
    op.drop_index("ix_membership_community_joined", "membership")
    op.drop_index("ix_comment_created_at", "comment")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("time_set_at")
