"""The ports the core depends on. Adapters and storage implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.domain import (
    Anchor,
    CommunityInfo,
    DigestData,
    DueReminder,
    EventChange,
    EventDetails,
    EventInfo,
    MemberInfo,
    NewEvent,
    NewPost,
    PostDetails,
    PostSummary,
    Role,
    SavedPost,
    SignupResult,
)
from bot.incoming import Actor, MessageRef, RoomRef
from bot.richtext import Document


class Clock(Protocol):
    """Where the core gets the time, so tests can move it."""

    def now(self) -> datetime:
        """The current time, time-zone aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


class Messenger(Protocol):
    """Sends the core's documents on one platform."""

    platform: str

    async def send(
        self, room: RoomRef, doc: Document, *, in_reply_to: MessageRef | None = None
    ) -> MessageRef:
        """Post ``doc`` in ``room`` (as a reply where the platform has replies)."""
        ...

    async def send_direct(self, user_id: str, doc: Document) -> MessageRef | None:
        """Send ``doc`` privately to one user; None when that is impossible."""
        ...

    async def send_file(
        self, room: RoomRef, filename: str, content: bytes, mimetype: str, caption: Document
    ) -> MessageRef:
        """Share a file in ``room`` with a caption."""
        ...

    async def send_private(self, room: RoomRef, user_id: str, doc: Document) -> None:
        """A reply only ``user_id`` sees: in the room where the platform can
        (Slack's ephemeral messages), else as a direct message."""
        ...

    async def update(self, ref: MessageRef, doc: Document) -> None:
        """Replace the content of a message the bot sent, where the platform
        allows it quietly (Slack); elsewhere nothing happens."""
        ...


class Directory(Protocol):
    """Communities, rooms, members and their identities."""

    async def ensure_community(self, name: str, timezone: str, language: str) -> CommunityInfo:
        """The community called ``name``, created or updated from config."""
        ...

    async def bind_rooms(self, community_id: int, rooms: Sequence[RoomRef], digest_rooms: Sequence[RoomRef]) -> None:
        """Record which rooms belong to the community."""
        ...

    async def ensure_member(self, community_id: int, actor: Actor, *, at_least: Role = Role.MEMBER) -> MemberInfo:
        """The member behind ``actor`` (created on first sight), with at least that role."""
        ...

    async def find_member(self, community_id: int, name: str) -> MemberInfo | None:
        """A community member by platform id or display name (case-insensitive)."""
        ...

    async def identities(self, member_id: int) -> list[tuple[str, str]]:
        """The (platform, user id) pairs of a member, oldest first."""
        ...


class Archive(Protocol):
    """Posts, tags, links, reactions and comments of the knowledge archive."""

    async def create_post(self, post: NewPost) -> SavedPost:
        """Store a post with the next number of its community."""
        ...

    async def get_post(self, community_id: int, number: int) -> PostDetails | None:
        """A post by its number, removed or not."""
        ...

    async def add_comment(self, post_id: int, member_id: int, body: str, at: datetime) -> int:
        """Add a comment; returns the post's comment count."""
        ...

    async def set_reaction(self, post_id: int, member_id: int, emoji: str, present: bool, at: datetime) -> bool:
        """Count or uncount one member's emoji; True if something changed."""
        ...

    async def search(
        self, community_id: int, words: Sequence[str], *, tag: str | None, author_id: int | None, limit: int
    ) -> list[PostSummary]:
        """Best matches first; removed posts never appear."""
        ...

    async def recent(self, community_id: int, *, tag: str | None, limit: int) -> list[PostSummary]:
        """Newest posts first."""
        ...

    async def tag_counts(self, community_id: int) -> list[tuple[str, int]]:
        """Tags of visible posts with their counts, most used first."""
        ...

    async def remove_post(self, post_id: int, by_member_id: int, at: datetime) -> None:
        """Soft delete: out of search and lists, the data kept."""
        ...


class Events(Protocol):
    """Coffee tables and their sign-ups. Joins, leaves, edits and status
    changes are decided in one transaction each (capacity never exceeded)."""

    async def create_event(self, event: NewEvent) -> tuple[EventInfo, list[int]]:
        """Open an event with the next number; with ``follow_up_of``, also
        return the members who were interested in that event and have not
        been told yet (they are marked told in the same transaction)."""
        ...

    async def get_event(self, community_id: int, number: int) -> EventDetails | None:
        """An event with its attendees and waitlist, in order."""
        ...

    async def upcoming(self, community_id: int, now: datetime, limit: int) -> list[EventInfo]:
        """Events not yet started and not cancelled, soonest first."""
        ...

    async def join(self, community_id: int, number: int, member_id: int, now: datetime) -> SignupResult:
        """Sign up: going while seats last, else waitlisted with a place."""
        ...

    async def leave(self, community_id: int, number: int, member_id: int, now: datetime) -> SignupResult:
        """Cancel a sign-up; a freed seat goes to the first on the waitlist."""
        ...

    async def edit(self, community_id: int, number: int, change: EventChange, now: datetime) -> SignupResult:
        """Change one field; more seats promote from the waitlist."""
        ...

    async def set_status(
        self, community_id: int, number: int, status: str, reason: str | None, now: datetime
    ) -> SignupResult:
        """Open, close or cancel."""
        ...

    async def add_interest(self, event_id: int, member_id: int, now: datetime) -> bool:
        """Remember 'tell me about the next one'; False if already noted."""
        ...

    async def participants(self, event_id: int) -> list[int]:
        """Member ids going or waitlisted, in queue order."""
        ...


class Schedule(Protocol):
    """What scheduled jobs ask: due reminders (claimed once) and digests."""

    async def claim_due_reminders(
        self, community_id: int, offsets: Sequence[timedelta], now: datetime
    ) -> list[DueReminder]:
        """Reminders due now, each claimed so that it is sent exactly once."""
        ...

    async def digest_data(self, community_id: int, start: datetime, end: datetime, now: datetime) -> DigestData:
        """The digest's sections for the period [start, end)."""
        ...

    async def claim_digest(self, key: str, at: datetime) -> bool:
        """Claim a digest period; True for the one process that may post it."""
        ...

    async def digest_rooms(self, community_id: int) -> list[RoomRef]:
        """Where the community's digest is posted."""
        ...

    async def digest_subscribers(self, community_id: int) -> list[int]:
        """Members who asked for the digest by DM."""
        ...

    async def set_digest_dm(self, member_id: int, on: bool) -> None:
        """Subscribe a member to the digest by DM, or not."""
        ...


class Ledger(Protocol):
    """Exactly-once bookkeeping and message anchors."""

    async def claim_inbound(self, platform: str, event_id: str, at: datetime) -> bool:
        """True the first time an inbound event id is seen, False for repeats."""
        ...

    async def add_anchor(self, ref: MessageRef, anchor: Anchor, at: datetime) -> None:
        """Remember that a bot message stands for a post or event."""
        ...

    async def find_anchor(self, ref: MessageRef) -> Anchor | None:
        """What a message stands for, if it is one of the bot's anchors."""
        ...
