"""SQL shared by every search path: the filters every candidate passes, the
indexed text of a post, and the newest posts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.sql import Sql


@dataclass(frozen=True)
class Filter:
    """What a post must be to be found: in the community, not removed, and
    carrying the tag and written by the author when those are given."""

    community_id: int
    tag: str | None
    author_id: int | None

    def sql(self) -> str:
        """Conditions on ``post AS p``: the community, not removed, filters.
        Every path applies them to every candidate, whatever proposed it."""
        sql = " AND p.community_id = :community_id AND p.removed_at IS NULL"
        if self.author_id is not None:
            sql += " AND p.author_id = :author_id"
        if self.tag is not None:
            # Checked per candidate through posttag's primary key; the tag id
            # is an uncorrelated subquery, evaluated once.
            sql += (
                " AND EXISTS (SELECT 1 FROM posttag AS pt WHERE pt.post_id = p.id"
                " AND pt.tag_id = (SELECT t.id FROM tag AS t"
                " WHERE t.community_id = :community_id AND t.name = :tag))"
            )
        return sql

    def params(self) -> dict[str, Any]:
        """The parameters ``sql()`` refers to."""
        params: dict[str, Any] = {"community_id": self.community_id}
        if self.author_id is not None:
            params["author_id"] = self.author_id
        if self.tag is not None:
            params["tag"] = self.tag
        return params


# The indexed text of ``post AS p`` (what FTS5 indexed and we score), as ``s``.
TEXT_JOIN = " JOIN search_text AS s ON s.post_id = p.id"
# (id, title terms, body terms) of ``post AS p`` joined by TEXT_JOIN.
ROW_COLUMNS = "p.id, s.title, s.body"


async def newest_rows(
    sql: Sql, flt: Filter, limit: int, columns: str, join: str = ""
) -> list[tuple[Any, ...]]:
    """The newest posts passing the filters (portable SQL); ``join`` is
    added after ``post AS p`` (TEXT_JOIN to read ROW_COLUMNS)."""
    if flt.tag is not None:
        # Start from the tag's posts (usually few) rather than walking the
        # whole community newest-first until enough of them carry the tag.
        query = (
            f"SELECT {columns} FROM tag AS t"
            " JOIN posttag AS pt ON pt.tag_id = t.id"
            " JOIN post AS p ON p.id = pt.post_id" + join
            + " WHERE t.community_id = :community_id AND t.name = :tag"
            " AND p.community_id = :community_id AND p.removed_at IS NULL"
            + (" AND p.author_id = :author_id" if flt.author_id is not None else "")
        )
    else:
        query = f"SELECT {columns} FROM post AS p{join} WHERE 1 = 1" + flt.sql()
    query += " ORDER BY p.created_at DESC, p.id DESC LIMIT :limit"
    return await sql.all(query, {**flt.params(), "limit": limit})
