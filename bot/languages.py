"""The languages a member can choose, and how they are named and typed."""

from __future__ import annotations

import functools

from bot.messages import languages
from bot.timefmt import babel_locale

# Typed to give up one's own choice and follow each community's language.
FOLLOW_COMMUNITY = frozenset({"-", "auto", "default", "standaard", "community"})


def language_name(code: str, reader: str) -> str:
    """``nl`` as ``reader`` calls it: ``Dutch`` in English, ``Nederlands`` in Dutch."""
    return babel_locale(code).get_display_name(babel_locale(reader)) or code


@functools.cache
def _typed_names() -> dict[str, str]:
    """Every way to type a language the bot speaks: its code, and its name
    in each of those languages (``nl``, ``dutch``, ``nederlands``)."""
    spoken = languages()
    names = {code: code for code in spoken}
    for code in spoken:
        for reader in spoken:
            names[language_name(code, reader).casefold()] = code
    return names


def read_language(text: str) -> str | None:
    """The language code typed (``NL``, ``Nederlands``, ``english``), or ""
    for "follow the community"; None when it is no language the bot speaks."""
    typed = text.strip().casefold()
    if typed in FOLLOW_COMMUNITY:
        return ""
    return _typed_names().get(typed)
