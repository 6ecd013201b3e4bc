"""Refusals as values: why a command cannot do what was asked.

A handler (or an argument parser) raises :class:`Refusal` wherever it finds
that the input or the state of things does not allow the request; the
dispatcher answers with the sentence — and the command's usage line when
the input was malformed — and nothing the handler began is kept. Only a
real bug reaches the "something went wrong" answer.
"""

from __future__ import annotations

from bot.richtext import Inline


class UsageWords(str):
    """Words of a usage line in a refusal (``<title>``): shown in the reader's language."""

    __slots__ = ()


class Refusal(Exception):
    """The sentence ``key`` of the catalog, filled with ``values``; with
    ``usage``, the command's usage line follows it."""

    def __init__(self, key: str, /, *, usage: bool = False, **values: Inline | str | int) -> None:
        super().__init__(key)
        self.key = key
        self.usage = usage
        self.values = values
