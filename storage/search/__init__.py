"""Ranked full-text search of posts that understands the language, fast
also for common words.

SQLite and PostgreSQL answer alike (the same words match, all of them
or else any, the same filters), each with its own full-text index: FTS5
and the planner below on SQLite, PostgreSQL's text search configurations,
a tsvector and a GIN index on PostgreSQL (last section).

What is indexed. Every live post has a row in ``search_text`` (migration
0010, kept by ``indexer``): a title column (title and tags) and a body
column (body, comments and link titles; links are in the body). On
SQLite their text is index terms, not words (``analyzer``): each token,
folded (café = cafe), gives
its stem (Snowball in the community's language, then English), so
vrijwilliger finds vrijwilligers and volunteering finds volunteer, and its
surface form marked ``_`` (``_vrijwilligers``), which prefix queries match:
``vrijwillig*`` finds every word written so. FTS5 indexes that text
(``post_fts``, external content on ``search_text``), split on spaces only.
``post_written`` rewrites a post's row, in the transaction that changed
the post, its tags or its comments; ``index_posts`` redoes a community
(its language changed) or an import.

Why the ranking stays exact with stems, surface forms and top lists:
stems and surface forms are different terms, one of each per token, so a
stem's frequency is the one an index of stems alone would have, and every
post is exactly twice as long, which bm25 (length relative to the mean)
does not see. Our bm25 reads the very text FTS5 indexed and splits it the
same way, so both count the same. A prefix (``_koffie*``) is one more
kind of term: FTS5 matches it as a prefix phrase, whose frequency in a
post is the number of its terms the prefix starts, and so does ours; it
gets a top list like any common term, and ``post_written`` offers a post
to the lists of every prefix of its surface forms, so the lists' invariant
(below) holds for prefixes too.

The slow part of search is *ranking*: FTS5's ``bm25()`` first counts every
posting of every query term (its IDF), then scores every matching post.
For a term in most posts both are full scans of its postings: on 200k
posts one common word takes ~270 ms, and ``MATCH ... AND rowid IN (200
ids)`` takes over a second, because the IDF count is redone for every
rowid looked up. So when FTS5 would do much work, we rank ourselves: bm25
with FTS5's formula, constants and global statistics
(``scoring.rank_rows``), over a *bounded* set of candidate posts.

How a query is answered (``SearchTuning`` holds every threshold):

* Every word becomes one quoted FTS5 phrase made of its terms: its stems,
  or for a prefix word (``koffie*``, at least ``MIN_PREFIX`` letters) its
  marked surface forms with the last one open. User text never reaches
  FTS5 as syntax.
* A term in at most ``selective_df`` posts (whole index, counted by
  ``post_fts_vocab``, which costs in proportion to that count; a prefix,
  not being in the vocabulary, is counted by FTS5) is *selective*. Every
  other term is *common* and gets a top list per community (tables
  ``search_top_list`` / ``search_top_entry``, migration 0002): the
  ``list_size`` posts in which that term alone scores best (its bm25
  contribution without the IDF factor, "impact" here), each with the term's
  weighted frequency and the post's length. The list also caches the term's
  document frequency: common terms are never counted at query time. One
  statement fetches all this for a query.
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
IS NULL`` and the tag/author filters, and scored from its current indexed
text (the one-word list path uses the frequency stored with the entry,
which ``post_written`` keeps current). So a removed post, another community's post
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
``rebuild_search_lists`` recomputes everything after bulk loads (surface
forms and prefixes get theirs at first use). A post written without
``post_written`` (or ``index_posts``) has no indexed text and is not found.

PostgreSQL (migration 0011, ``postgres``) uses its own full-text search
instead of FTS5 and the lists: ``search_text`` holds the words as written
and the community's text search configuration, from which PostgreSQL
generates a stored tsvector under a GIN index: the stems of the
community's language and of English (a Dutch community's English words),
unaccented (café = cafe), title weight A and body B, and the words as
written for prefixes (C, D). A query is built from our tokens (quoted
lexemes, ``:*`` for a prefix; never the user's text as tsquery syntax),
matched with ``@@`` so the GIN index finds the posts, ranked by
``ts_rank_cd`` (titles weigh more), ties newer first; all words, else
any. Ranking reads each candidate, so a common word's candidates are
bounded: the newest ``postgres.CANDIDATES`` matching posts (exact when
fewer match). Its Snowball Dutch is older than PyStemmer's: a few verb forms
(werkt, gemaakt) find their infinitive only on SQLite.

Every hit of ``search_posts`` comes with a snippet: a short piece of the
post around the first match, the matched words marked (``snippets``).

The package, one job a module: ``tokens`` (the tokenizer, phrases, FTS5
query text), ``analyzer`` (stems and surface forms; words to phrases,
or to PostgreSQL's query words), ``indexer`` (``search_text``),
``scoring`` (FTS5's statistics and bm25), ``tuning`` (the thresholds),
``sql`` (filters, indexed text, newest posts), ``fts`` (FTS5's own
ranking), ``lists`` (top lists: build, maintain, rebuild), ``sqlite``
(the query planner above), ``postgres`` (PostgreSQL's full-text search)
and ``snippets`` (on both: words marked by our stems). This ``__init__`` holds the public API:
``search_posts`` and ``search_post_ids`` pick the path, the rest is
re-exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, Unpack

from storage.engine import DbSession
from storage.search.analyzer import MIN_PREFIX, analyzer_for, query_words
from storage.search.indexer import index_all, index_posts
from storage.search.lists import post_written, rebuild_search_lists
from storage.search.postgres import postgres_search
from storage.search.scoring import BODY_WEIGHT, TITLE_WEIGHT
from storage.search.snippets import Matcher, Snippet, snippets_of
from storage.search.sql import Filter, newest_rows
from storage.search.sqlite import SqliteSearch
from storage.search.tokens import fts_query, tokenize
from storage.search.tuning import DEFAULT_TUNING, SearchTuning
from storage.sql import Sql, dialect_of

__all__ = [
    "BODY_WEIGHT",
    "DEFAULT_TUNING",
    "MIN_PREFIX",
    "TITLE_WEIGHT",
    "Hit",
    "SearchOptions",
    "SearchTuning",
    "Snippet",
    "analyzer_for",
    "fts_query",
    "index_all",
    "index_posts",
    "post_written",
    "rebuild_search_lists",
    "search_post_ids",
    "search_posts",
    "tokenize",
]


@dataclass(frozen=True)
class Hit:
    """A found post and the snippet that shows why."""

    post_id: int
    snippet: Snippet


class SearchOptions(TypedDict, total=False):
    """What narrows a search, and how many: see ``search_post_ids``."""

    tag: str | None
    author_id: int | None
    limit: int  # 5 when not given
    tuning: SearchTuning | None


async def search_posts(
    session: DbSession, community_id: int, words: list[str], **options: Unpack[SearchOptions]
) -> list[Hit]:
    """``search_post_ids``, each post with its snippet."""
    language = await _language(session, community_id)
    ids = await _search(session, community_id, words, language, options)
    analyzer = analyzer_for(language)
    matcher = Matcher(analyzer.phrases(words), analyzer)
    snippets = await snippets_of(await Sql.of(session), ids, matcher)
    return [Hit(post_id, snippets.get(post_id, ())) for post_id in ids]


async def search_post_ids(
    session: DbSession, community_id: int, words: list[str], **options: Unpack[SearchOptions]
) -> list[int]:
    """Ids of the community's posts that best match ``words``, best first.

    All words must match; if none does and there are several words, posts
    matching any of them are ranked instead. A word matches its other forms
    in the community's language and English (vrijwilliger = vrijwilligers,
    volunteering = volunteer); a word ending in ``*`` matches every word
    that starts with it as written (``koffie*``: koffietafel). Words are
    plain text: quotes, ``:``, ``AND``/``OR``/``NEAR`` and the like are
    searched as text (or ignored as punctuation), never interpreted. Title
    and tag matches weigh more than body and comment matches; accents do
    not matter (café = cafe). ``tag`` (name without ``#``) and
    ``author_id`` narrow the search; with no usable words but a filter, the
    newest matching posts are returned. Removed posts are never returned.
    ``session`` must be inside a transaction; on SQLite a missing or
    thinned top list may be written in a savepoint (skipped if the
    database is busy)."""
    language = await _language(session, community_id)
    return await _search(session, community_id, words, language, options)


async def _language(session: DbSession, community_id: int) -> str:
    """The community's language, which its posts were indexed in."""
    found = await (await Sql.of(session)).all(
        "SELECT language FROM community WHERE id = :id", {"id": community_id}
    )
    return str(found[0][0]) if found else "en"


async def _search(
    session: DbSession,
    community_id: int,
    words: list[str],
    language: str,
    options: SearchOptions,
) -> list[int]:
    limit = options.get("limit", 5)
    if limit <= 0:
        return []
    tag = options.get("tag")
    flt = Filter(
        community_id,
        tag.strip().lstrip("#").lower() if tag is not None else None,
        options.get("author_id"),
    )
    dialect = dialect_of(session)
    if dialect == "postgresql":
        queried = query_words(words)
        if not queried:
            return await _newest(session, flt, limit)
        return await postgres_search(session, flt, queried, language, limit)
    if dialect != "sqlite":
        raise NotImplementedError(f"post search is not implemented for {dialect}")
    phrases = analyzer_for(language).phrases(words)
    if not phrases:
        return await _newest(session, flt, limit)
    search = await SqliteSearch.prepare(
        await Sql.of(session), flt, phrases, options.get("tuning") or DEFAULT_TUNING, limit
    )
    found = await search.rank(require_all=True, limit=limit)
    if not found and len(phrases) > 1:
        found = await search.rank(require_all=False, limit=limit)
    return found


async def _newest(session: DbSession, flt: Filter, limit: int) -> list[int]:
    """No usable words: the newest posts passing a tag or author filter,
    nothing without one."""
    if flt.tag is None and flt.author_id is None:
        return []
    return [row[0] for row in await newest_rows(await Sql.of(session), flt, limit, "p.id")]
