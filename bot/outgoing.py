"""What the core sends, as plain data: decided inside the transaction that
caused it, stored in the outbox there, and delivered from the outbox
afterwards (retried through outages, never lost to a crash).

An :class:`Outgoing` names its platform and where it goes; a
:class:`DirectNotice` names only a member, and the bot picks the platform
that reaches them when it stores the notice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain import Anchor
from bot.richtext import Document


class Kind(StrEnum):
    """How a message reaches its reader."""

    ROOM = "room"  # posted in a room, for everyone there
    DIRECT = "direct"  # a direct message to one user
    PRIVATE = "private"  # only one user sees it, in the room where the platform can (else a DM)
    UPDATE = "update"  # replaces a message the bot sent earlier (Slack announcements)


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a message, e.g. an iCalendar file."""

    filename: str
    content: bytes
    mimetype: str


# A message written in the language it is given ("nl", "en").
Compose = Callable[[str], Document]


@dataclass(frozen=True)
class DirectNotice:
    """A private message to a member, on the first platform that reaches
    them, written (by ``compose``) in the language that member reads: it is
    composed when stored, once the member's choice is known. ``key`` keeps a
    decision that may run again (a reminder, a digest) from storing it twice;
    ``expires_at`` is when it is no longer worth sending."""

    member_id: int
    compose: Compose
    key: str | None = None
    expires_at: datetime | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver on one platform.

    ``reply_to`` and ``thread_root`` are message ids in ``room_id``;
    ``target`` is the message an update replaces; ``reply_handle`` is an
    adapter's own way to answer the event that caused this (Slack's
    ``response_url``), opaque to the core; ``anchor`` is what the sent
    message stands for afterwards (reactions and thread replies on it reach
    that post or event)."""

    platform: str
    kind: Kind
    doc: Document
    room_id: str | None = None
    user_id: str | None = None
    reply_to: str | None = None
    thread_root: str | None = None
    target: str | None = None
    attachment: Attachment | None = None
    anchor: Anchor | None = None
    reply_handle: str | None = None
    key: str | None = None
    expires_at: datetime | None = None

    @property
    def lane(self) -> str:
        """Messages of one lane are delivered in order, lanes side by side:
        a room's messages follow each other, a busy room delays no other."""
        if self.kind == Kind.DIRECT:
            return f"{self.platform}:dm:{self.user_id}"
        return f"{self.platform}:{self.room_id}"


@dataclass(frozen=True)
class Queued:
    """An outbox row: a stored :class:`Outgoing` waiting for delivery."""

    id: int
    message: Outgoing
    attempts: int
    expires_at: datetime

    @property
    def platform(self) -> str:
        """The platform that delivers it."""
        return self.message.platform


class DeliveryFailed(Exception):
    """A messenger could not deliver a message. ``permanent`` failures (no
    such user, DMs closed, not allowed) fail that row alone; the others are
    retried, after ``retry_after`` seconds when the platform said so."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
