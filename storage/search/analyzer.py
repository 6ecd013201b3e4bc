"""From text to index terms, and from search words to phrases.

A post's text is folded into tokens (``tokens``: lower case, no accents),
then every token gives two index terms:

* its stem: Snowball for the community's language, then Snowball English
  on the result (a Dutch community writes English words too). So
  vrijwilliger and vrijwilligers, koffietafel and koffietafels, volunteer,
  volunteers and volunteering each share one term. One stem per token,
  not a Dutch and an English one side by side: then every word would be two
  terms, a query word an OR of two, and each ranking path would need OR
  groups. Dutch first keeps Dutch as well conflated as Dutch alone; the
  English pass then catches English plurals and verb forms. Known misses
  of this order: a few English forms the Dutch stemmer reshapes first
  (sharing → shaar, writing → writ), and Snowball Dutch leaves the verb's
  -t on (werkt = werk, but leert ≠ leren).
* its surface form, the folded token as written, marked with ``SURFACE``
  (``_koffietafels``), for prefix queries: ``vrijwillig*`` must find
  vrijwilligers although their stem (vrijwil) is shorter than the prefix.

A column's text is all its stems, then all its surface forms, space
separated; FTS5 splits it on the spaces. Stems and marked surface forms are
different terms, one of each per token, so a stem's frequency is what it
would be in an index of stems only, and every post is exactly twice as long:
bm25 only uses a post's length relative to the mean, so the surface forms
change no stem's score. Keeping the stems apart from the surface forms also
keeps phrases whole: the stems of "e-mail" stay side by side, and so do its
surface forms.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import Stemmer

from storage.search.tokens import PREFIX, SURFACE, Phrase, tokens_of

# More words than this are ignored: each costs a lookup and a scoring pass.
MAX_PHRASES = 16
# Shorter prefixes (in characters) match too much to mean anything: the
# star is then ignored and the word searched as itself.
MIN_PREFIX = 3
# Snowball's name of each community language; English always runs too.
_SNOWBALL = {"en": "english", "nl": "dutch"}


class Analyzer:
    """Index terms and query phrases for one community language."""

    def __init__(self, language: str) -> None:
        names = dict.fromkeys([_SNOWBALL.get(language, "english"), "english"])
        self._stemmers = [Stemmer.Stemmer(name) for name in names]

    def stems(self, tokens: list[bytes]) -> list[bytes]:
        """The stem of each token (PyStemmer caches the frequent ones)."""
        stems = tokens
        for stemmer in self._stemmers:
            stems = stemmer.stemWords(stems)
        # Snowball never empties a word; should it, the token stands in.
        return [stem or token for stem, token in zip(stems, tokens)]

    def column(self, texts: Iterable[str]) -> str:
        """The indexed text of one column made of ``texts``: their stems,
        then their marked surface forms."""
        tokens = [token for text in texts for token in tokens_of(text)]
        terms = [*self.stems(tokens), *(SURFACE + token for token in tokens)]
        return b" ".join(terms).decode("utf-8")

    def phrases(self, words: Iterable[str]) -> list[Phrase]:
        """One phrase per word that has any token; duplicates dropped. A word
        ending in ``*`` whose last token has at least ``MIN_PREFIX``
        characters is a prefix: its tokens as written, the last one open.
        Any other word is matched by its stems."""
        phrases: list[Phrase] = []
        for tokens, prefix in _split(words):
            if prefix:
                phrase = tuple(SURFACE + token for token in tokens)
                phrase = (*phrase[:-1], phrase[-1] + PREFIX)
            else:
                phrase = tuple(self.stems(tokens))
            if phrase not in phrases:
                phrases.append(phrase)
                if len(phrases) == MAX_PHRASES:
                    break
        return phrases


@dataclass(frozen=True)
class QueryWord:
    """One search word as PostgreSQL gets it: its folded tokens (matched
    side by side), and whether the last one is a prefix (``koffie*``)."""

    tokens: tuple[str, ...]
    prefix: bool


def query_words(words: Iterable[str]) -> list[QueryWord]:
    """The words of a search, unstemmed (PostgreSQL stems them itself), by
    the same rules as ``Analyzer.phrases``: words without a token dropped,
    duplicates dropped, at most ``MAX_PHRASES``."""
    found: list[QueryWord] = []
    for tokens, prefix in _split(words):
        word = QueryWord(tuple(token.decode("utf-8") for token in tokens), prefix)
        if word not in found:
            found.append(word)
            if len(found) == MAX_PHRASES:
                break
    return found


def _split(words: Iterable[str]) -> Iterator[tuple[list[bytes], bool]]:
    """(tokens, is a prefix) of each word that has a token. A word ending
    in ``*`` whose last token has ``MIN_PREFIX`` characters or more is a
    prefix; a shorter one is searched as itself."""
    for word in words:
        tokens = tokens_of(word)
        if tokens:
            prefix = word.rstrip().endswith("*") and len(tokens[-1].decode("utf-8")) >= MIN_PREFIX
            yield tokens, prefix


@functools.cache
def analyzer_for(language: str) -> Analyzer:
    """The analyzer of a community language (unknown ones: English only)."""
    return Analyzer(language)
