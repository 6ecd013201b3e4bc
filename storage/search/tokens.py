"""Tokenizer: the same tokens as FTS5's ``unicode61 remove_diacritics 2``.

It has to agree with FTS5 because our tokens are looked up in
``post_fts_vocab``, stored as list terms, and counted to compute bm25.
Token characters are letters, digits and private-use/unassigned code
points; everything else separates tokens; text is lower-cased; Latin
letters lose their diacritics (é → e), and the combining marks below are
dropped inside a token (decomposed input: e + U+0301 → e). Known gap:
symbols that SQLite's (older) Unicode tables do not know, e.g. emoji added
after Unicode 6.1, are token characters for FTS5 and separators here; that
can only shift a Python-computed score slightly.

Also the phrases a query's words become, and the FTS5 queries made of them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

# More words than this are ignored: each costs a lookup and a scoring pass.
MAX_PHRASES = 16

_DIACRITIC_MARKS = frozenset(
    [*range(0x300, 0x305), *range(0x306, 0x30D), 0x30F, 0x311, 0x31B,
     *range(0x323, 0x329), 0x32D, 0x32E, 0x330, 0x331]
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Bytes of lower-cased, folded UTF-8 text → token bytes or a space. ASCII
# letters and digits are token bytes; other ASCII is a separator; bytes
# >= 0x80 belong to non-ASCII token characters (separators among those were
# already replaced by spaces when folding).
_BYTE_TABLE = bytes(
    (c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else c + 32 if 65 <= c <= 90 else 32)
    for c in range(256)
)


# Letters unicode61 leaves alone although they decompose to ASCII + marks.
_NOT_FOLDED = frozenset("ǡ")


@functools.lru_cache(maxsize=8192)
def fold_char(ch: str) -> str:
    """One lower-cased non-ASCII character as unicode61 sees it: ``""`` if
    dropped, ``" "`` if it separates tokens, else the (folded) character."""
    if ord(ch) in _DIACRITIC_MARKS:
        return ""
    # unicode61 applies simple case folding: ς → σ, µ → μ, ſ → s; but not
    # the full folding that would turn ß into ss.
    folded = ch.casefold()
    if len(folded) == 1:
        ch = folded
    category = unicodedata.category(ch)
    if category[0] not in "LN" and category not in ("Co", "Cn"):
        return " "
    decomposed = unicodedata.normalize("NFD", ch)
    if (
        len(decomposed) > 1
        and decomposed[0].isascii()
        and ch not in _NOT_FOLDED
        and all(ord(mark) in _DIACRITIC_MARKS for mark in decomposed[1:])
    ):
        return decomposed[0]
    return ch


def _fold_run(match: re.Match[str]) -> str:
    return "".join(fold_char(ch) for ch in match.group())


def tokens_of(value: str) -> list[bytes]:
    """Tokens of ``value`` as UTF-8 bytes (bytes: ~3x faster to split and
    count, which is what scoring a few hundred posts per query needs)."""
    lowered = value.lower()
    if not lowered.isascii():
        lowered = _NON_ASCII_RUN.sub(_fold_run, lowered)
    return lowered.encode("utf-8").translate(_BYTE_TABLE).split()


def tokenize(value: str) -> list[str]:
    """The tokens FTS5 makes of ``value`` (lower-case, without diacritics)."""
    return [token.decode("utf-8") for token in tokens_of(value)]


Phrase = tuple[bytes, ...]


def phrases_of(words: Iterable[str]) -> list[Phrase]:
    """One phrase per word that has any token; duplicates dropped."""
    phrases: list[Phrase] = []
    for word in words:
        phrase = tuple(tokens_of(word))
        if phrase and phrase not in phrases:
            phrases.append(phrase)
            if len(phrases) == MAX_PHRASES:
                break
    return phrases


def fts_phrase(phrase: Phrase) -> str:
    """``phrase`` as an FTS5 phrase string (quoted)."""
    # Tokens hold only token characters (no quotes, no operators), so a
    # quoted string of them is always valid FTS5 and means exactly them.
    return '"' + " ".join(token.decode("utf-8") for token in phrase) + '"'


def fts_query(phrases: Sequence[Phrase], require_all: bool) -> str:
    """An FTS5 query for posts with all ``phrases`` (AND) or any (OR)."""
    return (" AND " if require_all else " OR ").join(fts_phrase(p) for p in phrases)
