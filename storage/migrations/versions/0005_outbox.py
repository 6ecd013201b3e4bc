"""The outbox: every message the bot decides to send is stored in the
transaction of that decision and delivered from this table, so a crash, a
restart or a platform outage delays a message but never loses it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=True),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("lane", sa.String(), nullable=False),
        sa.Column("room_id", sa.String(), nullable=True),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("reply_to", sa.String(), nullable=True),
        sa.Column("thread_root", sa.String(), nullable=True),
        sa.Column("target", sa.String(), nullable=True),
        sa.Column("reply_handle", sa.Text(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("attachment_name", sa.String(), nullable=True),
        sa.Column("attachment_type", sa.String(), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("anchor_post_id", sa.Integer(), nullable=True),
        sa.Column("anchor_event_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_ref", sa.String(), nullable=True),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["anchor_event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["anchor_post_id"], ["post.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_outboxmessage_due", "outboxmessage", ["status", "platform", "next_attempt_at"])
    op.create_index("ix_outboxmessage_lease", "outboxmessage", ["lease_owner"])


def downgrade() -> None:
    op.drop_index("ix_outboxmessage_lease", "outboxmessage")
    op.drop_index("ix_outboxmessage_due", "outboxmessage")
    op.drop_table("outboxmessage")
