"""PostgreSQL searches with its own full-text search: unaccented text search
configurations, a generated tsvector and a GIN index (SQLite: nothing).

Until now PostgreSQL searched ``search_text``'s Python-stemmed terms with
``to_tsvector('simple', …)`` at query time, reading every post. Now:

* the ``unaccent`` extension (trusted: the database's owner may create
  it), and a configuration per community language, ``kenniscafe_dutch``
  and ``kenniscafe_english``: copies of ``dutch`` and ``english`` whose
  words go through ``unaccent`` and then a Snowball stemmer without stop
  words (SQLite finds "de" and "not": so must we); words with digits
  through ``unaccent`` and ``simple``. ``kenniscafe_words``: every word
  unaccented, lower-cased, not stemmed (prefix searches match words as
  written);
* ``search_text`` holds the words as written (title and tags; body,
  comments and link titles) and ``config``, the community's
  configuration; ``document``, a generated stored tsvector, holds their
  stems (title A, body B; a non-English community's English stems too)
  and their words as written (title C, body D), under a GIN index.

The text of every existing post is written again in that form (it was
terms), then the index is built and the table analysed. The way back
drops the columns and the configurations and writes the terms again; it
leaves the extension, which something else may use.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.search.indexer import Form, index_all

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Token types of PostgreSQL's parser that are words: letters only...
_WORDS = "asciiword, word, asciihword, hword, hword_asciipart, hword_part"
# ...and letters with digits (no stemming, but unaccented all the same).
_NUMBER_WORDS = "numword, numhword, hword_numpart"


def _language(name: str) -> list[str]:
    """Configuration ``kenniscafe_<name>``: a copy of PostgreSQL's, its words
    unaccented, then stemmed by Snowball ``name`` without stop words."""
    config, stemmer = f"kenniscafe_{name}", f"kenniscafe_{name}_stem"
    alter = f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR"
    return [
        f"CREATE TEXT SEARCH DICTIONARY {stemmer} (TEMPLATE = snowball, Language = {name})",
        f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = pg_catalog.{name})",
        f"{alter} {_WORDS} WITH unaccent, {stemmer}",
        f"{alter} {_NUMBER_WORDS} WITH unaccent, simple",
    ]


CONFIGS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    *_language("dutch"),
    *_language("english"),
    "CREATE TEXT SEARCH CONFIGURATION kenniscafe_words (COPY = pg_catalog.simple)",
    (
        "ALTER TEXT SEARCH CONFIGURATION kenniscafe_words"
        f" ALTER MAPPING FOR {_WORDS}, {_NUMBER_WORDS} WITH unaccent, simple"
    ),
]
CONFIGS_DROP = [
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS kenniscafe_words",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS kenniscafe_english",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS kenniscafe_dutch",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS kenniscafe_english_stem",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS kenniscafe_dutch_stem",
]


def _stems(column: str, weight: str) -> str:
    """A column's stems in its configuration, and in English unless that is it."""
    own = f"setweight(to_tsvector(config, {column}), '{weight}')"
    english = f"setweight(to_tsvector('kenniscafe_english'::regconfig, {column}), '{weight}')"
    return (
        f"{own} || CASE WHEN config = 'kenniscafe_english'::regconfig"
        f" THEN ''::tsvector ELSE {english} END"
    )


def _as_written(column: str, weight: str) -> str:
    return f"setweight(to_tsvector('kenniscafe_words'::regconfig, {column}), '{weight}')"


DOCUMENT = " || ".join(
    [_stems("title", "A"), _stems("body", "B"), _as_written("title", "C"), _as_written("body", "D")]
)
COLUMNS = [
    # (The table is emptied first: the new NOT NULL column needs no default.)
    "ALTER TABLE search_text ADD COLUMN config regconfig NOT NULL",
    f"ALTER TABLE search_text ADD COLUMN document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED",
]
# Built after the table is filled: faster than growing it row by row.
# fastupdate off: a post is indexed as it is written, not queued in the
# index's pending list, which every search would then read through (up to
# 4 MB of it, until a vacuum): a search's time stays the same, a write
# costs a little more.
INDEX = [
    (
        "CREATE INDEX ix_search_text_document ON search_text USING gin (document)"
        " WITH (fastupdate = off)"
    ),
    "ANALYZE search_text",
]
COLUMNS_DROP = [
    "DROP INDEX IF EXISTS ix_search_text_document",
    "ALTER TABLE search_text DROP COLUMN document",
    "ALTER TABLE search_text DROP COLUMN config",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def _reindex(form: Form) -> None:
    """Every post's indexed text again, in ``form`` (this schema's)."""
    bind = op.get_bind()
    op.execute("DELETE FROM search_text")
    index_all(
        lambda statement, params: bind.execute(sa.text(statement), params).all(),
        lambda statement, rows: bind.execute(sa.text(statement), rows),
        form,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run(CONFIGS)
    op.execute("DELETE FROM search_text")  # terms, not words: written again below
    _run(COLUMNS)
    _reindex("words")
    _run(INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run(COLUMNS_DROP)
    _reindex("terms")
    _run(CONFIGS_DROP)
