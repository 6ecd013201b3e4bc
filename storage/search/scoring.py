"""bm25, as FTS5 computes it: its global statistics, IDF, and the scores.

Our scores must equal FTS5's (``-bm25(post_fts, TITLE_WEIGHT,
BODY_WEIGHT)``) so that a query ranks alike whichever path answers it. We
score the very text FTS5 indexed (``search_text``), split on its spaces
as FTS5 splits it, so both count the same terms and the same lengths.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.search.tokens import PREFIX, Phrase, is_prefix

# bm25 column weights (title, body): a word in the title counts four times.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
# FTS5's bm25 constants (fts5_aux.c); ours must equal them to rank alike.
_K1 = 1.2
_B = 0.75
# FTS5 replaces a non-positive IDF (term in over half the posts) by this.
_MIN_IDF = 1e-6


@dataclass(frozen=True)
class IndexStats:
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


def decode_stats(block: object) -> IndexStats | None:
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
    return IndexStats(rows=values[0], avgdl=(values[1] + values[2]) / values[0])


def idf(doc_count: int, stats: IndexStats) -> float:
    """FTS5's IDF of a phrase found in ``doc_count`` posts."""
    value = math.log((stats.rows - doc_count + 0.5) / (doc_count + 0.5))
    return value if value > 0.0 else _MIN_IDF


def impact(frequency: float, doclen: int, avgdl: float) -> float:
    """A term's bm25 contribution to one post, without the IDF factor."""
    return (frequency * (_K1 + 1.0)) / (frequency + _K1 * (1.0 - _B + _B * doclen / avgdl))


def terms_of(indexed: str) -> list[bytes]:
    """The terms of one column of ``search_text``, as FTS5 splits it."""
    return indexed.encode("utf-8").split()


def count_phrase(terms: list[bytes], phrase: Phrase) -> int:
    """Occurrences of ``phrase`` in ``terms`` (overlapping, as FTS5 counts);
    a prefix phrase's last token matches every term starting with it."""
    if is_prefix(phrase[-1]):
        start = phrase[-1][: -len(PREFIX)]
        if len(phrase) == 1:
            return sum(1 for term in terms if term.startswith(start))
        head, size = phrase[:-1], len(phrase)
        return sum(
            1
            for at in range(len(terms) - size + 1)
            if terms[at + size - 1].startswith(start) and tuple(terms[at:at + size - 1]) == head
        )
    if len(phrase) == 1:
        return terms.count(phrase[0])
    first, size, hits, start_at = phrase[0], len(phrase), 0, 0
    while True:
        try:
            at = terms.index(first, start_at)
        except ValueError:
            return hits
        if tuple(terms[at:at + size]) == phrase:
            hits += 1
        start_at = at + 1


def rank_rows(
    rows: Iterable[Sequence[Any]],
    phrases: Sequence[Phrase],
    idfs: Sequence[float],
    avgdl: float,
    require_all: bool,
) -> list[tuple[float, int]]:
    """(score, post id) of the rows (id, title, body: ``search_text``'s
    columns) that match, best first.

    The arithmetic follows fts5Bm25Function step by step, in the same order,
    so a score here equals ``-bm25(post_fts, TITLE_WEIGHT, BODY_WEIGHT)``
    and both paths rank alike. Ties go to the newer post (higher id)."""
    scored: list[tuple[float, int]] = []
    for post_id, title, body in rows:
        title_tokens = terms_of(title)
        body_tokens = terms_of(body)
        norm = _K1 * (1.0 - _B + _B * (len(title_tokens) + len(body_tokens)) / avgdl)
        score = 0.0
        matched = 0
        for phrase, phrase_idf in zip(phrases, idfs):
            frequency = (
                count_phrase(title_tokens, phrase) * TITLE_WEIGHT
                + count_phrase(body_tokens, phrase) * BODY_WEIGHT
            )
            if frequency:
                matched += 1
            score += phrase_idf * ((frequency * (_K1 + 1.0)) / (frequency + norm))
        if matched == len(phrases) or (matched and not require_all):
            scored.append((score, post_id))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return scored


def rank_entries(
    entries: list[tuple[int, float, int]], term_idf: float, avgdl: float
) -> list[tuple[float, int]]:
    """Score a one-word query from list entries (post, frequency, length):
    same arithmetic as ``rank_rows``, with the frequency and length stored
    at write time, so no post needs reading."""
    scored = [(term_idf * impact(frequency, doclen, avgdl), post_id) for post_id, frequency, doclen in entries]
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return scored
