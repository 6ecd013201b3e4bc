"""Tokenizer: the tokens FTS5's ``unicode61 remove_diacritics 2`` makes.

Posts were tokenized by FTS5 itself until migration 0010; since then FTS5
indexes the terms ``analyzer`` computes from these tokens, so this
tokenizer alone decides what a token is, and it keeps folding text the way
the index always did. Token characters are letters, digits and
private-use/unassigned code points; everything else separates tokens; text
is lower-cased; Latin letters lose their diacritics (é → e), and the
combining marks below are dropped inside a token (decomposed input: e +
U+0301 → e). Known gap: symbols that SQLite's (older) Unicode tables do
not know, e.g. emoji added after Unicode 6.1, are token characters for
unicode61 and separators here.

Also the phrase type queries are made of, the FTS5 queries made of
phrases, token spans in the original text (to mark words in snippets),
and the words as written with everything else blanked out, which
PostgreSQL indexes (``words_as_written``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

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


# ASCII characters that separate tokens: all but letters and digits.
_ASCII_SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")


@functools.lru_cache(maxsize=8192)
def _kept(ch: str) -> str:
    """A non-ASCII character as written, or a space if it separates tokens."""
    return " " if all(fold_char(c) == " " for c in ch.lower()) else ch


def _keep_run(match: re.Match[str]) -> str:
    return "".join(_kept(ch) for ch in match.group())


def words_as_written(value: str) -> str:
    """``value`` with every character that separates tokens turned into a
    space: its tokens as written, case and accents kept, NFC-composed.
    PostgreSQL's parser, given this, finds the tokens ``tokens_of`` finds
    (a URL's or an e-mail address's words are words, as on SQLite) and its
    configurations fold and stem them (see ``postgres``)."""
    if not value.isascii():
        value = _NON_ASCII_RUN.sub(_keep_run, unicodedata.normalize("NFC", value))
    return _ASCII_SEPARATORS.sub(" ", value).strip()


def tokenize(value: str) -> list[str]:
    """The tokens FTS5 makes of ``value`` (lower-case, without diacritics)."""
    return [token.decode("utf-8") for token in tokens_of(value)]


def token_spans(value: str) -> list[tuple[int, int, bytes]]:
    """(start, end, token) of every token of ``value``, positions in
    ``value`` itself: the tokens of ``tokens_of`` (up to rare case-mapping
    corner cases), with where they were written, to mark them in a snippet."""
    spans: list[tuple[int, int, bytes]] = []
    start, token = -1, ""
    for at, ch in enumerate(value):
        if ch.isascii():
            folded = ch.lower() if ch.isalnum() else " "
        else:
            folded = "".join(fold_char(c) for c in ch.lower())
        if folded == " ":
            if token:
                spans.append((start, at, token.encode("utf-8")))
            start, token = -1, ""
            continue
        if start < 0:
            start = at
        token += folded
    if token:
        spans.append((start, len(value), token.encode("utf-8")))
    return spans


# A phrase is the tokens of one search word, matched side by side. Its
# tokens are index terms (see ``analyzer``): stems, or surface forms marked
# with SURFACE; in a prefix phrase the last token ends with PREFIX and
# matches every term that starts with it. Neither mark is a token character,
# so no token a text yields can carry one.
Phrase = tuple[bytes, ...]
SURFACE = b"_"
PREFIX = b"*"


def is_prefix(token: bytes) -> bool:
    """Whether a phrase token stands for every term starting with it."""
    return token.endswith(PREFIX)


def fts_phrase(phrase: Phrase) -> str:
    """``phrase`` as an FTS5 phrase string (quoted; ``"…" *`` for a prefix)."""
    # Tokens hold only token characters and SURFACE (no quotes, no
    # operators), so a quoted string of them is always valid FTS5 and
    # means exactly them.
    if is_prefix(phrase[-1]):
        return fts_phrase((*phrase[:-1], phrase[-1][: -len(PREFIX)])) + " *"
    return '"' + " ".join(token.decode("utf-8") for token in phrase) + '"'


def fts_query(phrases: Sequence[Phrase], require_all: bool) -> str:
    """An FTS5 query for posts with all ``phrases`` (AND) or any (OR)."""
    return (" AND " if require_all else " OR ").join(fts_phrase(p) for p in phrases)
