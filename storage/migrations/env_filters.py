"""What Alembic's autogenerate compares: the modelled tables only.

The search tables are hand-written SQL (FTS5, the text it indexes and the
derived lists), not models, so autogenerate must not propose dropping them."""

from __future__ import annotations

_HAND_WRITTEN = ("post_fts", "search_text", "search_top_")


def is_modelled(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """False for the hand-written search tables."""
    return not (type_ == "table" and name is not None and name.startswith(_HAND_WRITTEN))
