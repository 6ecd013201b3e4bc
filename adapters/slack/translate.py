"""Slack payloads (slash commands, Events API events, Block Kit actions) into
the core's neutral events. Pure functions over the payload dictionaries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.slack.render import ACTION_PREFIX
from bot.incoming import (
    Actor,
    ButtonPressed,
    MessageReceived,
    MessageRef,
    ReactionAdded,
    ReactionRemoved,
    RoomRef,
)

PLATFORM = "slack"

# Slack names reactions; the core speaks emoji. Names not listed travel as ":name:".
EMOJI_BY_NAME = {
    "white_check_mark": "✅", "heavy_check_mark": "✔", "bookmark": "🔖", "+1": "👍", "thumbsup": "👍",
    "-1": "👎", "heart": "❤", "tada": "🎉", "clap": "👏", "bulb": "💡", "eyes": "👀", "fire": "🔥",
    "rocket": "🚀", "raised_hands": "🙌", "coffee": "☕", "joy": "😂", "smile": "😄", "100": "💯",
}


_MARKUP = re.compile(r"<([^<>]*)>")
_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """The user ids of the ``<@U…>`` mentions in a Slack text, in order."""
    return list(dict.fromkeys(_USER_REF.findall(text)))


def plain_text(text: str, names: Mapping[str, str]) -> str:
    """Slack's message markup as the plain text a person typed: ``&amp;``,
    ``&lt;``, ``&gt;`` unescaped; ``<url|label>`` as "label (url)", ``<url>``
    as the url; ``<@U…>`` as "@name" (``names`` maps user ids to names);
    ``<#C…|general>`` as "#general"; ``<!here>`` as "@here"."""

    def one(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "@" + (names.get(user) or label or user)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            special = target[1:].split("^", 1)[0]
            return label or ("@" + special)
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        url = _unescape(target)
        return url if not label or label in (target, url) else f"{_unescape(label)} ({url})"

    return _unescape(_MARKUP.sub(one, text))


def _unescape(text: str) -> str:
    # Slack escapes exactly these three; "&amp;" last, so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emoji_of(name: str) -> str:
    """The emoji for a Slack reaction name (skin tones dropped)."""
    base = name.split("::", 1)[0]
    return EMOJI_BY_NAME.get(base, f":{base}:")


def room(channel_id: str) -> RoomRef:
    """A Slack channel as the core names it."""
    return RoomRef(PLATFORM, channel_id)


def actor(user_id: str, name: str | None = None) -> Actor:
    """A Slack user."""
    return Actor(PLATFORM, user_id, name or user_id)


def slash_command(payload: dict[str, Any]) -> MessageReceived:
    """``/kc <text>``: a command without the prefix, from the channel it was
    typed in. Its ``trigger_id`` is unique per invocation, so a replayed
    request is recognised; its ``response_url`` answers in any channel."""
    channel = str(payload["channel_id"])
    trigger = str(payload.get("trigger_id", ""))
    return MessageReceived(
        sender=actor(str(payload["user_id"]), payload.get("user_name")),
        ref=MessageRef(room(channel), f"slash:{trigger}"),
        text=str(payload.get("text", "")),
        event_id=f"slash:{trigger}" if trigger else None,
        explicit_command=True,
        reply_handle=payload.get("response_url") or None,
    )


def message_event(event: dict[str, Any], event_id: str | None) -> MessageReceived | None:
    """A channel message (or thread reply); None for bot messages, edits and other subtypes."""
    if event.get("bot_id") or event.get("subtype") or "user" not in event:
        return None
    channel = str(event["channel"])
    thread_ts = event.get("thread_ts")
    in_thread = isinstance(thread_ts, str) and thread_ts != event.get("ts")
    return MessageReceived(
        sender=actor(str(event["user"])),
        ref=MessageRef(room(channel), str(event["ts"])),
        text=str(event.get("text", "")),
        event_id=event_id,
        thread_root=MessageRef(room(channel), str(thread_ts)) if in_thread else None,
    )


def reaction_event(event: dict[str, Any], event_id: str | None) -> ReactionAdded | ReactionRemoved | None:
    """``reaction_added`` / ``reaction_removed`` on a message."""
    item = event.get("item", {})
    if item.get("type") != "message":
        return None
    target = MessageRef(room(str(item["channel"])), str(item["ts"]))
    emoji = emoji_of(str(event["reaction"]))
    who = actor(str(event["user"]))
    if event.get("type") == "reaction_added":
        return ReactionAdded(sender=who, target=target, emoji=emoji, event_id=event_id)
    return ReactionRemoved(sender=who, target=target, emoji=emoji, event_id=event_id)


def button_action(body: dict[str, Any]) -> ButtonPressed | None:
    """A press of one of our Block Kit buttons."""
    actions = body.get("actions") or []
    if not actions or not str(actions[0].get("action_id", "")).startswith(ACTION_PREFIX):
        return None
    action = actions[0]
    channel = body.get("channel", {}).get("id") or body.get("container", {}).get("channel_id")
    ts = body.get("message", {}).get("ts") or body.get("container", {}).get("message_ts")
    user = body.get("user", {})
    return ButtonPressed(
        sender=actor(str(user.get("id")), user.get("name") or user.get("username")),
        message=MessageRef(room(str(channel)), str(ts)),
        action=str(action["action_id"]).removeprefix(ACTION_PREFIX),
        value=str(action.get("value", "")),
        event_id=f"action:{body.get('trigger_id') or action.get('action_ts')}",
        reply_handle=body.get("response_url") or None,
    )
