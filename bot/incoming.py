"""What adapters hand the core: platform events translated to plain data.

Every inbound event carries a platform-qualified sender, room and message
reference, so the core never needs to know which chat library produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.text import sanitize


@dataclass(frozen=True)
class RoomRef:
    """A room or channel on one platform (``"matrix"``, ``"slack"``, ``"console"``)."""

    platform: str
    room_id: str


@dataclass(frozen=True)
class MessageRef:
    """One message in a room."""

    room: RoomRef
    message_id: str


@dataclass(frozen=True)
class Actor:
    """Who did something: a platform account and the name to show for it."""

    platform: str
    user_id: str
    display_name: str


@dataclass(frozen=True)
class QuotedMessage:
    """Another message as the adapter saw it: for `save` and 🔖.
    ``from_bot`` when the bot itself wrote it."""

    ref: MessageRef
    author: Actor
    text: str
    from_bot: bool = False


@dataclass(frozen=True)
class MessageReceived:
    """A chat message. ``explicit_command`` is set for slash commands, whose
    text is a command without the prefix. ``event_id`` is the platform's
    delivery id, used to drop retries and replays (None: no deduplication).
    ``reply_handle`` is the adapter's own way to answer this event (Slack's
    ``response_url``), opaque to the core, handed back with the answer."""

    sender: Actor
    ref: MessageRef
    text: str
    event_id: str | None = None
    reply_to: QuotedMessage | None = None
    thread_root: MessageRef | None = None
    explicit_command: bool = False
    reply_handle: str | None = None


@dataclass(frozen=True)
class ReactionAdded:
    """An emoji put on a message. ``target_message`` is filled in when the
    adapter can see the message's text (needed to archive it with 🔖)."""

    sender: Actor
    target: MessageRef
    emoji: str
    event_id: str | None = None
    target_message: QuotedMessage | None = None


@dataclass(frozen=True)
class ReactionRemoved:
    """An emoji taken off a message (removed, or its reaction redacted)."""

    sender: Actor
    target: MessageRef
    emoji: str
    event_id: str | None = None


@dataclass(frozen=True)
class ButtonPressed:
    """A button of a bot message pressed (Slack Block Kit actions)."""

    sender: Actor
    message: MessageRef
    action: str
    value: str
    event_id: str | None = None
    reply_handle: str | None = None


@dataclass(frozen=True)
class MessageEdited:
    """A message its sender changed (Matrix ``m.replace``): ``original`` is the
    message as first sent, ``text`` what it says now. An edited command is
    not a new command."""

    sender: Actor
    original: MessageRef
    text: str
    event_id: str | None = None


@dataclass(frozen=True)
class MessageRemoved:
    """A message taken back (a Matrix redaction)."""

    sender: Actor
    target: MessageRef
    event_id: str | None = None


@dataclass(frozen=True)
class MessageUnreadable:
    """A message the bot could not read: it was end-to-end encrypted and the
    sender's app never gave the bot its key."""

    sender: Actor
    ref: MessageRef
    event_id: str | None = None


Incoming = (MessageReceived | ReactionAdded | ReactionRemoved | ButtonPressed | MessageEdited | MessageRemoved
            | MessageUnreadable)


def _actor(actor: Actor) -> Actor:
    return replace(actor, display_name=sanitize(actor.display_name))


def _quoted(quoted: QuotedMessage | None) -> QuotedMessage | None:
    return None if quoted is None else replace(quoted, author=_actor(quoted.author), text=sanitize(quoted.text))


def sanitized(event: Incoming) -> Incoming:
    """The event with every piece of user text in the form the core keeps
    (see :func:`bot.text.sanitize`); ids are left as the platform gave them."""
    if isinstance(event, MessageReceived):
        return replace(event, sender=_actor(event.sender), text=sanitize(event.text), reply_to=_quoted(event.reply_to))
    if isinstance(event, ReactionAdded):
        return replace(event, sender=_actor(event.sender), emoji=sanitize(event.emoji),
                       target_message=_quoted(event.target_message))
    if isinstance(event, ReactionRemoved):
        return replace(event, sender=_actor(event.sender), emoji=sanitize(event.emoji))
    if isinstance(event, ButtonPressed):
        return replace(event, sender=_actor(event.sender), value=sanitize(event.value))
    if isinstance(event, MessageEdited):
        return replace(event, sender=_actor(event.sender), text=sanitize(event.text))
    return replace(event, sender=_actor(event.sender))
