"""The one rich-text model the core answers with, and its plain-text renderer.

Renderers for Matrix (HTML) and Slack (mrkdwn / Block Kit) live in their
adapters. User-supplied text only ever travels in :class:`Text` (and the
label of :class:`Link`), so each renderer has one place to escape it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


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
