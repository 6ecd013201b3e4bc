"""Ranked full-text search of posts, fast also for common words.

The FTS5 index of migration 0001 (``post_fts``) finds the posts containing
some words quickly. The slow part is *ranking* them: FTS5's ``bm25()`` first
counts every posting of every query term (its IDF), then scores every
matching post. For a word in most posts both are full scans of its postings:
on 200k posts one common word takes ~270 ms, and ``MATCH ... AND rowid IN
(200 ids)`` takes over a second, because the IDF count is redone for every
rowid looked up. So when FTS5 would do much work, we rank ourselves: bm25
with FTS5's formula, constants and global statistics (``_rank_rows``), over
a *bounded* set of candidate posts.

How a query is answered (``SearchTuning`` holds every threshold):

* Every word becomes one quoted FTS5 phrase made of its tokens (tokenized
  here exactly like ``unicode61 remove_diacritics 2``). User text never
  reaches FTS5 as syntax.
* A term in at most ``selective_df`` posts (whole index, counted by
  ``post_fts_vocab``, which costs in proportion to that count) is
  *selective*. Every other term is *common* and gets a top list per
  community (tables ``search_top_list`` / ``search_top_entry``, migration
  0002): the ``list_size`` posts in which that term alone scores best (its
  bm25 contribution without the IDF factor, "impact" here), each with the
  term's weighted frequency and the post's length. The list also caches the
  term's document frequency: common terms are never counted at query time.
  One statement fetches all this for a query.
* When FTS5's own ranking is estimated to be cheap (postings to count plus
  posts to score, under ``plain_budget_us``): plain ``MATCH ... ORDER BY
  bm25()``. This covers every query of selective words. Exact.
* All words must match (AND), otherwise:
  - several words and the rarest in at most ``scan_df`` posts: list the AND
    set's ids from FTS5 (no bm25, so cheap), stopping past ``selective_df``.
    If it is that small, rank it exactly: by FTS5 or by us, whichever is
    cheaper. A selective word always lands here.
  - else the AND set is large and its best posts are among its words' best
    posts. One word: its list, scored from the stored frequencies without
    reading a post; exact. Several: the union of the lists, scored from
    their text; the best of the union. If that gives fewer than ``limit``
    and no list is complete, the ``window`` newest posts are scored too.
* If nothing has all the words and there are several, any word ranks (OR):
  each selective phrase brings all its posts, each common one its list (and
  the window when short). With two words this is exact: no post has both,
  so each post's score is one term's, and each term's best posts are in its
  list.

Consistency. Candidates only ever *propose* post ids. Every candidate is
read back from ``post`` with ``community_id = :community_id AND removed_at
IS NULL`` and the tag/author filters, and scored from its current text (the
one-word list path uses the frequency stored with the entry, which
``post_written`` keeps current). So a removed post, another community's post
or a stale entry can cost a little time but never show up. A list's first
``size`` entries are the true best because of one invariant: every post
outside an incomplete list scores at most as much as every post in it (a
complete list has nobody outside). ``post_written``, in the writing
transaction, keeps it: it drops the post's entries, then re-admits the post
only where it beats the weakest entry (or into a complete list with room);
an insert trigger pushes the weakest out of an overfull list. A list with
fewer than ``max(thin_fraction * capacity, limit)`` entries (after
removals), or built for a mean post length that has drifted by more than
``avgdl_drift``, is rebuilt at its next search, in a savepoint; if the
database is busy the search uses the rebuilt list unsaved.
``rebuild_search_lists`` recomputes everything after bulk loads. Posts
written without ``post_written`` are still found by every exact path; the
lists just do not know them until a rebuild.

PostgreSQL has no FTS5 and no lists: it takes a simple ``to_tsvector`` /
``ts_rank`` path (no index yet) with the same AND-then-OR semantics.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "BODY_WEIGHT",
    "DEFAULT_TUNING",
    "TITLE_WEIGHT",
    "SearchTuning",
    "post_written",
    "rebuild_search_lists",
    "search_post_ids",
    "tokenize",
]

# bm25 column weights (title, body): a word in the title counts four times.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
# FTS5's bm25 constants (fts5_aux.c); ours must equal them to rank alike.
_K1 = 1.2
_B = 0.75
# FTS5 replaces a non-positive IDF (term in over half the posts) by this.
_MIN_IDF = 1e-6
# More words than this are ignored: each costs a lookup and a scoring pass.
MAX_PHRASES = 16


@dataclass(frozen=True)
class SearchTuning:
    """Thresholds of the search; the defaults are tuned on 200k posts.

    Tests pass small values to force the common-term machinery on tiny data.
    """

    #: A term in at most this many posts (whole index) is "selective": its
    #: posts are enumerated outright and it needs no top list.
    selective_df: int = 400
    #: All-common AND queries try to enumerate the AND set when the rarest
    #: phrase is in at most this many posts (cost grows with this number).
    scan_df: int = 12_000
    #: Posts kept in each (community, term) top list.
    list_size: int = 100
    #: A list that is not complete is rebuilt when it falls below this share
    #: of its capacity (soft deletes take entries away).
    thin_fraction: float = 0.5
    #: Newest posts also scored when the lists give fewer than ``limit``.
    window: int = 200
    #: Let FTS5 rank (exactly, in C) when its estimated work is below this
    #: many microseconds; 0: FTS5 never ranks, we always do (tests).
    plain_budget_us: float = 3_000.0
    #: Rebuild a list when the mean post length moved by more than this
    #: share since it was built (post length enters every impact).
    avgdl_drift: float = 0.1


DEFAULT_TUNING = SearchTuning()


# --------------------------------------------------------------------------
# Tokenizer: the same tokens as FTS5's ``unicode61 remove_diacritics 2``.
#
# It has to agree with FTS5 because our tokens are looked up in
# ``post_fts_vocab``, stored as list terms, and counted to compute bm25.
# Token characters are letters, digits and private-use/unassigned code
# points; everything else separates tokens; text is lower-cased; Latin
# letters lose their diacritics (é → e), and the combining marks below are
# dropped inside a token (decomposed input: e + U+0301 → e). Known gap:
# symbols that SQLite's (older) Unicode tables do not know, e.g. emoji added
# after Unicode 6.1, are token characters for FTS5 and separators here; that
# can only shift a Python-computed score slightly.
# --------------------------------------------------------------------------

_DIACRITIC_MARKS = frozenset(
    [*range(0x300, 0x305), *range(0x306, 0x30D), 0x30F, 0x311, 0x31B,
     *range(0x323, 0x329), 0x32D, 0x32E, 0x330, 0x331]
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Bytes of lower-cased, folded UTF-8 text → token bytes or a space. ASCII
# letters and digits are token bytes; other ASCII is a separator; bytes
# >= 0x80 belong to non-ASCII token characters (separators among those were
# already replaced by spaces when folding).
_BYTE_TABLE = bytes(
    (c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else c + 32 if 65 <= c <= 90 else 32)
    for c in range(256)
)


# Letters unicode61 leaves alone although they decompose to ASCII + marks.
_NOT_FOLDED = frozenset("ǡ")


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """One lower-cased non-ASCII character as unicode61 sees it: ``""`` if
    dropped, ``" "`` if it separates tokens, else the (folded) character."""
    if ord(ch) in _DIACRITIC_MARKS:
        return ""
    # unicode61 applies simple case folding: ς → σ, µ → μ, ſ → s; but not
    # the full folding that would turn ß into ss.
    folded = ch.casefold()
    if len(folded) == 1:
        ch = folded
    category = unicodedata.category(ch)
    if category[0] not in "LN" and category not in ("Co", "Cn"):
        return " "
    decomposed = unicodedata.normalize("NFD", ch)
    if (
        len(decomposed) > 1
        and decomposed[0].isascii()
        and ch not in _NOT_FOLDED
        and all(ord(mark) in _DIACRITIC_MARKS for mark in decomposed[1:])
    ):
        return decomposed[0]
    return ch


def _fold_run(match: re.Match[str]) -> str:
    return "".join(_fold_char(ch) for ch in match.group())


def _tokens(value: str) -> list[bytes]:
    """Tokens of ``value`` as UTF-8 bytes (bytes: ~3x faster to split and
    count, which is what scoring a few hundred posts per query needs)."""
    lowered = value.lower()
    if not lowered.isascii():
        lowered = _NON_ASCII_RUN.sub(_fold_run, lowered)
    return lowered.encode("utf-8").translate(_BYTE_TABLE).split()


def tokenize(value: str) -> list[str]:
    """The tokens FTS5 makes of ``value`` (lower-case, without diacritics)."""
    return [token.decode("utf-8") for token in _tokens(value)]


Phrase = tuple[bytes, ...]


def _phrases(words: Iterable[str]) -> list[Phrase]:
    """One phrase per word that has any token; duplicates dropped."""
    phrases: list[Phrase] = []
    for word in words:
        phrase = tuple(_tokens(word))
        if phrase and phrase not in phrases:
            phrases.append(phrase)
            if len(phrases) == MAX_PHRASES:
                break
    return phrases


def _fts_phrase(phrase: Phrase) -> str:
    # Tokens hold only token characters (no quotes, no operators), so a
    # quoted string of them is always valid FTS5 and means exactly them.
    return '"' + " ".join(token.decode("utf-8") for token in phrase) + '"'


def _fts_query(phrases: Sequence[Phrase], require_all: bool) -> str:
    return (" AND " if require_all else " OR ").join(_fts_phrase(p) for p in phrases)


def _count(tokens: list[bytes], phrase: Phrase) -> int:
    """Occurrences of ``phrase`` in ``tokens`` (overlapping, as FTS5 counts)."""
    if len(phrase) == 1:
        return tokens.count(phrase[0])
    first, size, hits, start = phrase[0], len(phrase), 0, 0
    while True:
        try:
            at = tokens.index(first, start)
        except ValueError:
            return hits
        if tuple(tokens[at:at + size]) == phrase:
            hits += 1
        start = at + 1


# --------------------------------------------------------------------------
# bm25, as FTS5 computes it
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _IndexStats:
    """FTS5's global statistics: live posts in the index, mean tokens/post."""

    rows: int
    avgdl: float


def _varints(blob: bytes) -> list[int]:
    """Decode SQLite-style varints (FTS5's on-disk integers)."""
    values: list[int] = []
    at = 0
    while at < len(blob):
        value = 0
        for position in range(9):
            if at >= len(blob):
                raise ValueError("truncated varint")
            byte = blob[at]
            at += 1
            if position == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def _decode_stats(block: object) -> _IndexStats | None:
    """FTS5's "averages" record (``post_fts_data`` row 1: the post count,
    then the token count of each column): the very numbers ``bm25()`` uses,
    read in one tiny lookup instead of counting 200k posts. None when the
    index is empty or the record unreadable (every query then takes the
    plain FTS5 path, which needs no statistics of ours)."""
    if not isinstance(block, bytes):
        return None
    try:
        values = _varints(block)
    except ValueError:
        return None
    if len(values) != 3 or values[0] <= 0 or values[1] + values[2] <= 0:
        return None
    return _IndexStats(rows=values[0], avgdl=(values[1] + values[2]) / values[0])


def _idf(doc_count: int, stats: _IndexStats) -> float:
    idf = math.log((stats.rows - doc_count + 0.5) / (doc_count + 0.5))
    return idf if idf > 0.0 else _MIN_IDF


def _impact(frequency: float, doclen: int, avgdl: float) -> float:
    """A term's bm25 contribution to one post, without the IDF factor."""
    return (frequency * (_K1 + 1.0)) / (frequency + _K1 * (1.0 - _B + _B * doclen / avgdl))


def _rank_rows(
    rows: Iterable[Sequence[Any]],
    phrases: Sequence[Phrase],
    idfs: Sequence[float],
    avgdl: float,
    require_all: bool,
) -> list[tuple[float, int]]:
    """(score, post id) of the rows (id, title, body) that match, best first.

    The arithmetic follows fts5Bm25Function step by step, in the same order,
    so a score here equals ``-bm25(post_fts, TITLE_WEIGHT, BODY_WEIGHT)``
    and both paths rank alike. Ties go to the newer post (higher id)."""
    scored: list[tuple[float, int]] = []
    for post_id, title, body in rows:
        title_tokens = _tokens(title)
        body_tokens = _tokens(body)
        norm = _K1 * (1.0 - _B + _B * (len(title_tokens) + len(body_tokens)) / avgdl)
        score = 0.0
        matched = 0
        for phrase, idf in zip(phrases, idfs):
            frequency = (
                _count(title_tokens, phrase) * TITLE_WEIGHT + _count(body_tokens, phrase) * BODY_WEIGHT
            )
            if frequency:
                matched += 1
            score += idf * ((frequency * (_K1 + 1.0)) / (frequency + norm))
        if matched == len(phrases) or (matched and not require_all):
            scored.append((score, post_id))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return scored


# --------------------------------------------------------------------------
# Filters shared by every path
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Filter:
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
        params: dict[str, Any] = {"community_id": self.community_id}
        if self.author_id is not None:
            params["author_id"] = self.author_id
        if self.tag is not None:
            params["tag"] = self.tag
        return params


async def _newest_rows(sql: _Sql, flt: _Filter, limit: int, columns: str) -> list[tuple[Any, ...]]:
    """The newest posts passing the filters (portable SQL)."""
    if flt.tag is not None:
        # Start from the tag's posts (usually few) rather than walking the
        # whole community newest-first until enough of them carry the tag.
        query = (
            f"SELECT {columns} FROM tag AS t"
            " JOIN posttag AS pt ON pt.tag_id = t.id"
            " JOIN post AS p ON p.id = pt.post_id"
            " WHERE t.community_id = :community_id AND t.name = :tag"
            " AND p.community_id = :community_id AND p.removed_at IS NULL"
            + (" AND p.author_id = :author_id" if flt.author_id is not None else "")
        )
    else:
        query = f"SELECT {columns} FROM post AS p WHERE 1 = 1" + flt.sql()
    query += " ORDER BY p.created_at DESC, p.id DESC LIMIT :limit"
    return await sql.all(query, {**flt.params(), "limit": limit})


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class _Sql:
    """Runs SQL on the session's connection, inside its transaction.

    On aiosqlite it hands each statement to the driver itself: one round
    trip to the driver's thread instead of the four SQLAlchemy's adapter
    makes (cursor, execute, fetch, close: 0.13 against 0.58 ms here). That
    difference is most of what a search costs, and it doubles whenever the
    machine is busy. Elsewhere (PostgreSQL, other drivers) it goes through
    SQLAlchemy. Statements use ``:name`` parameters, which both accept."""

    def __init__(self, session: AsyncSession, driver: Any = None) -> None:
        self.session = session
        self._driver = driver

    @classmethod
    async def of(cls, session: AsyncSession) -> _Sql:
        if _dialect(session) != "sqlite":
            return cls(session)
        # Pending ORM changes must reach the database before we read it past
        # SQLAlchemy; and taking the connection begins the transaction.
        await session.flush()
        raw = await (await session.connection()).get_raw_connection()
        driver = raw.driver_connection
        if callable(getattr(driver, "execute_fetchall", None)) and callable(
            getattr(driver, "executemany", None)
        ):
            return cls(session, driver)
        return cls(session)

    async def all(self, statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query, as tuples."""
        if self._driver is not None:
            return [tuple(row) for row in await self._driver.execute_fetchall(statement, params or {})]
        result = await self.session.execute(text(statement), params or {})
        return [tuple(row) for row in result.all()]

    async def run(self, statement: str, params: dict[str, Any] | None = None) -> None:
        """A statement without rows."""
        if self._driver is not None:
            await self._driver.execute_fetchall(statement, params or {})
        else:
            await self.session.execute(text(statement), params or {})

    async def many(self, statement: str, rows: list[dict[str, Any]]) -> None:
        """A statement once per row of parameters."""
        if not rows:
            return
        if self._driver is not None:
            cursor = await self._driver.executemany(statement, rows)
            await cursor.close()
        else:
            await self.session.execute(text(statement), rows)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

async def search_post_ids(
    session: AsyncSession,
    community_id: int,
    words: list[str],
    *,
    tag: str | None = None,
    author_id: int | None = None,
    limit: int = 5,
    tuning: SearchTuning | None = None,
) -> list[int]:
    """Ids of the community's posts that best match ``words``, best first.

    All words must match; if none does and there are several words, posts
    matching any of them are ranked instead. Words are plain text: quotes,
    ``*``, ``:``, ``AND``/``OR``/``NEAR`` and the like are searched as text
    (or ignored as punctuation), never interpreted. Title matches weigh more
    than body matches; accents do not matter (café = cafe). ``tag`` (name
    without ``#``) and ``author_id`` narrow the search; with no usable words
    but a filter, the newest matching posts are returned. Removed posts are
    never returned. ``session`` must be inside a transaction; on SQLite a
    missing or thinned top list may be written in a savepoint (skipped if
    the database is busy)."""
    if limit <= 0:
        return []
    flt = _Filter(
        community_id,
        tag.strip().lstrip("#").lower() if tag is not None else None,
        author_id,
    )
    phrases = _phrases(words)
    if not phrases:
        if flt.tag is None and flt.author_id is None:
            return []
        return [row[0] for row in await _newest_rows(await _Sql.of(session), flt, limit, "p.id")]
    dialect = _dialect(session)
    if dialect == "postgresql":
        return await _postgres_search(session, flt, phrases, limit)
    if dialect != "sqlite":
        raise NotImplementedError(f"post search is not implemented for {dialect}")
    search = await _SqliteSearch.prepare(
        await _Sql.of(session), flt, phrases, tuning or DEFAULT_TUNING, limit
    )
    found = await search.rank(require_all=True, limit=limit)
    if not found and len(phrases) > 1:
        found = await search.rank(require_all=False, limit=limit)
    return found


async def post_written(session: AsyncSession, post_id: int) -> None:
    """Bring the top lists in step after post ``post_id`` was inserted,
    edited, soft-deleted or restored. Call it in the transaction that wrote
    the post. Two to four small statements (p95 ~2-3 ms on 200k posts);
    no-op off SQLite."""
    if _dialect(session) != "sqlite":
        return
    sql = await _Sql.of(session)
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
    title_tokens, body_tokens = _tokens(title), _tokens(body)
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
        impact = _impact(frequency, doclen, avgdl)
        key = {"community_id": community_id, "term": term}
        entry = {**key, "post_id": post_id, "impact": impact, "frequency": frequency,
                 "doclen": doclen}
        # Same order as ranking: higher impact first, newer post on ties.
        beats_weakest = size > 0 and (impact, post_id) > (weakest_impact, weakest_post)
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
    session: AsyncSession,
    community_id: int | None = None,
    *,
    tuning: SearchTuning | None = None,
) -> None:
    """Recompute the top lists of one community (or all) from scratch: one
    list per term that is common now. Meant for after bulk loads; on 200k
    posts it takes about half a minute per community. No-op off SQLite."""
    if _dialect(session) != "sqlite":
        return
    tuning = tuning or DEFAULT_TUNING
    sql = await _Sql.of(session)
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
    stats = _decode_stats(averages[0][0]) if averages else None
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


_REBUILD_BATCH = 20_000


async def _insert_lists(
    sql: _Sql, lists: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> None:
    # Lists first: an entry's trigger counts it into its list.
    await sql.many(_INSERT_LIST, lists)
    await sql.many(_INSERT_ENTRY, entries)


# --------------------------------------------------------------------------
# Top lists
# --------------------------------------------------------------------------

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


def _list_row(
    community_id: int, term: str, capacity: int, complete: bool, doc_count: int, stats: _IndexStats
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


@dataclass(frozen=True)
class _TermInfo:
    doc_count: int  # posts of the whole index holding the term (estimate if listed)
    listed: bool  # a top list exists for this community
    complete: bool  # ...and it holds every post of the community with the term
    unsaved: tuple[int, ...] = ()  # a list computed now that could not be saved


async def _top_by_bm25(
    sql: _Sql, query: str, flt: _Filter, wanted: int, columns: str
) -> list[tuple[Any, ...]]:
    """The ``wanted`` best posts for an FTS5 ``query`` that pass ``flt``,
    ranked by FTS5's bm25 (ties: newer first); ``columns`` of ``post AS p``.

    Ranks inside FTS5 first and looks up only the top posts: joining every
    match to ``post`` costs ~3 µs per match in page reads, more than the
    ranking. Only if filters (tag, author, other communities) reject some of
    those posts does it rank again with the filters applied to every match.
    """
    ranked = "bm25(post_fts, :title_weight, :body_weight)"
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
        " LEFT JOIN post AS p ON p.id = m.id" + flt.sql()
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
        " WHERE post_fts MATCH :query" + flt.sql()
        + f" ORDER BY {ranked}, p.id DESC LIMIT :wanted",
        params,
    )


async def _top_list(
    sql: _Sql, community_id: int, term: str, stats: _IndexStats, capacity: int
) -> tuple[list[dict[str, Any]], bool]:
    """The entries of one top list, and whether it is complete. Costs one
    FTS5 bm25 ranking of the term (~270 ms for a word in every post of 200k),
    which is why lists are kept rather than recomputed per query."""
    token = term.encode("utf-8")
    rows = await _top_by_bm25(
        sql,
        _fts_phrase((token,)),
        _Filter(community_id, None, None),
        capacity,
        "p.id, p.title, p.body",
    )
    entries = []
    for post_id, title, body in rows:
        title_tokens, body_tokens = _tokens(title), _tokens(body)
        frequency = title_tokens.count(token) * TITLE_WEIGHT + body_tokens.count(token) * BODY_WEIGHT
        doclen = len(title_tokens) + len(body_tokens)
        entries.append(
            {
                "community_id": community_id,
                "term": term,
                "post_id": post_id,
                "impact": _impact(frequency, doclen, stats.avgdl),
                "frequency": frequency,
                "doclen": doclen,
            }
        )
    return entries, len(rows) < capacity


async def _build_list_if_possible(
    sql: _Sql,
    community_id: int,
    term: str,
    doc_count: int,
    stats: _IndexStats,
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


# --------------------------------------------------------------------------
# SQLite search
# --------------------------------------------------------------------------

_ROW_COLUMNS = "p.id, p.title, p.body"

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


class _SqliteSearch:
    """One query on SQLite: its phrases, their document frequencies, and the
    choice of path (see the module docstring)."""

    def __init__(
        self,
        sql: _Sql,
        flt: _Filter,
        phrases: list[Phrase],
        tuning: SearchTuning,
        stats: _IndexStats | None,
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
        sql: _Sql,
        flt: _Filter,
        phrases: list[Phrase],
        tuning: SearchTuning,
        limit: int,
    ) -> _SqliteSearch:
        terms = list(dict.fromkeys(token.decode("utf-8") for phrase in phrases for token in phrase))
        params: dict[str, Any] = {"community_id": flt.community_id, "terms": json.dumps(terms)}
        statement = _FACTS_SQL
        one_word = len(phrases) == 1 and len(phrases[0]) == 1
        if one_word:
            statement += _FACTS_ENTRIES_SQL + flt.sql()
            params.update(flt.params(), only_term=terms[0])
        facts = await sql.all(statement, params)
        stats = next((_decode_stats(row[2]) for row in facts if row[0] == 0), None)
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
                counted = await sql.all(
                    "SELECT count(*) FROM post_fts WHERE post_fts MATCH :query",
                    {"query": _fts_phrase(phrase)},
                )
                doc_counts.append(int(counted[0][0]))
            else:
                # A phrase of common words: at most as common as its rarest
                # word. (Exact counting would scan their whole doclists.)
                doc_counts.append(min(counts))
            complete.append(len(phrase) == 1 and info[phrase[0].decode("utf-8")].complete)
        unsaved = {term: i.unsaved for term, i in info.items() if i.unsaved}
        return cls(sql, flt, phrases, tuning, stats, doc_counts, complete, entries, unsaved)

    @staticmethod
    async def _term_info(
        sql: _Sql,
        community_id: int,
        terms: list[str],
        facts: Sequence[Any],
        stats: _IndexStats,
        tuning: SearchTuning,
        limit: int,
    ) -> tuple[dict[str, _TermInfo], set[str]]:
        """Document frequency of each term: from its list if it has one (no
        counting), else from post_fts_vocab (cheap for selective terms). A
        common term without a list, or with a thinned one, gets it (re)built
        now, a one-off cost per (community, term). Also returns the terms
        whose list was (re)built."""
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
                    complete, unsaved = await _build_list_if_possible(
                        sql, community_id, term, estimate, stats, capacity_now
                    )
                    rebuilt.add(term)
                info[term] = _TermInfo(estimate, True, complete, unsaved)
        for term in terms:
            if term in info:
                continue
            doc_count = counted.get(term, 0)
            if doc_count <= tuning.selective_df:
                info[term] = _TermInfo(doc_count, False, False)
                continue
            complete, unsaved = await _build_list_if_possible(
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
            query = _fts_query(selective, False) if selective else None
            rows = await self._candidate_rows(query, terms)
            ranked = self._rank(rows, stats, False)
            if len(ranked) < limit:
                ranked = await self._with_window({row[0] for row in rows}, ranked, stats, False)
            return _ids(ranked, limit)
        if len(self.phrases) > 1 and matches <= max(tuning.scan_df, tuning.selective_df):
            # The AND set may be small (always, if a phrase is selective):
            # list it, unranked and without text, which is cheap.
            ids = await self._fts_ids(_fts_query(self.phrases, True), tuning.selective_df + 1)
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
            ranked = self._rank_entries(self.entries, stats)
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
        self, rows: Sequence[Any], stats: _IndexStats, require_all: bool
    ) -> list[tuple[float, int]]:
        idfs = [_idf(count, stats) for count in self.doc_counts]
        return _rank_rows(rows, self.phrases, idfs, stats.avgdl, require_all)

    def _rank_entries(
        self, entries: list[tuple[int, float, int]], stats: _IndexStats
    ) -> list[tuple[float, int]]:
        """Score a one-word query from list entries: same arithmetic as
        ``_rank_rows``, with the frequency and length stored at write time."""
        idf = _idf(self.doc_counts[0], stats)
        scored = []
        for post_id, frequency, doclen in entries:
            norm = _K1 * (1.0 - _B + _B * doclen / stats.avgdl)
            score = 0.0
            score += idf * ((frequency * (_K1 + 1.0)) / (frequency + norm))
            scored.append((score, post_id))
        scored.sort(key=lambda item: (-item[0], -item[1]))
        return scored

    def _list_terms(self, indexes: Iterable[int]) -> list[str]:
        return list(
            dict.fromkeys(token.decode("utf-8") for i in indexes for token in self.phrases[i])
        )

    async def _with_window(
        self,
        seen: set[int],
        ranked: list[tuple[float, int]],
        stats: _IndexStats,
        require_all: bool,
    ) -> list[tuple[float, int]]:
        newest = await _newest_rows(self.sql, self.flt, self.tuning.window, _ROW_COLUMNS)
        extra = [row for row in newest if row[0] not in seen]
        if not extra:
            return ranked
        merged = ranked + self._rank(extra, stats, require_all)
        merged.sort(key=lambda item: (-item[0], -item[1]))
        return merged

    async def _plain(self, require_all: bool, limit: int) -> list[int]:
        """FTS5 ranks: fine when the phrases' postings are few."""
        rows = await _top_by_bm25(
            self.sql, _fts_query(self.phrases, require_all), self.flt, limit, "p.id"
        )
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
            f"SELECT {_ROW_COLUMNS} FROM json_each(:ids) AS j"
            " CROSS JOIN post AS p ON p.id = j.value WHERE 1 = 1" + self.flt.sql(),
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
            f" SELECT {_ROW_COLUMNS} FROM candidate CROSS JOIN post AS p ON p.id = candidate.id"
            " WHERE 1 = 1" + self.flt.sql(),
            params,
        )


def _ids(ranked: list[tuple[float, int]], limit: int) -> list[int]:
    return [post_id for _, post_id in ranked[:limit]]


# --------------------------------------------------------------------------
# PostgreSQL: simple, unindexed fallback
# --------------------------------------------------------------------------

@functools.cache
def _latin_fold_tables() -> tuple[str, str]:
    """Characters with a diacritic and their base letters, for translate():
    PostgreSQL's 'simple' configuration keeps accents, we drop them (café =
    cafe) without needing the unaccent extension."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        ch = chr(code)
        folded = "".join(_fold_char(c) for c in ch.lower())
        if len(folded) == 1 and folded.isascii() and folded != ch:
            source.append(ch)
            target.append(folded)
    return "".join(source), "".join(target)


async def _postgres_search(
    session: AsyncSession, flt: _Filter, phrases: list[Phrase], limit: int
) -> list[int]:
    source, target = _latin_fold_tables()
    # Our tokens are already lower-case and unaccented; plainto_tsquery reads
    # them as plain text (no tsquery syntax), one phrase per word.
    words = {f"w{i}": " ".join(t.decode("utf-8") for t in phrase) for i, phrase in enumerate(phrases)}
    document = (
        "setweight(to_tsvector('simple', translate(lower(p.title), :fold_from, :fold_to)), 'A')"
        " || setweight(to_tsvector('simple', translate(lower(p.body), :fold_from, :fold_to)), 'B')"
    )
    for operator in ("&&", "||"):
        if operator == "||" and len(phrases) < 2:
            break
        query = f" {operator} ".join(f"phraseto_tsquery('simple', :{name})" for name in words)
        result = await session.execute(
            text(
                f"SELECT p.id FROM post AS p"
                f" CROSS JOIN LATERAL (SELECT {document} AS doc, ({query}) AS query) AS s"
                " WHERE s.doc @@ s.query" + flt.sql()
                + " ORDER BY ts_rank(s.doc, s.query) DESC, p.id DESC LIMIT :limit"
            ),
            {**flt.params(), **words, "fold_from": source, "fold_to": target, "limit": limit},
        )
        found = [row[0] for row in result.all()]
        if found:
            return found
    return []
