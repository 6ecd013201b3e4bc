"""Search top lists: per (community, term), the posts that term ranks best.

Plain FTS5 ``ORDER BY bm25()`` has to score every post containing every
query term, and for a term in most posts that alone takes hundreds of
milliseconds. ``storage/search/`` therefore keeps, for each term that is
common (in more than a few hundred posts), a short "top list": the posts in
which that term on its own scores best (its bm25 "impact", without the IDF
factor, which is the same for every post of the term). Searches made only
of common terms rank the union of those lists instead of the whole index.

The lists are derived data: ``storage.search.rebuild_search_lists`` can
recompute them from the posts at any time, and ``post_written`` keeps them
in step with inserts, edits and soft deletes. Like the FTS5 index of 0001
they exist only on SQLite; PostgreSQL searches without them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


SQLITE_DDL = [
    # One row per list. ``doc_count``/``row_count`` snapshot the term's
    # document frequency and the index size when the list was built, so a
    # search can estimate the term's IDF without counting its postings
    # (counting a very common term costs ~15 ms on 200k posts). ``avgdl`` is
    # the mean post length all impacts of the list are computed with, so
    # they stay comparable; the list is rebuilt when the index drifts away.
    # ``complete`` = the list holds every live post of the community that
    # contains the term (it was built with room to spare and has never had
    # to evict since), so a post outside it cannot match the term.
    """CREATE TABLE search_top_list (
           community_id INTEGER NOT NULL REFERENCES community(id) ON DELETE CASCADE,
           term TEXT NOT NULL,
           capacity INTEGER NOT NULL,
           complete INTEGER NOT NULL DEFAULT 0,
           doc_count INTEGER NOT NULL,
           row_count INTEGER NOT NULL,
           avgdl REAL NOT NULL,
           size INTEGER NOT NULL DEFAULT 0,
           PRIMARY KEY (community_id, term)
       ) WITHOUT ROWID""",
    # The members of each list, with what bm25 needs to score the term in
    # the post without reading it: the weighted term frequency and the
    # post's length in tokens. Cascades keep a hard delete of a post (or of
    # a list) from ever failing on, or leaving behind, an entry.
    """CREATE TABLE search_top_entry (
           community_id INTEGER NOT NULL,
           term TEXT NOT NULL,
           post_id INTEGER NOT NULL REFERENCES post(id) ON DELETE CASCADE,
           impact REAL NOT NULL,
           frequency REAL NOT NULL,
           doclen INTEGER NOT NULL,
           PRIMARY KEY (community_id, term, post_id),
           FOREIGN KEY (community_id, term)
               REFERENCES search_top_list(community_id, term) ON DELETE CASCADE
       ) WITHOUT ROWID""",
    # Weakest entry of a list: admission and eviction when a post is written.
    """CREATE INDEX ix_search_top_entry_impact
       ON search_top_entry(community_id, term, impact)""",
    # All entries of one post: edits and soft deletes drop them first.
    "CREATE INDEX ix_search_top_entry_post ON search_top_entry(post_id)",
    # ``size`` counts a list's entries whatever removes them (an edit, a
    # rebuild, the cascade of a hard delete): counting them at every write
    # and search would cost more than the rest of the work. An entry that
    # takes a full list over its capacity pushes the weakest entry out (ties:
    # the older post), and the list no longer holds every post of its term.
    # Doing this here saves post_written a statement per admission.
    """CREATE TRIGGER search_top_entry_added AFTER INSERT ON search_top_entry BEGIN
           UPDATE search_top_list SET size = size + 1
           WHERE community_id = new.community_id AND term = new.term;
           UPDATE search_top_list SET complete = 0
           WHERE community_id = new.community_id AND term = new.term AND size > capacity;
           DELETE FROM search_top_entry
           WHERE community_id = new.community_id AND term = new.term
             AND (SELECT size > capacity FROM search_top_list
                  WHERE community_id = new.community_id AND term = new.term)
             AND post_id = (SELECT post_id FROM search_top_entry
                            WHERE community_id = new.community_id AND term = new.term
                            ORDER BY impact, post_id LIMIT 1);
       END""",
    """CREATE TRIGGER search_top_entry_dropped AFTER DELETE ON search_top_entry BEGIN
           UPDATE search_top_list SET size = size - 1
           WHERE community_id = old.community_id AND term = old.term;
       END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_top_entry_dropped",
    "DROP TRIGGER IF EXISTS search_top_entry_added",
    "DROP INDEX IF EXISTS ix_search_top_entry_post",
    "DROP INDEX IF EXISTS ix_search_top_entry_impact",
    "DROP TABLE IF EXISTS search_top_entry",
    "DROP TABLE IF EXISTS search_top_list",
]


def _on_sqlite(statements: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in statements:
            op.execute(statement)


def upgrade() -> None:
    _on_sqlite(SQLITE_DDL)


def downgrade() -> None:
    _on_sqlite(SQLITE_DROP)
