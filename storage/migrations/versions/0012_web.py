"""The web pages: one-time sign-in links and browser sessions (hashes only),
post views per member per day, a calendar feed secret per member, a
sequence number on events that every change raises (iCalendar SEQUENCE),
and an index of removed posts (the tag list of every archive page).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite adds and drops such columns itself): rebuilding
    # these tables, as batch mode would, trips over the foreign keys to them.
    op.add_column("event", sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("member", sa.Column("calendar_token", sa.String(), nullable=True))
    op.create_index("ix_member_calendar_token", "member", ["calendar_token"], unique=True)
    # Tag counts over live posts look up the (few) removed ones instead of every post.
    op.create_index("ix_post_removed", "post", ["id"], sqlite_where=sa.text("removed_at IS NOT NULL"),
                    postgresql_where=sa.text("removed_at IS NOT NULL"))
    op.create_table(
        "websignin",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_websignin_member_id", "websignin", ["member_id"])
    op.create_table(
        "websession",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_websession_member_id", "websession", ["member_id"])
    op.create_index("ix_websession_expires_at", "websession", ["expires_at"])
    op.create_table(
        "postview",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), primary_key=True),
        sa.Column("day", sa.String(), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("postview")
    op.drop_index("ix_websession_expires_at", "websession")
    op.drop_index("ix_websession_member_id", "websession")
    op.drop_table("websession")
    op.drop_index("ix_websignin_member_id", "websignin")
    op.drop_table("websignin")
    op.drop_index("ix_post_removed", "post")
    op.drop_index("ix_member_calendar_token", "member")
    op.drop_column("member", "calendar_token")
    op.drop_column("event", "sequence")
