"""The core's rich text as a Matrix message: HTML ``formatted_body`` plus a
plain ``body``. Every piece of user text is HTML-escaped, so a title such as
``<b>x</b><img src=x>`` arrives as literal text, never as markup."""

from __future__ import annotations

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


def message_content(doc: Document, *, msgtype: str = "m.notice") -> dict[str, Any]:
    """The content of an ``m.room.message`` event for the document."""
    return {"msgtype": msgtype, "body": render_plain(doc), "format": HTML_FORMAT, "formatted_body": render_html(doc)}
