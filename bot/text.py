"""Reading what people type: ids, tags, links, and tidy user text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A tag starts with a letter so that "#12" stays a post id.
TAG_RE = re.compile(r"#([^\W\d_][\w-]*)")
MENTION_RE = re.compile(r"@\S+")
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_POST_ID_RE = re.compile(r"#?([0-9]{1,9})")
_EVENT_ID_RE = re.compile(r"[Ee]?([0-9]{1,9})")
# Control and format characters (zero-width joiners, bidi overrides, …) are
# stripped from titles so a list cannot be visually scrambled by one post.
_INVISIBLE = {"Cc", "Cf"}
TRAILING_PUNCTUATION = ".,;:!?)]}"

MAX_TITLE = 200
MAX_PLACE = 200
MAX_WHEN = 100


# What never belongs in stored or displayed user text: control characters
# (but newline and tab), and invisible format characters that reorder or
# hide text (bidi overrides and isolates, zero-width spaces, BOM). Joiners
# (U+200C, U+200D) stay: emoji and scripts need them; so do tag characters
# (U+E0020–E007F), which spell subdivision flags.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001]"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def sanitize(text: str) -> str:
    """User text as the core takes it in: what could not be decoded (lone
    surrogates) as U+FFFD, line breaks as ``\n``, canonical composition
    (NFC), and none of the characters above (NUL included, which PostgreSQL
    refuses to store)."""
    text = _LONE_SURROGATE.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", unicodedata.normalize("NFC", text))


_REORDERING = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_reordering(text: str) -> str:
    """``text`` without bidirectional controls, which could reorder what a
    reader sees around them (control characters are left for the caller)."""
    return _REORDERING.sub("", text)


def parse_post_number(token: str) -> int | None:
    """``#12`` or ``12`` → 12; anything else → None."""
    match = _POST_ID_RE.fullmatch(token.strip())
    return int(match.group(1)) if match else None


def parse_event_number(token: str) -> int | None:
    """``E3``, ``e3`` or ``3`` → 3; anything else → None."""
    match = _EVENT_ID_RE.fullmatch(token.strip())
    return int(match.group(1)) if match else None


def normalize_tag(token: str) -> str:
    """``#NieuweWerken`` → ``nieuwewerken``."""
    return unicodedata.normalize("NFC", token.lstrip("#")).casefold()


def clean_text(text: str) -> str:
    """User text in canonical form (NFC), without NUL and trailing blanks."""
    return unicodedata.normalize("NFC", text).replace("\x00", "").strip()


def clean_line(text: str) -> str:
    """A single line for titles: no invisible or control characters, no newlines."""
    kept = "".join(" " if ch in "\r\n\t" else ch for ch in clean_text(text))
    kept = "".join(ch for ch in kept if unicodedata.category(ch) not in _INVISIBLE)
    return " ".join(kept.split())


def link_spans(text: str) -> list[tuple[int, int]]:
    """Where the http(s) links in ``text`` start and end. Punctuation after a
    link is not part of it ("see https://x.org." ends at "org"), nor is a
    closing bracket it did not open ("(https://x.org)")."""
    spans = []
    for match in URL_RE.finditer(text):
        url = match.group(0)
        while url and url[-1] in TRAILING_PUNCTUATION:
            closing = url[-1]
            opening = {")": "(", "]": "[", "}": "{"}.get(closing)
            if opening is not None and url.count(opening) >= url.count(closing):
                break  # e.g. https://en.wikipedia.org/wiki/Koffie_(drank)
            url = url[:-1]
        if len(url) > len("https://"):
            spans.append((match.start(), match.start() + len(url)))
    return spans


def find_links(text: str) -> tuple[str, ...]:
    """The http(s) links in ``text``, in order, without duplicates."""
    return tuple(dict.fromkeys(text[start:end] for start, end in link_spans(text)))


def find_tags(text: str) -> tuple[str, ...]:
    """The ``#tags`` in ``text`` (not inside links), lower-case, in order."""
    without_links = URL_RE.sub(" ", text)
    found = (normalize_tag(m.group(0)) for m in TAG_RE.finditer(without_links)
             if m.start() == 0 or without_links[m.start() - 1].isspace())
    return tuple(dict.fromkeys(found))


def strip_trailing_tags(text: str) -> str:
    """The text without the run of ``#tags`` at its end."""
    words = text.rstrip().split(" ")
    while words and TAG_RE.fullmatch(words[-1].strip()):
        words.pop()
    return " ".join(words).rstrip()


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class ParsedPostText:
    """A post as typed: ``<title> | <body> [#tag …]``."""

    title: str
    body: str
    tags: tuple[str, ...]
    links: tuple[str, ...]


def parse_post_text(text: str) -> ParsedPostText:
    """Split a typed post into title, body, tags and links. Without ``|`` the
    whole text is the title. Tags anywhere become the post's tags; the run of
    tags at the end is taken out of the text."""
    text = clean_text(text)
    title_part, _, body_part = text.partition("|")
    tags = find_tags(text)
    body = strip_trailing_tags(body_part.strip())
    title = clean_line(title_part if body_part.strip() else strip_trailing_tags(title_part))
    return ParsedPostText(
        title=title,
        body=body,
        tags=tags,
        links=find_links(text),
    )


def title_from_message(text: str) -> str:
    """A title for a saved chat message: its first line, shortened."""
    first = next((line for line in clean_text(text).splitlines() if line.strip()), "")
    return shorten(clean_line(strip_trailing_tags(first)), 80)
