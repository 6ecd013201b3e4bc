"""Sign-ups get a queue number: the waitlist is served in the order the
sign-up transactions committed, which a clock cannot promise across
processes (two machines' clocks disagree; a lock order does not).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signup") as batch:
        batch.add_column(sa.Column("queue_seq", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_index("ix_signup_event_state")
        batch.create_index("ix_signup_event_state_seq", ["event_id", "state", "queue_seq"])


def downgrade() -> None:
    with op.batch_alter_table("signup") as batch:
        batch.drop_index("ix_signup_event_state_seq")
        batch.create_index("ix_signup_event_state", ["event_id", "state", "queued_at"])
        batch.drop_column("queue_seq")
