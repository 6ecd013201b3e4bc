"""Snippets: a short piece of a found post around what the search matched,
the matched words marked, so a reader sees why the post came up.

The snippet comes from the first of the post's body, its comments, its
title and its tags that holds a match, cut to about ``SNIPPET_WORDS``
words and ``SNIPPET_CHARS`` characters starting a few words before the
first match. A word is marked when it matches as the search matched it: by
its stem, or as written for a prefix. It is plain text in parts; whoever
shows it escapes it (the rich-text renderers do).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from storage.search.analyzer import Analyzer
from storage.search.tokens import PREFIX, SURFACE, Phrase, is_prefix, token_spans
from storage.sql import Sql

SNIPPET_WORDS = 24
SNIPPET_CHARS = 200
# Words shown before the first match, for its context.
_BEFORE = 6
_ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")

# (text, marked) parts, in order.
Snippet = tuple[tuple[str, bool], ...]


class Matcher:
    """Tells which tokens of a text a query's phrases match."""

    def __init__(self, phrases: Sequence[Phrase], analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._stems = {token for phrase in phrases if not is_prefix(phrase[-1]) for token in phrase}
        prefixed = [phrase for phrase in phrases if is_prefix(phrase[-1])]
        self._words = {token[len(SURFACE):] for phrase in prefixed for token in phrase[:-1]}
        self._prefixes = tuple(phrase[-1][len(SURFACE):-len(PREFIX)] for phrase in prefixed)

    def marks(self, tokens: list[bytes]) -> list[bool]:
        """For each token: whether it is one the query matches."""
        return [
            stem in self._stems or token in self._words or token.startswith(self._prefixes)
            for token, stem in zip(tokens, self._analyzer.stems(tokens))
        ]


def snippet(fields: Sequence[str], matcher: Matcher) -> Snippet:
    """The snippet of a post whose texts are ``fields``, in order of
    preference; the opening of the first non-empty one if none matches."""
    for field in fields:
        spans = token_spans(field)
        marks = matcher.marks([token for _, _, token in spans])
        if any(marks):
            return _cut(field, spans, marks)
    opening = next((field for field in fields if field.strip()), "")
    spans = token_spans(opening)
    return _cut(opening, spans, [False] * len(spans))


def _cut(text: str, spans: list[tuple[int, int, bytes]], marks: list[bool]) -> Snippet:
    """The words around the first marked one, marks kept, spaces tidied."""
    if not spans:
        return ((_tidy(text)[:SNIPPET_CHARS], False),) if text.strip() else ()
    first = marks.index(True) if True in marks else 0
    start = max(0, first - _BEFORE)
    end = min(len(spans), start + SNIPPET_WORDS)
    # From the text's very start when the snippet starts there (``#tag``).
    low = spans[start][0] if start > 0 else len(text) - len(text.lstrip())
    while end - 1 > first and spans[end - 1][1] - low > SNIPPET_CHARS:
        end -= 1
    # Up to the next word: keeps the punctuation that ends the last one.
    high = spans[end][0] if end < len(spans) else len(text)
    parts: list[tuple[str, bool]] = [(_ELLIPSIS, False)] if start > 0 else []
    at = low
    for (word_start, word_end, _), marked in zip(spans[start:end], marks[start:end]):
        if marked:
            parts += [(text[at:word_start], False), (text[word_start:word_end], True)]
            at = word_end
    parts.append((text[at:high].rstrip() + (_ELLIPSIS if end < len(spans) else ""), False))
    return _merged((_tidy(part)[:SNIPPET_CHARS], marked) for part, marked in parts)


def _tidy(text: str) -> str:
    """Line breaks and runs of spaces as one space (a snippet is one line)."""
    return _SPACES.sub(" ", text)


def _merged(parts: Iterable[tuple[str, bool]]) -> Snippet:
    """Empty parts dropped, neighbouring unmarked ones joined."""
    merged: list[tuple[str, bool]] = []
    for part, marked in parts:
        if not part:
            continue
        if merged and not marked and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + part, False)
        else:
            merged.append((part, marked))
    return tuple(merged)


async def snippets_of(sql: Sql, post_ids: Sequence[int], matcher: Matcher) -> dict[int, Snippet]:
    """The snippet of each post (portable SQL; ids from our own search)."""
    if not post_ids:
        return {}
    ids = ", ".join(str(int(post_id)) for post_id in post_ids)
    fields: dict[int, list[str]] = defaultdict(list)
    titles: dict[int, str] = {}
    posts = await sql.all(f"SELECT id, title, body FROM post WHERE id IN ({ids})")
    for post_id, title, body in posts:
        fields[post_id].append(body)
        titles[post_id] = title
    for post_id, body in await sql.all(
        f"SELECT post_id, body FROM comment WHERE post_id IN ({ids}) ORDER BY id"
    ):
        fields[post_id].append(body)
    tags: dict[int, list[str]] = defaultdict(list)
    for post_id, name in await sql.all(
        "SELECT x.post_id, t.name FROM posttag AS x JOIN tag AS t ON t.id = x.tag_id"
        f" WHERE x.post_id IN ({ids}) ORDER BY t.id"
    ):
        tags[post_id].append(f"#{name}")
    return {
        post_id: snippet([*fields[post_id], title, " ".join(tags[post_id])], matcher)
        for post_id, title in titles.items()
    }
