"""Top lists of common terms (tables ``search_top_list`` /
``search_top_entry``, migration 0002): build one, keep them in step with
writes (``post_written``), rebuild them all (``rebuild_search_lists``).

The invariant they keep is described in the package docstring.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlalchemy.exc import OperationalError

from storage.engine import DbSession
from storage.search.fts import top_by_bm25
from storage.search.scoring import BODY_WEIGHT, TITLE_WEIGHT, IndexStats, decode_stats, impact
from storage.search.sql import Filter
from storage.search.tokens import fts_phrase, tokens_of
from storage.search.tuning import DEFAULT_TUNING, SearchTuning
from storage.sql import Sql, dialect_of

_AVERAGES_SQL = "SELECT block FROM post_fts_data WHERE id = 1"
_INSERT_LIST = (
    "INSERT INTO search_top_list"
    " (community_id, term, capacity, complete, doc_count, row_count, avgdl)"
    " VALUES (:community_id, :term, :capacity, :complete, :doc_count, :row_count, :avgdl)"
)
_INSERT_ENTRY = (
    "INSERT INTO search_top_entry (community_id, term, post_id, impact, frequency, doclen)"
    " VALUES (:community_id, :term, :post_id, :impact, :frequency, :doclen)"
)
_REBUILD_BATCH = 20_000


async def post_written(session: DbSession, post_id: int) -> None:
    """Bring the top lists in step after post ``post_id`` was inserted,
    edited, soft-deleted or restored. Call it in the transaction that wrote
    the post. Two to four small statements (p95 ~2-3 ms on 200k posts);
    no-op off SQLite."""
    if dialect_of(session) != "sqlite":
        return
    sql = await Sql.of(session)
    found = await sql.all(
        "SELECT p.community_id, p.title, p.body, p.removed_at IS NOT NULL,"
        " EXISTS (SELECT 1 FROM search_top_entry AS e WHERE e.post_id = p.id)"
        " FROM post AS p WHERE p.id = :id",
        {"id": post_id},
    )
    if not found or found[0][4]:
        # An edit may have dropped a term or changed its weight, a removal
        # takes the post out: its old entries go, and it is re-admitted below.
        await sql.run("DELETE FROM search_top_entry WHERE post_id = :id", {"id": post_id})
    if not found or found[0][3]:
        return
    community_id, title, body = found[0][:3]
    title_tokens, body_tokens = tokens_of(title), tokens_of(body)
    frequencies: dict[bytes, float] = {}
    for token in title_tokens:
        frequencies[token] = frequencies.get(token, 0.0) + TITLE_WEIGHT
    for token in body_tokens:
        frequencies[token] = frequencies.get(token, 0.0) + BODY_WEIGHT
    if not frequencies:
        return
    lists = await sql.all(
        "SELECT l.term, l.capacity, l.complete, l.avgdl, l.size,"
        " (SELECT e.impact FROM search_top_entry AS e"
        "   WHERE e.community_id = l.community_id AND e.term = l.term"
        "   ORDER BY e.impact, e.post_id LIMIT 1),"
        " (SELECT e.post_id FROM search_top_entry AS e"
        "   WHERE e.community_id = l.community_id AND e.term = l.term"
        "   ORDER BY e.impact, e.post_id LIMIT 1)"
        " FROM search_top_list AS l"
        " WHERE l.community_id = :community_id"
        " AND l.term IN (SELECT value FROM json_each(:terms))",
        {
            "community_id": community_id,
            "terms": json.dumps([token.decode("utf-8") for token in frequencies]),
        },
    )
    doclen = len(title_tokens) + len(body_tokens)
    # The invariant that makes a list's first ``size`` posts the true best:
    # every post outside an incomplete list scores at most as much as every
    # post in it. A complete list has nobody outside.
    admitted: list[dict[str, Any]] = []
    incomplete: list[dict[str, Any]] = []
    for term, capacity, complete, avgdl, size, weakest_impact, weakest_post in lists:
        frequency = frequencies[term.encode("utf-8")]
        # On the list's own scale, comparable with its other entries.
        post_impact = impact(frequency, doclen, avgdl)
        key = {"community_id": community_id, "term": term}
        entry = {**key, "post_id": post_id, "impact": post_impact, "frequency": frequency,
                 "doclen": doclen}
        # Same order as ranking: higher impact first, newer post on ties.
        beats_weakest = size > 0 and (post_impact, post_id) > (weakest_impact, weakest_post)
        if (complete and size < capacity) or beats_weakest:
            # Room and nobody outside to be fair to, or better than the
            # weakest: in. If that overfills the list, the insert trigger of
            # migration 0002 pushes the weakest out (and marks it incomplete).
            admitted.append(entry)
        elif complete:
            incomplete.append(key)  # full: this post stays outside
        # Else: an incomplete list and a post no better than its weakest
        # (or an emptied list, rebuilt at its next search): stays outside.
    await sql.many(
        "UPDATE search_top_list SET complete = 0 WHERE community_id = :community_id AND term = :term",
        incomplete,
    )
    await sql.many(_INSERT_ENTRY, admitted)


async def rebuild_search_lists(
    session: DbSession,
    community_id: int | None = None,
    *,
    tuning: SearchTuning | None = None,
) -> None:
    """Recompute the top lists of one community (or all) from scratch: one
    list per term that is common now. Meant for after bulk loads; on 200k
    posts it takes about half a minute per community. No-op off SQLite."""
    if dialect_of(session) != "sqlite":
        return
    tuning = tuning or DEFAULT_TUNING
    sql = await Sql.of(session)
    if community_id is None:
        communities = [row[0] for row in await sql.all("SELECT id FROM community")]
        await sql.run("DELETE FROM search_top_entry")
        await sql.run("DELETE FROM search_top_list")
    else:
        communities = [community_id]
        for table in ("search_top_entry", "search_top_list"):
            await sql.run(
                f"DELETE FROM {table} WHERE community_id = :community_id",
                {"community_id": community_id},
            )
    averages = await sql.all(_AVERAGES_SQL)
    stats = decode_stats(averages[0][0]) if averages else None
    if stats is None:
        return
    # One pass over the vocabulary (it counts every doclist: ~1 s on 200k).
    common = await sql.all(
        "SELECT term, doc FROM post_fts_vocab WHERE doc > :selective",
        {"selective": tuning.selective_df},
    )
    # Written in batches: per-list statements would cost more in driver
    # round trips than the ranking itself, one batch for all too much memory.
    lists: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for community in communities:
        for term, doc_count in common:
            built, complete = await _top_list(sql, community, term, stats, tuning.list_size)
            lists.append(_list_row(community, term, tuning.list_size, complete, doc_count, stats))
            entries.extend(built)
            if len(entries) >= _REBUILD_BATCH:
                await _insert_lists(sql, lists, entries)
                lists, entries = [], []
    await _insert_lists(sql, lists, entries)


async def _insert_lists(
    sql: Sql, lists: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> None:
    # Lists first: an entry's trigger counts it into its list.
    await sql.many(_INSERT_LIST, lists)
    await sql.many(_INSERT_ENTRY, entries)


def _list_row(
    community_id: int, term: str, capacity: int, complete: bool, doc_count: int, stats: IndexStats
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "term": term,
        "capacity": capacity,
        "complete": int(complete),
        "doc_count": doc_count,
        "row_count": stats.rows,
        "avgdl": stats.avgdl,
    }


async def _top_list(
    sql: Sql, community_id: int, term: str, stats: IndexStats, capacity: int
) -> tuple[list[dict[str, Any]], bool]:
    """The entries of one top list, and whether it is complete. Costs one
    FTS5 bm25 ranking of the term (~270 ms for a word in every post of 200k),
    which is why lists are kept rather than recomputed per query."""
    token = term.encode("utf-8")
    rows = await top_by_bm25(
        sql,
        fts_phrase((token,)),
        Filter(community_id, None, None),
        capacity,
        "p.id, p.title, p.body",
    )
    entries = []
    for post_id, title, body in rows:
        title_tokens, body_tokens = tokens_of(title), tokens_of(body)
        frequency = title_tokens.count(token) * TITLE_WEIGHT + body_tokens.count(token) * BODY_WEIGHT
        doclen = len(title_tokens) + len(body_tokens)
        entries.append(
            {
                "community_id": community_id,
                "term": term,
                "post_id": post_id,
                "impact": impact(frequency, doclen, stats.avgdl),
                "frequency": frequency,
                "doclen": doclen,
            }
        )
    return entries, len(rows) < capacity


async def build_list_if_possible(
    sql: Sql,
    community_id: int,
    term: str,
    doc_count: int,
    stats: IndexStats,
    capacity: int,
) -> tuple[bool, tuple[int, ...]]:
    """(Re)build one list from inside a search, in a savepoint. The search
    may run in a read transaction; if another connection is writing, SQLite
    refuses the upgrade at once ("database is locked", no busy wait): then
    this search uses the list it computed without saving it, and a later
    search tries again. Returns whether the list is complete, and its posts
    if they could not be saved."""
    entries, complete = await _top_list(sql, community_id, term, stats, capacity)
    key = {"community_id": community_id, "term": term}
    try:
        async with sql.session.begin_nested():
            # Entries first: do not rely on ON DELETE CASCADE (foreign_keys).
            await sql.run(
                "DELETE FROM search_top_entry WHERE community_id = :community_id AND term = :term",
                key,
            )
            await sql.run(
                "DELETE FROM search_top_list WHERE community_id = :community_id AND term = :term",
                key,
            )
            await sql.many(
                _INSERT_LIST, [_list_row(community_id, term, capacity, complete, doc_count, stats)]
            )
            await sql.many(_INSERT_ENTRY, entries)
    except (OperationalError, sqlite3.OperationalError):
        # (sqlite3's own error when the statement went to the driver directly.)
        return complete, tuple(entry["post_id"] for entry in entries)
    return complete, ()
