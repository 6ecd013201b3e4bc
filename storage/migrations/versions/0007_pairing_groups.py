"""Pairing rounds may group three: a pair is unique per round, not a member
(a three is recorded as its three pairs).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OLD_COLUMNS = ["community_id", "round_key", "member_a_id"]
_NEW_COLUMNS = ["community_id", "round_key", "member_a_id", "member_b_id"]
# SQLite's constraint of 0001 has no name: a naming convention gives it one to drop.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _swap(create: list[str], old_pg_name: str, new_name: str) -> None:
    """Replace the table's unique constraint by one over ``create``."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("pairingmatch", naming_convention=_CONVENTION) as batch:
            batch.drop_constraint("uq_pairingmatch_community_id", type_="unique")
            batch.create_unique_constraint(new_name, create)
    else:
        op.drop_constraint(old_pg_name, "pairingmatch", type_="unique")
        op.create_unique_constraint(new_name, "pairingmatch", create)


def upgrade() -> None:
    _swap(_NEW_COLUMNS, "pairingmatch_community_id_round_key_member_a_id_key", "uq_pairingmatch_community_id")


def downgrade() -> None:
    _swap(_OLD_COLUMNS, "uq_pairingmatch_community_id", "uq_pairingmatch_community_id")
