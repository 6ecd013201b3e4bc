"""The query planner on SQLite: per query, learn each phrase's document
frequency and top list in one statement, then choose the cheapest path
that is exact or bounded (see the package docstring), and rank."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.search.fts import top_by_bm25
from storage.search.lists import build_list_if_possible
from storage.search.scoring import IndexStats, decode_stats, idf, rank_entries, rank_rows
from storage.search.sql import ROW_COLUMNS, TEXT_JOIN, Filter, newest_rows
from storage.search.tokens import Phrase, fts_phrase, fts_query, is_prefix
from storage.search.tuning import SearchTuning
from storage.sql import Sql


@dataclass(frozen=True)
class _TermInfo:
    doc_count: int  # posts of the whole index holding the term (estimate if listed)
    listed: bool  # a top list exists for this community
    complete: bool  # ...and it holds every post of the community with the term
    unsaved: tuple[int, ...] = ()  # a list computed now that could not be saved


# Rough costs on the reference machine, to choose between letting FTS5 rank
# and scoring candidates here. FTS5's bm25 first counts every posting of
# every phrase (its IDF), then scores and sorts every match; we fetch, split
# and score each candidate post in Python.
_FTS_US_PER_POSTING = 0.07
_FTS_US_PER_MATCH = 1.3
_PYTHON_US_PER_POST = 15.0


def _fts_cost_us(postings: int, matches: int) -> float:
    return postings * _FTS_US_PER_POSTING + matches * _FTS_US_PER_MATCH


# Everything a query needs to know before choosing a path, in one statement
# (each statement costs ~0.6 ms of driver round trips): FTS5's averages
# record (kind 0); the community's lists of the query terms (kind 1); the
# vocabulary count of the terms without a list (kind 2: listed terms are
# excluded *before* fts5vocab counts them, so a common term is never
# counted here). For a one-word query, the entries of that word's list
# that pass the filters are appended (kind 3): if the word is common, they
# are all the search needs.
_FACTS_SQL = (
    "SELECT 0 AS kind, NULL AS term, block AS a, NULL AS b, NULL AS c, NULL AS d, NULL AS e,"
    " NULL AS f FROM post_fts_data WHERE id = 1"
    " UNION ALL"
    " SELECT 1, l.term, l.capacity, l.complete, l.doc_count, l.row_count, l.size, l.avgdl"
    " FROM search_top_list AS l"
    " WHERE l.community_id = :community_id AND l.term IN (SELECT value FROM json_each(:terms))"
    " UNION ALL"
    " SELECT 2, v.term, v.doc, NULL, NULL, NULL, NULL, NULL FROM post_fts_vocab AS v"
    " WHERE v.term IN (SELECT j.value FROM json_each(:terms) AS j WHERE NOT EXISTS"
    "  (SELECT 1 FROM search_top_list AS y"
    "   WHERE y.community_id = :community_id AND y.term = j.value))"
)
_FACTS_ENTRIES_SQL = (
    " UNION ALL"
    " SELECT 3, NULL, e.post_id, e.frequency, e.doclen, NULL, NULL, NULL"
    " FROM search_top_entry AS e CROSS JOIN post AS p ON p.id = e.post_id"
    " WHERE e.community_id = :community_id AND e.term = :only_term"
)


class SqliteSearch:
    """One query on SQLite: its phrases, their document frequencies, and the
    choice of path (see the package docstring)."""

    def __init__(
        self,
        sql: Sql,
        flt: Filter,
        phrases: list[Phrase],
        tuning: SearchTuning,
        stats: IndexStats | None,
        doc_counts: list[int],
        complete: list[bool],
        entries: list[tuple[int, float, int]] | None,
        unsaved: dict[str, tuple[int, ...]] | None = None,
    ) -> None:
        self.sql = sql
        self.flt = flt
        self.phrases = phrases
        self.tuning = tuning
        self.stats = stats
        self.doc_counts = doc_counts  # per phrase (estimate for common ones)
        self.complete = complete  # per phrase: a complete list covers it
        self.entries = entries  # one-word query: (post, frequency, length)
        self.unsaved = unsaved or {}  # term → posts of a list not saved
        self.selective = [count <= tuning.selective_df for count in doc_counts]

    @classmethod
    async def prepare(
        cls,
        sql: Sql,
        flt: Filter,
        phrases: list[Phrase],
        tuning: SearchTuning,
        limit: int,
    ) -> SqliteSearch:
        """Gather what the choice of path needs: the index statistics and each
        phrase's document frequency, (re)building missing or thinned lists."""
        terms = list(dict.fromkeys(token.decode("utf-8") for phrase in phrases for token in phrase))
        params: dict[str, Any] = {"community_id": flt.community_id, "terms": json.dumps(terms)}
        statement = _FACTS_SQL
        one_word = len(phrases) == 1 and len(phrases[0]) == 1
        if one_word:
            statement += _FACTS_ENTRIES_SQL + flt.sql()
            params.update(flt.params(), only_term=terms[0])
        facts = await sql.all(statement, params)
        stats = next((decode_stats(row[2]) for row in facts if row[0] == 0), None)
        if stats is None:  # empty index: nothing to plan, FTS5 answers at once
            zeros = [0] * len(phrases)
            return cls(sql, flt, phrases, tuning, None, zeros, [False] * len(phrases), None)
        info, rebuilt = await cls._term_info(sql, flt.community_id, terms, facts, stats, tuning, limit)
        entries = None
        if one_word and info[terms[0]].listed and terms[0] not in rebuilt:
            entries = [(int(row[2]), float(row[3]), int(row[4])) for row in facts if row[0] == 3]
        doc_counts: list[int] = []
        complete: list[bool] = []
        for phrase in phrases:
            counts = [info[token.decode("utf-8")].doc_count for token in phrase]
            if len(phrase) > 1 and min(counts) <= tuning.selective_df:
                # A phrase's IDF counts the posts holding the phrase, not its
                # words; cheap to count when one of its words is selective.
                doc_counts.append(await _match_count(sql, fts_phrase(phrase)))
            else:
                # A phrase of common words: at most as common as its rarest
                # word. (Exact counting would scan their whole doclists.)
                doc_counts.append(min(counts))
            complete.append(len(phrase) == 1 and info[phrase[0].decode("utf-8")].complete)
        unsaved = {term: i.unsaved for term, i in info.items() if i.unsaved}
        return cls(sql, flt, phrases, tuning, stats, doc_counts, complete, entries, unsaved)

    @staticmethod
    async def _term_info(
        sql: Sql,
        community_id: int,
        terms: list[str],
        facts: Sequence[Any],
        stats: IndexStats,
        tuning: SearchTuning,
        limit: int,
    ) -> tuple[dict[str, _TermInfo], set[str]]:
        """Document frequency of each term: from its list if it has one (no
        counting), else from post_fts_vocab (cheap for selective terms), or
        for a prefix, which is no term of the vocabulary, by counting the
        posts it matches. A common term without a list, or with a thinned
        one, gets it (re)built now, a one-off cost per (community, term).
        Also returns the terms whose list was (re)built."""
        info: dict[str, _TermInfo] = {}
        counted: dict[str, int] = {}
        rebuilt: set[str] = set()
        capacity_now = max(tuning.list_size, limit)
        for kind, term, a, b, c, d, e, f in facts:
            if kind == 2:
                counted[term] = int(a)
            elif kind == 1:
                capacity, complete, doc_count, row_count, size, avgdl = a, bool(b), c, d, e, f
                # Counted at build time; scale it with the index since.
                estimate = round(doc_count * stats.rows / row_count) if row_count else doc_count
                estimate = max(1, min(estimate, stats.rows))
                # An incomplete list is only sure to hold the best ``size``
                # posts; it needs at least ``limit``, and to be on the scale
                # of today's post lengths.
                thin = size < max(tuning.thin_fraction * capacity, limit)
                drifted = abs(stats.avgdl / avgdl - 1.0) > tuning.avgdl_drift
                unsaved: tuple[int, ...] = ()
                if not complete and (thin or drifted):
                    complete, unsaved = await build_list_if_possible(
                        sql, community_id, term, estimate, stats, capacity_now
                    )
                    rebuilt.add(term)
                info[term] = _TermInfo(estimate, True, complete, unsaved)
        for term in terms:
            if term in info:
                continue
            if is_prefix(term.encode("utf-8")):
                doc_count = await _match_count(sql, fts_phrase((term.encode("utf-8"),)))
            else:
                doc_count = counted.get(term, 0)
            if doc_count <= tuning.selective_df:
                info[term] = _TermInfo(doc_count, False, False)
                continue
            complete, unsaved = await build_list_if_possible(
                sql, community_id, term, doc_count, stats, capacity_now
            )
            info[term] = _TermInfo(doc_count, True, complete, unsaved)
            rebuilt.add(term)
        return info, rebuilt

    # -- ranking -----------------------------------------------------------

    async def rank(self, *, require_all: bool, limit: int) -> list[int]:
        """Best ``limit`` post ids with all phrases (AND) or any (OR)."""
        stats = self.stats
        if stats is None:
            return await self._plain(require_all, limit)
        tuning = self.tuning
        postings = sum(self.doc_counts)
        # Most posts FTS5 would have to score: the rarest phrase's (AND), all (OR).
        matches = min(self.doc_counts) if require_all else postings
        if _fts_cost_us(postings, matches) <= tuning.plain_budget_us:
            return await self._plain(require_all, limit)
        if not require_all:
            # OR: each selective phrase brings all its posts, each common one
            # its top list.
            selective = [p for p, s in zip(self.phrases, self.selective) if s]
            terms = self._list_terms(i for i, s in enumerate(self.selective) if not s)
            query = fts_query(selective, False) if selective else None
            rows = await self._candidate_rows(query, terms)
            ranked = self._rank(rows, stats, False)
            if len(ranked) < limit:
                ranked = await self._with_window({row[0] for row in rows}, ranked, stats, False)
            return _ids(ranked, limit)
        if len(self.phrases) > 1 and matches <= max(tuning.scan_df, tuning.selective_df):
            # The AND set may be small (always, if a phrase is selective):
            # list it, unranked and without text, which is cheap.
            ids = await self._fts_ids(fts_query(self.phrases, True), tuning.selective_df + 1)
            if len(ids) <= tuning.selective_df:
                # Known and small: rank it exactly, whichever way is cheaper.
                cost = _fts_cost_us(postings, len(ids))
                if tuning.plain_budget_us > 0 and cost <= _PYTHON_US_PER_POST * len(ids):
                    return await self._plain(True, limit)
                return _ids(self._rank(await self._rows(ids), stats, True), limit)
        # A large AND set: its best posts are among its words' best posts.
        seen: set[int]
        if self.entries is not None:
            # One listed word: its entries came with the facts; no text needed.
            ranked = rank_entries(self.entries, idf(self.doc_counts[0], stats), stats.avgdl)
            seen = {entry[0] for entry in self.entries}
        else:
            rows = await self._candidate_rows(None, self._list_terms(range(len(self.phrases))))
            ranked = self._rank(rows, stats, True)
            seen = {row[0] for row in rows}
        if len(ranked) < limit and not any(self.complete):
            # (A complete list holds every post with its word, so nothing
            # outside the candidates can match: no window needed then.)
            ranked = await self._with_window(seen, ranked, stats, True)
        return _ids(ranked, limit)

    def _rank(
        self, rows: Sequence[Any], stats: IndexStats, require_all: bool
    ) -> list[tuple[float, int]]:
        idfs = [idf(count, stats) for count in self.doc_counts]
        return rank_rows(rows, self.phrases, idfs, stats.avgdl, require_all)

    def _list_terms(self, indexes: Iterable[int]) -> list[str]:
        return list(
            dict.fromkeys(token.decode("utf-8") for i in indexes for token in self.phrases[i])
        )

    async def _with_window(
        self,
        seen: set[int],
        ranked: list[tuple[float, int]],
        stats: IndexStats,
        require_all: bool,
    ) -> list[tuple[float, int]]:
        newest = await newest_rows(self.sql, self.flt, self.tuning.window, ROW_COLUMNS, TEXT_JOIN)
        extra = [row for row in newest if row[0] not in seen]
        if not extra:
            return ranked
        merged = ranked + self._rank(extra, stats, require_all)
        merged.sort(key=lambda item: (-item[0], -item[1]))
        return merged

    async def _plain(self, require_all: bool, limit: int) -> list[int]:
        """FTS5 ranks: fine when the phrases' postings are few."""
        rows = await top_by_bm25(self.sql, fts_query(self.phrases, require_all), self.flt, limit)
        return [row[0] for row in rows]

    async def _fts_ids(self, query: str, cap: int) -> list[int]:
        """Up to ``cap`` ids of posts matching ``query`` (any community):
        no bm25, so no counting of postings, and no post rows read."""
        rows = await self.sql.all(
            "SELECT rowid FROM post_fts WHERE post_fts MATCH :query LIMIT :cap",
            {"query": query, "cap": cap},
        )
        return [row[0] for row in rows]

    async def _rows(self, ids: list[int]) -> list[tuple[Any, ...]]:
        """(id, title, body) of those of ``ids`` that pass the filters."""
        return await self.sql.all(
            # CROSS JOIN: the ids drive. Written as "p.id IN (...)" the
            # planner may walk the community index over every post.
            f"SELECT {ROW_COLUMNS} FROM json_each(:ids) AS j"
            " CROSS JOIN post AS p ON p.id = j.value" + TEXT_JOIN + " WHERE 1 = 1" + self.flt.sql(),
            {**self.flt.params(), "ids": json.dumps(ids)},
        )

    async def _candidate_rows(self, query: str | None, terms: list[str]) -> list[tuple[Any, ...]]:
        """Posts matching ``query`` plus the members of the terms' lists,
        those that pass the filters, with their text."""
        parts = []
        params: dict[str, Any] = self.flt.params()
        if query is not None:
            parts.append("SELECT rowid FROM post_fts WHERE post_fts MATCH :query")
            params["query"] = query
        extra = [post for term in terms for post in self.unsaved.get(term, ())]
        if extra:
            parts.append("SELECT value FROM json_each(:extra)")
            params["extra"] = json.dumps(extra)
        if terms:
            parts.append(
                # DISTINCT: a post is often in several of the lists.
                "SELECT DISTINCT post_id FROM search_top_entry WHERE community_id = :community_id"
                " AND term IN (SELECT value FROM json_each(:terms))"
            )
            params["terms"] = json.dumps(terms)
        if not parts:
            return []
        # CROSS JOIN: candidates drive, each post looked up by primary key.
        return await self.sql.all(
            "WITH candidate(id) AS (" + " UNION ".join(parts) + ")"
            f" SELECT {ROW_COLUMNS} FROM candidate CROSS JOIN post AS p ON p.id = candidate.id"
            + TEXT_JOIN + " WHERE 1 = 1" + self.flt.sql(),
            params,
        )


def _ids(ranked: list[tuple[float, int]], limit: int) -> list[int]:
    return [post_id for _, post_id in ranked[:limit]]


async def _match_count(sql: Sql, query: str) -> int:
    """Posts matching an FTS5 query (any community): its IDF's count."""
    counted = await sql.all(
        "SELECT count(*) FROM post_fts WHERE post_fts MATCH :query", {"query": query}
    )
    return int(counted[0][0])
