"""FTS5's own ranking, shared by the query planner and the top lists."""

from __future__ import annotations

from typing import Any

from storage.search.scoring import BODY_WEIGHT, TITLE_WEIGHT
from storage.search.sql import ROW_COLUMNS, TEXT_JOIN, Filter
from storage.sql import Sql


async def top_by_bm25(
    sql: Sql, query: str, flt: Filter, wanted: int, *, with_text: bool = False
) -> list[tuple[Any, ...]]:
    """The ``wanted`` best posts for an FTS5 ``query`` that pass ``flt``,
    ranked by FTS5's bm25 (ties: newer first): (id,) rows, or (id, title,
    body) of their indexed text ``with_text``.

    Ranks inside FTS5 first and looks up only the top posts: joining every
    match to ``post`` costs ~3 µs per match in page reads, more than the
    ranking. Only if filters (tag, author, other communities) reject some of
    those posts does it rank again with the filters applied to every match.
    """
    ranked = "bm25(post_fts, :title_weight, :body_weight)"
    columns, join = (ROW_COLUMNS, TEXT_JOIN) if with_text else ("p.id", "")
    # (The filters are the LEFT JOIN's condition: a top post that fails them
    # comes back with a NULL p.id.)
    outer_join = " LEFT" + join if with_text else ""
    params = {
        **flt.params(),
        "query": query,
        "title_weight": TITLE_WEIGHT,
        "body_weight": BODY_WEIGHT,
        "wanted": wanted,
    }
    first = await sql.all(
        f"SELECT p.id IS NOT NULL AS ok, {columns} FROM"
        f" (SELECT rowid AS id, {ranked} AS score FROM post_fts"
        "   WHERE post_fts MATCH :query ORDER BY score, rowid DESC LIMIT :wanted) AS m"
        " LEFT JOIN post AS p ON p.id = m.id" + flt.sql() + outer_join
        + " ORDER BY m.score, m.id DESC",
        params,
    )
    if len(first) < wanted or all(row[0] for row in first):
        # FTS5 has no more matches, or every top match passed the filters.
        return [row[1:] for row in first if row[0]]
    # CROSS JOIN keeps FTS5 as the outer loop: the planner must never probe
    # FTS5 once per post (every probe would recount the terms' postings).
    return await sql.all(
        f"SELECT {columns} FROM post_fts CROSS JOIN post AS p ON p.id = post_fts.rowid"
        + join + " WHERE post_fts MATCH :query" + flt.sql()
        + f" ORDER BY {ranked}, p.id DESC LIMIT :wanted",
        params,
    )
