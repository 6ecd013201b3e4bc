"""PostgreSQL: its own full-text search, with the semantics of SQLite's.

What is indexed (migration 0011). ``search_text`` holds each live post's
words as written (``indexer``: title and tags; body, comments and link
titles) and ``config``, the text search configuration of its community's
language. From them PostgreSQL generates ``document``, a stored tsvector
with a GIN index, made of three parts:

* the stems of the community's language, title weight A, body B;
* in a non-English community, the English stems too, also A and B (a
  Dutch community writes English words: volunteering finds volunteer).
  Not one stem chained through both stemmers as on SQLite: a
  configuration maps a word to the first dictionary that knows it, and a
  Snowball stemmer knows every word. So a word matches if its stem in
  either language is the post's stem in that language (or, rarely, in the
  other);
* the words as written (unaccented, lower case, not stemmed), title C,
  body D, for prefixes: ``vrijwillig*`` must find vrijwilligers although
  its Dutch stem (vrijwilliger) is shorter, ``koffie*`` must find
  koffie, whose English stem is koffi, and ``happi*`` must not find happy.

Every configuration (``kenniscafe_dutch``, ``kenniscafe_english``,
``kenniscafe_words``) passes words through ``unaccent`` first (café =
cafe) and has no stop words: SQLite finds "de" and "not", so do we.

A query is built from our own tokens, never from the user's text as
tsquery syntax: each search word is its tokens, quoted, side by side
(``<->``), limited to the weights of its kind (stems: A, B; a prefix, the
last token open with ``:*``: C, D), normalised by ``to_tsquery`` with the
community's configuration and English (stems) or the words configuration
(prefixes). Tokens hold only letters and digits, so quoting them is
always valid and means only them (a word of more than
``MAX_PHRASE_TOKENS`` tokens keeps its last ones). All words must match (``&&``; a word
with no lexeme left, such as one over PostgreSQL's 2047-byte word limit,
matches nothing, as its posts could not be indexed either); if nothing
does and there are several words, any word (``||``). ``@@`` against the
indexed ``document`` lets the GIN index find the posts; ``ts_rank_cd``
ranks them (a title match weighs ``TITLE_WEIGHT / BODY_WEIGHT`` times a
body match, a long post's rank is divided by the log of its length), ties
newer first. The ``Filter`` of every path applies.

Ranking reads every candidate's tsvector, about 10 µs a post: a word in
most of 200k posts would take seconds. So the candidates are the newest
``CANDIDATES`` posts that match: exact whenever fewer match, the best of
the newest otherwise. (SQLite's top lists are exact there; PostgreSQL has
no index that ranks. A second window of title matches was tried: the
weight restriction is not indexable, so finding few title matches read
the whole table.)

PostgreSQL 15's Snowball Dutch predates the one PyStemmer has (SQLite):
vrijwilliger = vrijwilligers, koffietafel = koffietafels, vergadering =
vergaderingen alike, but werkt ≠ werken and gemaakt ≠ maken here.
"""

from __future__ import annotations

from typing import Any

from storage.engine import DbSession
from storage.search.analyzer import QueryWord
from storage.search.scoring import BODY_WEIGHT, TITLE_WEIGHT
from storage.search.sql import Filter
from storage.sql import Sql

# The text search configuration of each community language (migration
# 0011 makes them; a language the bot learns needs one more migration).
# Any other language is searched as English, as the analyzer does.
CONFIGS = {"nl": "kenniscafe_dutch", "en": "kenniscafe_english"}
ENGLISH = CONFIGS["en"]
# Words as written, unaccented, for prefixes.
WORDS = "kenniscafe_words"
# ts_rank_cd's weights of D, C, B, A: body (D, B) against title (C, A),
# as SQLite's bm25 weighs them; stems and words as written alike.
_BODY = BODY_WEIGHT / TITLE_WEIGHT
RANK_WEIGHTS = f"{{{_BODY:g},1,{_BODY:g},1}}"
# ts_rank_cd's normalisation: divided by the log of the post's length.
RANK_NORMALIZATION = 1
# Posts ranked at most: the newest this many that match. Ranking reads
# each post's tsvector (~10 µs): a word in every post of 200k would take
# seconds to rank in full.
CANDIDATES = 1_000
# A word's phrase is at most its last this many tokens: a pasted chain of
# thousands (a-b-c-…) makes PostgreSQL's phrase matching run out of memory.
MAX_PHRASE_TOKENS = 32


def config_for(language: str) -> str:
    """The text search configuration of a community language."""
    return CONFIGS.get(language, ENGLISH)


def _quoted(token: str) -> str:
    # A token holds only letters and digits; the escapes are insurance.
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_text(word: QueryWord) -> str:
    """``word`` as ``to_tsquery`` input: its quoted tokens side by side,
    each limited to the weights of its kind, the last one open for a
    prefix (``'koffie':CD <-> 'taf':*CD``)."""
    tokens = word.tokens[-MAX_PHRASE_TOKENS:]
    labels = ["CD" if word.prefix else "AB"] * len(tokens)
    if word.prefix:
        labels[-1] = "*CD"
    return " <-> ".join(f"{_quoted(token)}:{label}" for token, label in zip(tokens, labels))


def _word_sql(word: QueryWord, name: str, configs: list[str]) -> str:
    """SQL for one word's tsquery: a prefix by the words configuration, a
    word by each of ``configs`` (any of its stems)."""
    if word.prefix:
        return f"to_tsquery(CAST('{WORDS}' AS regconfig), :{name})"
    return " || ".join(f"to_tsquery(CAST('{config}' AS regconfig), :{name})" for config in configs)


def _combined(queries: list[str], require_all: bool) -> str:
    """The words' tsqueries, all (AND) or any (OR)."""
    if not require_all:
        return "(" + " || ".join(queries) + ")"
    # A word with no lexeme would drop out of "&&" (it is "true" there):
    # then nothing has all the words (NULL matches no post).
    nonempty = " AND ".join(f"numnode({query}) > 0" for query in queries)
    return f"(CASE WHEN {nonempty} THEN {' && '.join(queries)} END)"


def search_sql(
    flt: Filter, words: list[QueryWord], language: str, *, require_all: bool, limit: int
) -> tuple[str, dict[str, Any]]:
    """The statement (and its parameters) of the best ``limit`` post ids
    with all ``words`` (AND) or any (OR), in a community of ``language``:
    the best of the newest ``CANDIDATES`` matching posts (all of them
    when fewer match)."""
    configs = list(dict.fromkeys([config_for(language), ENGLISH]))
    names = [f"w{i}" for i in range(len(words))]
    query = _combined(
        [f"({_word_sql(word, name, configs)})" for word, name in zip(words, names)], require_all
    )
    # The query is written out, not computed once in a CTE: made of
    # parameters and immutable functions, it is a constant the planner
    # folds and estimates from the column's statistics. A rare word: the
    # GIN index finds its posts; a word in most posts: the newest posts
    # are read until enough match.
    statement = (
        "SELECT c.post_id FROM (SELECT s.post_id, s.document FROM search_text AS s"
        f" JOIN post AS p ON p.id = s.post_id WHERE s.document @@ {query}" + flt.sql()
        + " ORDER BY s.post_id DESC LIMIT :candidates) AS c"
        f" ORDER BY ts_rank_cd(CAST('{RANK_WEIGHTS}' AS real[]), c.document, {query},"
        f" {RANK_NORMALIZATION}) DESC, c.post_id DESC LIMIT :limit"
    )
    params: dict[str, Any] = {
        **flt.params(),
        **{name: tsquery_text(word) for word, name in zip(words, names)},
        "candidates": max(CANDIDATES, limit),
        "limit": limit,
    }
    return statement, params


async def postgres_search(
    session: DbSession, flt: Filter, words: list[QueryWord], language: str, limit: int
) -> list[int]:
    """Best ``limit`` post ids with all words, else (several words) any,
    ranked by ``ts_rank_cd``."""
    sql = await Sql.of(session)
    # Statements are prepared and, after five runs, may get a generic plan
    # that cannot see the query: then even a rare word read the newest
    # posts one by one (measured: 134 ms median on 200k posts, 20 custom).
    await sql.run("SET LOCAL plan_cache_mode = force_custom_plan")
    for require_all in (True, False):
        if not require_all and len(words) < 2:
            break
        statement, params = search_sql(flt, words, language, require_all=require_all, limit=limit)
        found = [row[0] for row in await sql.all(statement, params)]
        if found:
            return found
    return []
