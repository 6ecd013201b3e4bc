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
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


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
            if lines:
                blocks.append(_section("\n".join(lines)))
                lines = []
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": b.label},
                 "action_id": f"{ACTION_PREFIX}{b.action}", "value": b.value}
                for b in block.buttons
            ]})
    if lines:
        blocks.append(_section("\n".join(lines)))
    return blocks


def message_args(doc: Document) -> dict[str, Any]:
    """``text`` (the notification fallback, escaped too) and ``blocks``."""
    return {"text": escape(render_plain(doc))[:SECTION_LIMIT], "blocks": render_blocks(doc)}
