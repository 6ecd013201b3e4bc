"""Typed command arguments: each parses its piece of the text and describes
itself for the usage line, so usage and help come from the declarations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.text import (
    MENTION_RE,
    TAG_RE,
    ParsedPostText,
    normalize_tag,
    parse_event_number,
    parse_post_number,
    parse_post_text,
)


class ArgError(Exception):
    """Bad input for one argument; ``key`` and ``values`` name the message."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

class ArgSpec(Protocol):
    """One declared argument."""

    @property
    def name(self) -> str:
        """The name its parsed value goes by."""
        ...

    def usage(self) -> str:
        """How the argument appears in a usage line, e.g. ``#<post>``."""
        ...

    def take(self, rest: str) -> tuple[object, str]:
        """Parse from the front of ``rest``; return the value and what is left."""
        ...

def _split_token(rest: str) -> tuple[str, str]:
    parts = rest.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""

@dataclass(frozen=True)
class IdArg:
    """A short per-community id such as ``#12`` or ``E3`` (the sign optional)."""

    name: str
    shown: str
    read: Callable[[str], int | None]
    error_key: str

    def usage(self) -> str:
        return self.shown

    def take(self, rest: str) -> tuple[object, str]:
        token, left = _split_token(rest)
        if not token:
            raise ArgError("arg.missing", name=self.usage())
        number = self.read(token)
        if number is None:
            raise ArgError(self.error_key, token=token)
        return number, left


def PostArg(name: str = "post") -> IdArg:
    """A post id: ``#12`` or ``12``."""
    return IdArg(name, "#<post>", parse_post_number, "arg.bad_post")


def EventArg(name: str = "event") -> IdArg:
    """An event id: ``E3``, ``e3`` or ``3``."""
    return IdArg(name, "E<event>", parse_event_number, "arg.bad_event")


@dataclass(frozen=True)
class TextArg:
    """The rest of the line, which must not be empty unless optional."""

    name: str
    optional: bool = False

    def usage(self) -> str:
        return f"[<{self.name}>]" if self.optional else f"<{self.name}>"

    def take(self, rest: str) -> tuple[object, str]:
        text = rest.strip()
        if not text and not self.optional:
            raise ArgError("arg.missing", name=self.usage())
        return text, ""

@dataclass(frozen=True)
class PostTextArg:
    """``<title> | <body> [#tag …]``: a post's title, body, tags and links."""

    name: str = "content"

    def usage(self) -> str:
        return "<title> | <body> [#tag …]"

    def take(self, rest: str) -> tuple[object, str]:
        parsed: ParsedPostText = parse_post_text(rest)
        if not parsed.title:
            raise ArgError("arg.missing", name="<title>")
        return parsed, ""

@dataclass(frozen=True)
class TagsArg:
    """Any number of ``#tag`` words (nothing else)."""

    name: str = "tags"
    single: bool = False

    def usage(self) -> str:
        return "[#tag]" if self.single else "[#tag …]"

    def take(self, rest: str) -> tuple[object, str]:
        tags: list[str] = []
        for token in rest.split():
            if not TAG_RE.fullmatch(token):
                raise ArgError("arg.bad_tag", token=token)
            tags.append(normalize_tag(token))
        if self.single and len(tags) > 1:
            raise ArgError("arg.one_tag")
        return tuple(dict.fromkeys(tags)), ""

@dataclass(frozen=True)
class SearchQuery:
    """Words to look for, with optional tag and member filters."""

    words: tuple[str, ...]
    tags: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

@dataclass(frozen=True)
class SearchArg:
    """``<words> [#tag] [@member]``."""

    name: str = "query"
    need_words: bool = field(default=True)

    def usage(self) -> str:
        return "<words> [#tag] [@member]"

    def take(self, rest: str) -> tuple[object, str]:
        words: list[str] = []
        tags: list[str] = []
        members: list[str] = []
        for token in rest.split():
            if TAG_RE.fullmatch(token):
                tags.append(normalize_tag(token))
            elif MENTION_RE.fullmatch(token):
                members.append(token[1:])
            else:
                words.append(token)
        if not (words or tags or members):
            raise ArgError("arg.missing", name="<words>")
        return SearchQuery(tuple(words), tuple(tags), tuple(members)), ""

