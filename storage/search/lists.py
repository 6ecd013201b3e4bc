"""Top lists of common terms (tables ``search_top_list`` /
``search_top_entry``, migration 0002): build one, keep them in step with
writes (``post_written``, which also writes the post's indexed text),
rebuild them all (``rebuild_search_lists``).

A list's term is a stem, a marked surface form, or a prefix (``_koffie*``,
see ``tokens``), whose frequency in a post counts every term it starts.
The invariant they keep is described in the package docstring.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlalchemy.exc import OperationalError

from storage.engine import DbSession
from storage.search.analyzer import MIN_PREFIX
from storage.search.fts import top_by_bm25
from storage.search.indexer import index_post
from storage.search.scoring import (
    BODY_WEIGHT,
    TITLE_WEIGHT,
    IndexStats,
    count_phrase,
    decode_stats,
    impact,
    terms_of,
)
from storage.search.sql import Filter
from storage.search.tokens import PREFIX, SURFACE, fts_phrase
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
    """Bring the search in step after post ``post_id`` was inserted, edited,
    soft-deleted or restored, or its tags or comments changed: its indexed
    text (every database), then the top lists (SQLite). Call it in the
    transaction that wrote. A handful of small statements (p95 ~2 ms on
    200k posts, FTS5's own indexing included)."""
    sql = await Sql.of(session)
    indexed = await index_post(sql, post_id)
    if dialect_of(session) != "sqlite":
        return
    # An edit may have dropped a term or changed its weight, a removal
    # takes the post out: its old entries go, and it is re-admitted below.
    await sql.run("DELETE FROM search_top_entry WHERE post_id = :id", {"id": post_id})
    if indexed is None:
        return
    community_id = indexed.community_id
    title_tokens, body_tokens = terms_of(indexed.title), terms_of(indexed.body)
    frequencies = _frequencies(title_tokens, body_tokens)
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


def _frequencies(title_tokens: list[bytes], body_tokens: list[bytes]) -> dict[bytes, float]:
    """Weighted frequency of every term of a post, and of every prefix
    (``MIN_PREFIX`` characters or more) of its surface forms: each may have
    a list."""
    frequencies: dict[bytes, float] = {}
    for tokens, weight in ((title_tokens, TITLE_WEIGHT), (body_tokens, BODY_WEIGHT)):
        for token in tokens:
            frequencies[token] = frequencies.get(token, 0.0) + weight
            if token.startswith(SURFACE):
                word = token[len(SURFACE):].decode("utf-8")
                for end in range(MIN_PREFIX, len(word) + 1):
                    prefix = SURFACE + word[:end].encode("utf-8") + PREFIX
                    frequencies[prefix] = frequencies.get(prefix, 0.0) + weight
    return frequencies


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
    # One pass over the vocabulary (it counts every doclist: ~2 s on 200k).
    # Stems only: surface forms and prefixes, rarely searched, get their
    # lists when a search first needs them.
    common = await sql.all(
        "SELECT term, doc FROM post_fts_vocab"
        " WHERE doc > :selective AND substr(term, 1, 1) <> :surface",
        {"selective": tuning.selective_df, "surface": SURFACE.decode("utf-8")},
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
    phrase = (term.encode("utf-8"),)
    rows = await top_by_bm25(
        sql, fts_phrase(phrase), Filter(community_id, None, None), capacity, with_text=True
    )
    entries = []
    for post_id, title, body in rows:
        title_tokens, body_tokens = terms_of(title), terms_of(body)
        frequency = (
            count_phrase(title_tokens, phrase) * TITLE_WEIGHT
            + count_phrase(body_tokens, phrase) * BODY_WEIGHT
        )
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
