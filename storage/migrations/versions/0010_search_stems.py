"""Search that understands the language: posts are indexed by the terms
``storage.search`` computes (stems in the community's language and
English, and the words as written for prefix queries), from their title
and tags, body and comments.

The terms live in ``search_text`` (one row per live post, on every
database). On SQLite, FTS5 now indexes that table instead of ``post``:
``post_fts`` is made again over it, kept in step by triggers on it, and
split on spaces only (``_`` marks a word as written). The old index and
its triggers on ``post`` go, and so do the top lists, whose terms were
words, not stems: searches rebuild each when it is first needed
(``rebuild_search_lists`` does all at once). The migration computes the
terms of every existing post, which takes a while on a large archive
(about a minute per 100k posts).

Linked pages' titles are searched with the post's body: ``postlink`` gets
the ``title`` a background job fetches when the operator turns
``link_titles`` on, and ``title_checked_at`` (empty: not looked at yet,
indexed as the job's queue). They come first: the terms read them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

from storage.search.indexer import index_all

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


SEARCH_TEXT = """CREATE TABLE search_text (
    post_id INTEGER PRIMARY KEY REFERENCES post(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL)"""

# The top lists held words; their terms are stems now.
CLEAR_LISTS = ["DELETE FROM search_top_entry", "DELETE FROM search_top_list"]

NEW_INDEX = [
    # The terms are ours already (folded, stemmed, space separated): the
    # ascii tokenizer only splits them, keeping the surface mark inside.
    """CREATE VIRTUAL TABLE post_fts USING fts5(
           title, body, content='search_text', content_rowid='post_id',
           tokenize="ascii tokenchars '_'")""",
    "CREATE VIRTUAL TABLE post_fts_vocab USING fts5vocab(post_fts, 'row')",
    """CREATE TRIGGER search_text_after_insert AFTER INSERT ON search_text BEGIN
           INSERT INTO post_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body);
       END""",
    """CREATE TRIGGER search_text_after_delete AFTER DELETE ON search_text BEGIN
           INSERT INTO post_fts(post_fts, rowid, title, body)
           VALUES ('delete', old.post_id, old.title, old.body);
       END""",
    """CREATE TRIGGER search_text_after_update AFTER UPDATE ON search_text BEGIN
           INSERT INTO post_fts(post_fts, rowid, title, body)
           VALUES ('delete', old.post_id, old.title, old.body);
           INSERT INTO post_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body);
       END""",
]
NEW_INDEX_DROP = [
    "DROP TRIGGER IF EXISTS search_text_after_update",
    "DROP TRIGGER IF EXISTS search_text_after_delete",
    "DROP TRIGGER IF EXISTS search_text_after_insert",
    "DROP TABLE IF EXISTS post_fts_vocab",
    "DROP TABLE IF EXISTS post_fts",
]
# Migration 0001's index over post, for the way back: filled with the live
# posts (with external content, "rebuild" would index removed ones too).
_INITIAL = importlib.import_module("storage.migrations.versions.0001_initial_schema")
OLD_INDEX_DROP: list[str] = _INITIAL.SQLITE_SEARCH_DROP
OLD_INDEX: list[str] = [
    *_INITIAL.SQLITE_SEARCH_DDL,
    (
        "INSERT INTO post_fts(rowid, title, body)"
        " SELECT id, title, body FROM post WHERE removed_at IS NULL"
    ),
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("postlink") as batch:
        batch.add_column(sa.Column("title", sa.String(), nullable=True))
        batch.add_column(sa.Column("title_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_postlink_unchecked", ["title_checked_at", "id"])
    op.execute(SEARCH_TEXT)
    if bind.dialect.name == "sqlite":
        _run(OLD_INDEX_DROP + CLEAR_LISTS + NEW_INDEX)
    # Filling search_text fills post_fts too (its insert trigger).
    index_all(
        lambda statement, params: bind.execute(sa.text(statement), params).all(),
        lambda statement, rows: bind.execute(sa.text(statement), rows),
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _run(NEW_INDEX_DROP + CLEAR_LISTS)
    op.execute("DROP TABLE search_text")
    if sqlite:
        _run(OLD_INDEX)
    with op.batch_alter_table("postlink") as batch:
        batch.drop_index("ix_postlink_unchecked")
        batch.drop_column("title_checked_at")
        batch.drop_column("title")
