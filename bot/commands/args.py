"""Typed command arguments: each parses its piece of the text and describes
itself for the usage line, so usage and help come from the declarations."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.refusal import Refusal, UsageWords
from bot.text import (
    MAX_PLACE,
    MAX_TITLE,
    MAX_WHEN,
    MENTION_RE,
    TAG_RE,
    ParsedPostText,
    clean_line,
    normalize_tag,
    parse_event_number,
    parse_post_number,
    parse_post_text,
)


class ArgError(Refusal):
    """Bad input for one argument: refused with the sentence ``key`` and the
    command's usage line."""

    def __init__(self, key: str, /, **values: str | int) -> None:
        if isinstance(name := values.get("name"), str):  # always words of the usage line, e.g. <title>
            values["name"] = UsageWords(name)
        super().__init__(key, usage=True, **values)


def within(text: str, name: str, limit: int) -> str:
    """``text`` if it is at most ``limit`` characters long, else a refusal."""
    if len(text) > limit:
        raise ArgError("arg.too_long", name=name, length=len(text), limit=limit)
    return text

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
    """The rest of the line, which must not be empty unless optional, and at
    most ``limit`` characters long when one is given."""

    name: str
    optional: bool = False
    limit: int | None = None
    shown: str | None = None  # the usage, when ``<name>`` says too little

    def usage(self) -> str:
        if self.shown is not None:
            return self.shown
        return f"[<{self.name}>]" if self.optional else f"<{self.name}>"

    def take(self, rest: str) -> tuple[object, str]:
        text = rest.strip()
        if not text and not self.optional:
            raise ArgError("arg.missing", name=f"<{self.name}>")
        if self.limit is not None:
            within(text, f"<{self.name}>", self.limit)
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
        if len(parsed.title) > MAX_TITLE:
            raise ArgError("arg.long_title", length=len(parsed.title), limit=MAX_TITLE)
        if len(parsed.tags) > MAX_TAGS:
            raise ArgError("arg.too_many_tags", limit=MAX_TAGS)
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
            if not TAG_RE.fullmatch(token) or len(token) > MAX_TAG + 1:
                raise ArgError("arg.bad_tag", token=token[: MAX_TAG + 1])
            tags.append(normalize_tag(token))
        if self.single and len(tags) > 1:
            raise ArgError("arg.one_tag")
        if len(tags) > MAX_TAGS:
            raise ArgError("arg.too_many_tags", limit=MAX_TAGS)
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
        if len(words) > MAX_SEARCH_WORDS or len(tags) > 1 or len(members) > 1:
            raise ArgError("arg.search_too_much", words=MAX_SEARCH_WORDS)
        return SearchQuery(tuple(words), tuple(tags), tuple(members)), ""



@dataclass(frozen=True)
class EventForm:
    """An event as typed: the date is read later, in the community's zone."""

    title: str
    when: str
    where: str
    capacity: int | None = None
    follow_up_of: int | None = None


_FROM_RE = re.compile(r"(?:from|van)\s+(\S+)", re.IGNORECASE)
_UNLIMITED = {"none", "unlimited", "onbeperkt", "-"}
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
MAX_CAPACITY = 10_000
MAX_TAG = 50
MAX_TAGS = 10
MAX_SEARCH_WORDS = 10
MAX_REASON = 500


def whole_number(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, or None: ASCII
    digits only, so "²" or "١٢" (which ``int`` and ``isdigit`` take) are no number."""
    if not _WHOLE_NUMBER.fullmatch(text) or not low <= int(text) <= high:
        return None
    return int(text)


def parse_capacity(token: str) -> int | None:
    """A capacity: a whole number from 1 to 10,000; ``none``/``unlimited`` for no limit."""
    text = token.strip()
    if text.lower() in _UNLIMITED:
        return None
    capacity = whole_number(text, 1, MAX_CAPACITY)
    if capacity is None:
        raise ArgError("arg.bad_capacity", token=text[:20], limit=MAX_CAPACITY)
    return capacity


@dataclass(frozen=True)
class EventFormArg:
    """``<title> | <when> | <where> [| <capacity>] [| from E<event>]``."""

    name: str = "form"

    def usage(self) -> str:
        return "<title> | <when> | <where> [| <capacity>] [| from E<event>]"

    def take(self, rest: str) -> tuple[object, str]:
        parts = [clean_line(p) for p in rest.split("|")]
        if len(parts) > 5:
            raise ArgError("arg.too_many_parts", count=len(parts))
        for index, label in enumerate(("<title>", "<when>", "<where>")):
            if len(parts) <= index or not parts[index]:
                raise ArgError("arg.missing", name=label)
        within(parts[0], "<title>", MAX_TITLE)
        within(parts[1], "<when>", MAX_WHEN)
        within(parts[2], "<where>", MAX_PLACE)
        capacity: int | None = None
        follow_up: int | None = None
        extras = [p for p in parts[3:] if p]
        for extra in extras:
            from_match = _FROM_RE.fullmatch(extra)
            if from_match and follow_up is None:
                follow_up = parse_event_number(from_match.group(1))
                if follow_up is None:
                    raise ArgError("arg.bad_from", token=extra[:40])
            elif not from_match and extra is extras[0]:
                capacity = parse_capacity(extra)
            else:
                raise ArgError("arg.extra", token=extra[:40])
        return EventForm(parts[0], parts[1], parts[2], capacity, follow_up), ""


EDITABLE_FIELDS = {
    "title": "title", "titel": "title",
    "when": "starts_at", "time": "starts_at", "date": "starts_at", "wanneer": "starts_at", "tijd": "starts_at",
    "where": "location", "place": "location", "location": "location", "waar": "location", "plaats": "location",
    "capacity": "capacity", "seats": "capacity", "capaciteit": "capacity", "plaatsen": "capacity",
}


@dataclass(frozen=True)
class FieldValueArg:
    """``<field> <value>`` for ``event edit``: the field named in any language."""

    name: str = "change"

    def usage(self) -> str:
        return "title|when|where|capacity <value>"

    def take(self, rest: str) -> tuple[object, str]:
        field_word, value = _split_token(rest)
        if not field_word:
            raise ArgError("arg.missing", name="<field>")
        field_name = EDITABLE_FIELDS.get(field_word.lower())
        if field_name is None:
            raise ArgError("arg.bad_field", token=field_word)
        if not value.strip():
            raise ArgError("arg.missing", name="<value>")
        text = clean_line(value)
        limits = {"title": ("<title>", MAX_TITLE), "starts_at": ("<when>", MAX_WHEN),
                  "location": ("<where>", MAX_PLACE)}
        if field_name == "capacity":
            return (field_name, parse_capacity(text)), ""
        within(text, *limits[field_name])
        return (field_name, text), ""
