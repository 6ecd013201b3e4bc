"""The one rich-text model the core answers with, and its plain-text renderer.

Renderers for Matrix (HTML) and Slack (mrkdwn / Block Kit) live in their
adapters. User-supplied text only ever travels in :class:`Text` (and the
label of :class:`Link`), so each renderer has one place to escape it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """Literal text, shown exactly as written (escaped by every renderer)."""

    text: str


@dataclass(frozen=True)
class Bold:
    """Strong emphasis around other inline pieces."""

    parts: tuple[Inline, ...]


@dataclass(frozen=True)
class Code:
    """Something to type, such as a command."""

    text: str


@dataclass(frozen=True)
class Link:
    """A hyperlink; without a label the URL itself is shown."""

    url: str
    label: str | None = None


@dataclass(frozen=True)
class Mention:
    """A member, by the name to show; platforms may turn it into a ping."""

    name: str
    platform: str | None = None
    user_id: str | None = None


Inline = Text | Bold | Code | Link | Mention


@dataclass(frozen=True)
class Paragraph:
    """A line (or wrapped lines) of inline pieces."""

    parts: tuple[Inline, ...]


@dataclass(frozen=True)
class BulletList:
    """A list; each item is a sequence of inline pieces."""

    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True)
class Button:
    """A button that comes back to the core as ``ButtonPressed(action, value)``."""

    label: str
    action: str
    value: str


@dataclass(frozen=True)
class Buttons:
    """A row of buttons (rendered only where the platform has buttons)."""

    buttons: tuple[Button, ...]


Block = Paragraph | BulletList | Buttons


@dataclass(frozen=True)
class Document:
    """A reply: blocks in order."""

    blocks: tuple[Block, ...] = field(default_factory=tuple)


def inlines(*parts: Inline | str) -> tuple[Inline, ...]:
    """Inline pieces from a mix of pieces and plain strings (strings become Text)."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def paragraph(*parts: Inline | str) -> Paragraph:
    """A paragraph from pieces and plain strings."""
    return Paragraph(inlines(*parts))


def document(*blocks: Block | Sequence[Inline]) -> Document:
    """A document; a bare sequence of inline pieces becomes a paragraph."""
    return Document(tuple(b if isinstance(b, (Paragraph, BulletList, Buttons)) else Paragraph(tuple(b)) for b in blocks))


def join_inlines(pieces: Iterable[Sequence[Inline]], separator: str) -> tuple[Inline, ...]:
    """Pieces joined by a separator, e.g. ``#a · 👍 3 · 1 comment``."""
    out: list[Inline] = []
    for piece in pieces:
        if out:
            out.append(Text(separator))
        out.extend(piece)
    return tuple(out)


def plain_inline(part: Inline) -> str:
    """One inline piece as plain text."""
    if isinstance(part, Text):
        return part.text
    if isinstance(part, Bold):
        return "".join(plain_inline(p) for p in part.parts)
    if isinstance(part, Code):
        return f"`{part.text}`"
    if isinstance(part, Link):
        return part.url if not part.label or part.label == part.url else f"{part.label} ({part.url})"
    return part.name


def render_plain(doc: Document) -> str:
    """The document as plain text lines (console, and the Matrix ``body``)."""
    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            lines.append("".join(plain_inline(p) for p in block.parts))
        elif isinstance(block, BulletList):
            lines.extend("• " + "".join(plain_inline(p) for p in item) for item in block.items)
        # Buttons have no plain form: the text around them says what to type.
    return "\n".join(lines)


# -- storage form ------------------------------------------------------------
# Documents wait in the outbox between decision and delivery, so they have a
# plain JSON form: each piece a list headed by its type's name.


def _inline_data(part: Inline) -> list[object]:
    if isinstance(part, Text):
        return ["text", part.text]
    if isinstance(part, Bold):
        return ["bold", [_inline_data(p) for p in part.parts]]
    if isinstance(part, Code):
        return ["code", part.text]
    if isinstance(part, Link):
        return ["link", part.url, part.label]
    return ["mention", part.name, part.platform, part.user_id]


def _inline_from(data: list[Any]) -> Inline:
    kind, *rest = data
    if kind == "text":
        return Text(rest[0])
    if kind == "bold":
        return Bold(tuple(_inline_from(p) for p in rest[0]))
    if kind == "code":
        return Code(rest[0])
    if kind == "link":
        return Link(rest[0], rest[1])
    if kind == "mention":
        return Mention(rest[0], rest[1], rest[2])
    raise ValueError(f"not a stored inline piece: {kind!r}")


def document_to_json(doc: Document) -> str:
    """The document as JSON text (see :func:`document_from_json`)."""
    blocks: list[object] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            blocks.append(["p", [_inline_data(p) for p in block.parts]])
        elif isinstance(block, BulletList):
            blocks.append(["ul", [[_inline_data(p) for p in item] for item in block.items]])
        else:
            blocks.append(["buttons", [[b.label, b.action, b.value] for b in block.buttons]])
    return json.dumps(blocks, ensure_ascii=False, separators=(",", ":"))


def document_from_json(text: str) -> Document:
    """The document stored by :func:`document_to_json`."""
    blocks: list[Block] = []
    for kind, content in json.loads(text):
        if kind == "p":
            blocks.append(Paragraph(tuple(_inline_from(p) for p in content)))
        elif kind == "ul":
            blocks.append(BulletList(tuple(tuple(_inline_from(p) for p in item) for item in content)))
        elif kind == "buttons":
            blocks.append(Buttons(tuple(Button(label, action, value) for label, action, value in content)))
        else:
            raise ValueError(f"not a stored block: {kind!r}")
    return Document(tuple(blocks))
