"""The core's rich text as Slack Block Kit with mrkdwn.

User text is escaped (``&``, ``<``, ``>``) wherever it goes, so ``<!channel>``,
``<!here>`` or ``<@U123>`` typed by a member stays text and never pings."""

from __future__ import annotations

from typing import Any

from bot.richtext import (
    Bold,
    BulletList,
    Buttons,
    Code,
    Document,
    Inline,
    Link,
    Mention,
    Paragraph,
    Text,
    render_plain,
)

ACTION_PREFIX = "kc_"
SECTION_LIMIT = 3000  # characters of text in one section block
MAX_BLOCKS = 50  # blocks in one message
MAX_MESSAGE_CHARS = 12_000  # longer documents go out as several messages, easier to read
FALLBACK_LIMIT = 2_900


def escape(text: str) -> str:
    """Slack's three control characters, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_mrkdwn(part: Inline) -> str:
    """One inline piece as mrkdwn."""
    if isinstance(part, Text):
        return escape(part.text)
    if isinstance(part, Bold):
        return "*" + "".join(inline_mrkdwn(p) for p in part.parts) + "*"
    if isinstance(part, Code):
        return f"`{escape(part.text)}`"
    if isinstance(part, Link):
        url = escape(part.url).replace("|", "%7C")
        return f"<{url}|{escape(part.label)}>" if part.label and part.label != part.url else f"<{url}>"
    if isinstance(part, Mention) and part.platform == "slack" and part.user_id:
        return f"<@{escape(part.user_id)}>"
    return escape(part.name)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _sections(lines: list[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as Slack allows (a line too long
    for one makes a section of its own, which then does not fit)."""
    sections: list[dict[str, Any]] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            sections.append(_section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        sections.append(_section(current))
    return sections


def render_blocks(doc: Document) -> list[dict[str, Any]]:
    """Block Kit blocks: text as mrkdwn sections, buttons as an actions block."""
    blocks: list[dict[str, Any]] = []
    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            lines.append("".join(inline_mrkdwn(p) for p in block.parts))
        elif isinstance(block, BulletList):
            lines.extend("• " + "".join(inline_mrkdwn(p) for p in item) for item in block.items)
        elif isinstance(block, Buttons):
            blocks.extend(_sections(lines))
            lines = []
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": b.label},
                 "action_id": f"{ACTION_PREFIX}{b.action}", "value": b.value}
                for b in block.buttons
            ]})
    blocks.extend(_sections(lines))
    return blocks


def fits_in_message(doc: Document) -> bool:
    """Whether one Slack message holds the document: every section within
    Slack's 3,000 characters, at most 50 blocks, and a sane total."""
    blocks = render_blocks(doc)
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    return (len(blocks) <= MAX_BLOCKS and all(len(t) <= SECTION_LIMIT for t in texts)
            and sum(map(len, texts)) <= MAX_MESSAGE_CHARS)


def fallback_text(doc: Document) -> str:
    """The notification text: the plain document, cut at a space before
    Slack's limit and escaped after the cut (so no entity is cut in two)."""
    plain = render_plain(doc)
    if len(plain) > FALLBACK_LIMIT:
        cut = plain.rfind(" ", 0, FALLBACK_LIMIT)
        plain = plain[: cut if cut > 0 else FALLBACK_LIMIT] + " …"
    return escape(plain)


def message_args(doc: Document) -> dict[str, Any]:
    """``text`` (the notification fallback, escaped too) and ``blocks``."""
    return {"text": fallback_text(doc), "blocks": render_blocks(doc)}
