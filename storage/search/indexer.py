"""The indexed text of posts: table ``search_text`` (migration 0010), one row
per live post.

Its ``title`` column holds the text of the post's title and tags (a tag
says what the post is about, so it weighs like the title); ``body`` that
of its body, its comments and the titles of the pages it links to (links
themselves are part of the body's text already). It is written in one of
two forms, by database:

* SQLite: index terms (``analyzer``: stems and marked surface forms, in
  the language of the post's community), which FTS5 indexes (triggers
  keep ``post_fts`` in step) and our bm25 reads.
* PostgreSQL (migration 0011): the words as written (``words_as_written``:
  punctuation dropped, so PostgreSQL's parser finds our tokens), and
  ``config``, the text search configuration of the community's language;
  PostgreSQL makes the indexed ``document`` tsvector from them itself.

Written in the transaction that changes a post, its tags or its comments
(``post_written``); ``index_posts`` redoes many posts at once (a community
changed language, an import); ``index_all`` is the same for synchronous
callers (the migrations, the benchmark's bulk load).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from storage.search.analyzer import analyzer_for
from storage.search.postgres import config_for
from storage.search.tokens import words_as_written
from storage.sql import Sql, dialect_of

# The form of the indexed text: index terms (SQLite, FTS5), or the words as
# written with a text search configuration (PostgreSQL).
Form = Literal["terms", "words"]

# The sources of a range of posts: the posts, their comments, their tags.
_POSTS = (
    "SELECT p.id, p.community_id, c.language, p.title, p.body, p.removed_at IS NULL"
    " FROM post AS p JOIN community AS c ON c.id = p.community_id"
    " WHERE p.id BETWEEN :low AND :high"
)
_COMMUNITY = " AND p.community_id = :community_id"
# Comments, then the fetched titles of linked pages: both read as body text.
_COMMENTS = (
    "SELECT x.post_id, x.body, 0 AS kind, x.id FROM comment AS x WHERE x.post_id BETWEEN :low AND :high"
    " UNION ALL SELECT l.post_id, l.title, 1, l.position FROM postlink AS l"
    " WHERE l.post_id BETWEEN :low AND :high AND l.title IS NOT NULL"
    " ORDER BY 3, 4"
)
_TAGS = (
    "SELECT x.post_id, t.name FROM posttag AS x JOIN tag AS t ON t.id = x.tag_id"
    " WHERE x.post_id BETWEEN :low AND :high ORDER BY t.id"
)
# Rewritten only when the text changed: an unchanged row costs FTS5 (or
# PostgreSQL's tsvector and its GIN index) nothing.
_UPSERT = (
    "INSERT INTO search_text (post_id, title, body) VALUES (:post_id, :title, :body)"
    " ON CONFLICT (post_id) DO UPDATE SET title = excluded.title, body = excluded.body"
    " WHERE search_text.title <> excluded.title OR search_text.body <> excluded.body"
)
_UPSERT_WORDS = (
    "INSERT INTO search_text (post_id, title, body, config)"
    " VALUES (:post_id, :title, :body, CAST(CAST(:config AS text) AS regconfig))"
    " ON CONFLICT (post_id) DO UPDATE"
    " SET title = excluded.title, body = excluded.body, config = excluded.config"
    " WHERE search_text.title <> excluded.title OR search_text.body <> excluded.body"
    " OR search_text.config <> excluded.config"
)
# A tsvector holds at most 1 MB: text past this many characters of a
# column (a thread of hundreds of long comments) is not indexed, rather
# than the write failing.
MAX_WORDS_CHARS = 50_000
_DELETE = "DELETE FROM search_text WHERE post_id = :post_id"
_BOUNDS = "SELECT min(p.id), max(p.id) FROM post AS p WHERE 1 = 1"
# Posts read and written per batch: bounded memory, few round trips.
_BATCH = 2_000

Row = Sequence[Any]


@dataclass(frozen=True)
class IndexedPost:
    """A live post's indexed text, as ``search_text`` now holds it."""

    post_id: int
    community_id: int
    title: str
    body: str
    config: str  # PostgreSQL's text search configuration ("" for terms)


def _column(form: Form, language: str, texts: list[str]) -> str:
    """One column's indexed text, in ``form``."""
    if form == "terms":
        return analyzer_for(language).column(texts)
    return words_as_written("\n".join(texts))[:MAX_WORDS_CHARS]


def _indexed(
    posts: Sequence[Row], comments: Sequence[Row], tags: Sequence[Row], form: Form
) -> tuple[list[IndexedPost], list[dict[str, Any]]]:
    """The rows to write for some posts, and the removed posts to take out."""
    comments_of: dict[int, list[str]] = defaultdict(list)
    for post_id, body, *_order in comments:
        comments_of[post_id].append(body)
    tags_of: dict[int, list[str]] = defaultdict(list)
    for post_id, name in tags:
        tags_of[post_id].append(name)
    live: list[IndexedPost] = []
    removed: list[dict[str, Any]] = []
    for post_id, community_id, language, title, body, is_live in posts:
        if not is_live:
            removed.append({"post_id": post_id})
            continue
        live.append(
            IndexedPost(
                post_id,
                community_id,
                _column(form, language, [title, *tags_of[post_id]]),
                _column(form, language, [body, *comments_of[post_id]]),
                config_for(language) if form == "words" else "",
            )
        )
    return live, removed


def _writes(form: Form, live: list[IndexedPost]) -> tuple[str, list[dict[str, Any]]]:
    """The upsert statement of ``form`` and its rows."""
    if form == "terms":
        return _UPSERT, [{"post_id": p.post_id, "title": p.title, "body": p.body} for p in live]
    rows = [{"post_id": p.post_id, "title": p.title, "body": p.body, "config": p.config} for p in live]
    return _UPSERT_WORDS, rows


def form_of(sql: Sql) -> Form:
    """The form of the indexed text on ``sql``'s database."""
    return "words" if dialect_of(sql.session) == "postgresql" else "terms"


def _batches(low: int | None, high: int | None) -> Iterator[dict[str, Any]]:
    if low is None or high is None:
        return
    for start in range(low, high + 1, _BATCH):
        yield {"low": start, "high": min(start + _BATCH - 1, high)}


async def _index_range(sql: Sql, bounds: dict[str, Any], community: str = "") -> list[IndexedPost]:
    form = form_of(sql)
    posts = await sql.all(_POSTS + community, bounds)
    live, removed = _indexed(
        posts, await sql.all(_COMMENTS, bounds), await sql.all(_TAGS, bounds), form
    )
    await sql.many(*_writes(form, live))
    await sql.many(_DELETE, removed)
    return live


async def index_post(sql: Sql, post_id: int) -> IndexedPost | None:
    """Bring one post's indexed text up to date (in the caller's
    transaction); the text if the post is live, None if it is removed (its
    row is deleted) or gone (the foreign key's cascade deleted the row)."""
    live = await _index_range(sql, {"low": post_id, "high": post_id})
    return live[0] if live else None


async def index_posts(sql: Sql, community_id: int | None = None) -> None:
    """Recompute the indexed text of every post (of one community)."""
    params = {} if community_id is None else {"community_id": community_id}
    community = "" if community_id is None else _COMMUNITY
    bounds = (await sql.all(_BOUNDS + community, params))[0]
    for batch in _batches(*bounds):
        await _index_range(sql, {**batch, **params}, community)


def index_all(
    fetch: Callable[[str, dict[str, Any]], Sequence[Row]],
    write: Callable[[str, list[dict[str, Any]]], object],
    form: Form = "terms",
) -> None:
    """``index_posts`` for every post, through synchronous callables:
    ``fetch(statement, params)`` returns rows, ``write(statement, rows)``
    runs a statement once per row (never called with no rows). ``form``
    is the schema's: "terms" up to migration 0010 and on SQLite, "words"
    on PostgreSQL from 0011 on (a migration names the form of its own
    schema, whatever the code's newest is)."""
    low, high = fetch(_BOUNDS, {})[0]
    for batch in _batches(low, high):
        live, removed = _indexed(
            fetch(_POSTS, batch), fetch(_COMMENTS, batch), fetch(_TAGS, batch), form
        )
        for statement, rows in (_writes(form, live), (_DELETE, removed)):
            if rows:
                write(statement, rows)
