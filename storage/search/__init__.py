"""Ranked full-text search of posts, fast also for common words.

The FTS5 index of migration 0001 (``post_fts``) finds the posts containing
some words quickly. The slow part is *ranking* them: FTS5's ``bm25()`` first
counts every posting of every query term (its IDF), then scores every
matching post. For a word in most posts both are full scans of its postings:
on 200k posts one common word takes ~270 ms, and ``MATCH ... AND rowid IN
(200 ids)`` takes over a second, because the IDF count is redone for every
rowid looked up. So when FTS5 would do much work, we rank ourselves: bm25
with FTS5's formula, constants and global statistics
(``scoring.rank_rows``), over a *bounded* set of candidate posts.

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

The package, one job a module: ``tokens`` (FTS5's tokenizer, phrases, FTS5
query text), ``scoring`` (FTS5's statistics and bm25), ``tuning`` (the
thresholds), ``sql`` (running statements, filters, newest posts), ``fts``
(FTS5's own ranking), ``lists`` (top lists: build, maintain, rebuild),
``sqlite`` (the query planner above) and ``postgres`` (the fallback). This
``__init__`` holds the public API: ``search_post_ids`` picks the path, the
rest is re-exported.
"""

from __future__ import annotations

from storage.engine import DbSession
from storage.search.lists import post_written, rebuild_search_lists
from storage.search.postgres import postgres_search
from storage.search.scoring import BODY_WEIGHT, TITLE_WEIGHT
from storage.search.sql import Filter, newest_rows
from storage.search.sqlite import SqliteSearch
from storage.search.tokens import phrases_of, tokenize
from storage.search.tuning import DEFAULT_TUNING, SearchTuning
from storage.sql import Sql, dialect_of

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


async def search_post_ids(
    session: DbSession,
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
    flt = Filter(
        community_id,
        tag.strip().lstrip("#").lower() if tag is not None else None,
        author_id,
    )
    phrases = phrases_of(words)
    if not phrases:
        if flt.tag is None and flt.author_id is None:
            return []
        return [row[0] for row in await newest_rows(await Sql.of(session), flt, limit, "p.id")]
    dialect = dialect_of(session)
    if dialect == "postgresql":
        return await postgres_search(session, flt, phrases, limit)
    if dialect != "sqlite":
        raise NotImplementedError(f"post search is not implemented for {dialect}")
    search = await SqliteSearch.prepare(
        await Sql.of(session), flt, phrases, tuning or DEFAULT_TUNING, limit
    )
    found = await search.rank(require_all=True, limit=limit)
    if not found and len(phrases) > 1:
        found = await search.rank(require_all=False, limit=limit)
    return found
