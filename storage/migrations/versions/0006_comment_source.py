"""Comments remember the chat message they came from, so that editing that
message edits the comment (posts already remember theirs).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comment") as batch:
        batch.add_column(sa.Column("source_platform", sa.String(), nullable=True))
        batch.add_column(sa.Column("source_room", sa.String(), nullable=True))
        batch.add_column(sa.Column("source_message_id", sa.String(), nullable=True))
    op.create_index("ix_comment_source", "comment", ["source_platform", "source_message_id"])


def downgrade() -> None:
    op.drop_index("ix_comment_source", "comment")
    with op.batch_alter_table("comment") as batch:
        batch.drop_column("source_message_id")
        batch.drop_column("source_room")
        batch.drop_column("source_platform")
