"""PostgreSQL: a simple, unindexed fallback (no FTS5, no top lists), with
the same AND-then-OR semantics as SQLite."""

from __future__ import annotations

import functools

from sqlalchemy import text

from storage.engine import DbSession
from storage.search.sql import Filter
from storage.search.tokens import Phrase, fold_char


@functools.cache
def _latin_fold_tables() -> tuple[str, str]:
    """Characters with a diacritic and their base letters, for translate():
    PostgreSQL's 'simple' configuration keeps accents, we drop them (café =
    cafe) without needing the unaccent extension."""
    source, target = [], []
    for code in range(0xC0, 0x250):
        ch = chr(code)
        folded = "".join(fold_char(c) for c in ch.lower())
        if len(folded) == 1 and folded.isascii() and folded != ch:
            source.append(ch)
            target.append(folded)
    return "".join(source), "".join(target)


async def postgres_search(
    session: DbSession, flt: Filter, phrases: list[Phrase], limit: int
) -> list[int]:
    """Best ``limit`` post ids with all phrases, else (several phrases) any,
    ranked by ``ts_rank``."""
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
