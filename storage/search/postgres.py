"""PostgreSQL: a simple, unindexed fallback (no FTS5, no top lists), with
the same AND-then-OR semantics as SQLite, over the same indexed text
(``search_text``), so words match by stem and prefixes by the words as
written, exactly as on SQLite; only the ranking is PostgreSQL's
``ts_rank``.

A column of ``search_text`` is its stems, then its surface forms, each
marked with ``_`` (see ``analyzer``); stems never hold a ``_``, so the
column splits at its first one. PostgreSQL's parser drops the mark, so the
two halves are told apart by weight instead: stems of the title A, of the
body B; surface forms of the title C, of the body D. A word's phrase asks
for its stems in A or B, a prefix for surface forms in C or D. (The
'dutch'/'english' configurations would stem again, differently from
SQLite, and only in one language.)
"""

from __future__ import annotations

from sqlalchemy import text

from storage.engine import DbSession
from storage.search.sql import TEXT_JOIN, Filter
from storage.search.tokens import PREFIX, SURFACE, Phrase, is_prefix


def _halves(column: str) -> tuple[str, str]:
    stems = f"split_part({column}, '_', 1)"
    return stems, f"substr({column}, length({stems}) + 1)"


def _document() -> str:
    (title_stems, title_words), (body_stems, body_words) = _halves("s.title"), _halves("s.body")
    weighted = ((title_stems, "A"), (body_stems, "B"), (title_words, "C"), (body_words, "D"))
    return " || ".join(
        f"setweight(to_tsvector('simple', {part}), '{weight}')" for part, weight in weighted
    )


def tsquery_text(phrase: Phrase) -> str:
    """``phrase`` as ``to_tsquery`` text: its lexemes side by side (``<->``),
    each limited to the weights of its kind, the last one open if a prefix."""
    # Our tokens hold only token characters (no quote, colon or operator),
    # so quoting them is always valid tsquery text and means only them.
    prefix = is_prefix(phrase[-1])
    lexemes = []
    for at, token in enumerate(phrase):
        if prefix:
            word = token[len(SURFACE):].removesuffix(PREFIX).decode("utf-8")
            label = ":*CD" if at == len(phrase) - 1 else ":CD"
        else:
            word, label = token.decode("utf-8"), ":AB"
        lexemes.append(f"'{word}'{label}")
    return " <-> ".join(lexemes)


async def postgres_search(
    session: DbSession, flt: Filter, phrases: list[Phrase], limit: int
) -> list[int]:
    """Best ``limit`` post ids with all phrases, else (several phrases) any,
    ranked by ``ts_rank``."""
    words = {f"w{i}": tsquery_text(phrase) for i, phrase in enumerate(phrases)}
    for operator in ("&&", "||"):
        if operator == "||" and len(phrases) < 2:
            break
        query = f" {operator} ".join(f"to_tsquery('simple', :{name})" for name in words)
        result = await session.execute(
            text(
                f"SELECT p.id FROM post AS p{TEXT_JOIN}"
                f" CROSS JOIN LATERAL (SELECT {_document()} AS doc, ({query}) AS query) AS d"
                " WHERE d.doc @@ d.query" + flt.sql()
                + " ORDER BY ts_rank(d.doc, d.query) DESC, p.id DESC LIMIT :limit"
            ),
            {**flt.params(), **words, "limit": limit},
        )
        found = [row[0] for row in result.all()]
        if found:
            return found
    return []
