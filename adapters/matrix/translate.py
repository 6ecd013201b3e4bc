"""Matrix events (as matrix-nio parses them) into the core's neutral events.

Pure functions over event sources: what needs the server (fetching the
message a reply points at, remembering reactions for their redaction) is the
adapter's job; these only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.incoming import Actor, MessageEdited, MessageReceived, MessageRef, QuotedMessage, RoomRef

PLATFORM = "matrix"


def room_ref(room_id: str) -> RoomRef:
    """A Matrix room as the core names it."""
    return RoomRef(PLATFORM, room_id)


def message_ref(room_id: str, event_id: str) -> MessageRef:
    """A Matrix event as the core names a message."""
    return MessageRef(room_ref(room_id), event_id)


def actor(user_id: str, display_name: str | None) -> Actor:
    """A Matrix user; without a display name, their localpart."""
    return Actor(PLATFORM, user_id, display_name or user_id.lstrip("@").split(":", 1)[0])


def strip_reply_fallback(body: str) -> str:
    """The body without the quoted ``> <@user> …`` lines older clients put
    in front of a reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


@dataclass(frozen=True)
class Relations:
    """What a message relates to: the event it replies to, its thread root."""

    reply_to: str | None = None
    thread_root: str | None = None


def relations(content: dict[str, Any]) -> Relations:
    """Read ``m.relates_to``: replies (``m.in_reply_to``) and threads
    (``rel_type: m.thread``). In a thread, the in-reply-to that only falls
    back for thread-unaware clients is not a reply."""
    relates = content.get("m.relates_to")
    if not isinstance(relates, dict):
        return Relations()
    thread_root = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
    in_reply_to = relates.get("m.in_reply_to")
    reply_to = in_reply_to.get("event_id") if isinstance(in_reply_to, dict) else None
    if thread_root is not None and relates.get("is_falling_back"):
        reply_to = None
    return Relations(
        reply_to if isinstance(reply_to, str) else None,
        thread_root if isinstance(thread_root, str) else None,
    )


def reply_relation(reply_to: str, thread_root: str | None) -> dict[str, Any]:
    """``m.relates_to`` for a bot reply: in the thread when the message was."""
    if thread_root is None:
        return {"m.in_reply_to": {"event_id": reply_to}}
    return {"rel_type": "m.thread", "event_id": thread_root, "is_falling_back": True,
            "m.in_reply_to": {"event_id": reply_to}}


def text_message(room_id: str, source: dict[str, Any], sender_name: str | None,
                 reply_to: QuotedMessage | None = None) -> MessageReceived:
    """An ``m.room.message`` event (its JSON source) as a neutral message. A
    reply's quoted fallback lines are dropped; ``reply_to`` is the message it
    answers, which the adapter fetched."""
    content = source.get("content", {})
    related = relations(content)
    body = str(content.get("body", ""))
    return MessageReceived(
        sender=actor(str(source["sender"]), sender_name),
        ref=message_ref(room_id, str(source["event_id"])),
        text=strip_reply_fallback(body) if related.reply_to else body,
        event_id=str(source["event_id"]),
        reply_to=reply_to,
        thread_root=message_ref(room_id, related.thread_root) if related.thread_root else None,
    )


def edited_message(room_id: str, source: dict[str, Any], sender_name: str | None) -> MessageEdited | None:
    """An ``m.replace`` edit of a message as the neutral edit of it; None
    when the event is not an edit (or carries no new text)."""
    content = source.get("content", {})
    relates = content.get("m.relates_to")
    new = content.get("m.new_content")
    if not isinstance(relates, dict) or relates.get("rel_type") != "m.replace" or not isinstance(new, dict):
        return None
    original = relates.get("event_id")
    body = new.get("body")
    if not isinstance(original, str) or not isinstance(body, str):
        return None
    return MessageEdited(actor(str(source["sender"]), sender_name), message_ref(room_id, original), body,
                         event_id=str(source["event_id"]))


def inviter_allowed(inviter: str, allowed: list[str]) -> bool:
    """Whether ``inviter`` (a user id) is listed, or is on a listed server."""
    server = inviter.split(":", 1)[1] if ":" in inviter else ""
    return any(inviter == entry or server == entry for entry in allowed)
