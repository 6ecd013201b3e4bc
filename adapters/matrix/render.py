"""The core's rich text as a Matrix message: HTML ``formatted_body`` plus a
plain ``body``. Every piece of user text is HTML-escaped, so a title such as
``<b>x</b><img src=x>`` arrives as literal text, never as markup."""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import quote

from bot.richtext import (
    Bold,
    BulletList,
    Code,
    Document,
    Inline,
    Link,
    Mention,
    Paragraph,
    Text,
    render_plain,
)

HTML_FORMAT = "org.matrix.custom.html"
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def inline_html(part: Inline) -> str:
    """One inline piece as escaped HTML."""
    if isinstance(part, Text):
        return escape(part.text)
    if isinstance(part, Bold):
        return "<strong>" + "".join(inline_html(p) for p in part.parts) + "</strong>"
    if isinstance(part, Code):
        return f"<code>{escape(part.text)}</code>"
    if isinstance(part, Link):
        label = escape(part.label or part.url)
        if not part.url.lower().startswith(_SAFE_SCHEMES):
            return label  # no javascript: or data: links, whatever a post contains
        return f'<a href="{escape(part.url, quote=True)}">{label}</a>'
    if isinstance(part, Mention) and part.platform == "matrix" and part.user_id:
        return f'<a href="https://matrix.to/#/{quote(part.user_id)}">{escape(part.name)}</a>'
    return escape(part.name)


def render_html(doc: Document) -> str:
    """The document as Matrix HTML: paragraphs as lines, lists as lists."""
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            out.append("".join(inline_html(p) for p in block.parts))
        elif isinstance(block, BulletList):
            items = "".join("<li>" + "".join(inline_html(p) for p in item) + "</li>" for item in block.items)
            out.append(f"<ul>{items}</ul>")
        # Buttons: Matrix has none; the text next to them says what to type or react.
    html = ""
    for piece in out:
        if html and not html.endswith("</ul>") and not piece.startswith("<ul>"):
            html += "<br>"
        html += piece
    return html


def mentioned_users(doc: Document) -> list[str]:
    """The Matrix users the document mentions on purpose (as Mention pieces)."""
    found: list[str] = []

    def visit(part: Inline) -> None:
        if isinstance(part, Bold):
            for inner in part.parts:
                visit(inner)
        elif isinstance(part, Mention) and part.platform == "matrix" and part.user_id and part.user_id not in found:
            found.append(part.user_id)

    for block in doc.blocks:
        if isinstance(block, Paragraph):
            for part in block.parts:
                visit(part)
        elif isinstance(block, BulletList):
            for item in block.items:
                for part in item:
                    visit(part)
    return found


def message_content(doc: Document, *, msgtype: str = "m.notice") -> dict[str, Any]:
    """The content of an ``m.room.message`` event for the document.

    ``m.mentions`` lists exactly who the bot means to notify (usually
    nobody), so an "@room" or a member's name inside a user's title never
    pings anyone in clients that follow intentional mentions."""
    users = mentioned_users(doc)
    return {"msgtype": msgtype, "body": render_plain(doc), "format": HTML_FORMAT, "formatted_body": render_html(doc),
            "m.mentions": {"user_ids": users} if users else {}}


# Synapse refuses events over 65,536 bytes of canonical JSON. Our content
# (measured with every non-ASCII character escaped, its worst case) stays
# well below, leaving room for the relation and the event's envelope.
MAX_CONTENT_BYTES = 48_000


def fits_in_event(doc: Document) -> bool:
    """Whether the document's message stays within one event."""
    return len(json.dumps(message_content(doc))) <= MAX_CONTENT_BYTES
