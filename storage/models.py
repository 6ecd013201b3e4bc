"""SQLModel tables: the whole schema of the bot.

Every entity of the product spec has its table here from the start, so later
capabilities fill tables in rather than redesign them. These rows never leave
``storage/``: repositories turn them into the core's plain dataclasses.

Timestamps are time-zone-aware ``datetime`` values: SQLModel's column type
stores them in UTC and hands them back in UTC (rule 7 of the architecture).
Conversion to a community's zone happens in the core, at display time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Community(SQLModel, table=True):
    """A knowledge café: one configured community, spanning rooms on platforms."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    timezone: str = "Europe/Amsterdam"
    language: str = "en"
    created_at: datetime


class Room(SQLModel, table=True):
    """A chat room or channel the bot listens in, tied to one community."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    platform: str
    external_id: str
    is_digest_room: bool = False


class Member(SQLModel, table=True):
    """A person. Linked platform identities all point to one member."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str
    created_at: datetime
    digest_dm: bool = False
    pairing_opt_in: bool = False
    # The language the member chose (`me language nl`); None follows the
    # community's language wherever the member is read to.
    language: str | None = None
    # The secret in the member's calendar feed addresses (made on first use).
    calendar_token: str | None = Field(default=None, unique=True, index=True)


class Identity(SQLModel, table=True):
    """One platform account of a member (Matrix id, Slack id, console name)."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str
    external_id: str
    display_name: str
    created_at: datetime


class Membership(SQLModel, table=True):
    """A member's place in a community: role and first appearance."""

    __table_args__ = (
        UniqueConstraint("community_id", "member_id"),
        Index("ix_membership_community_joined", "community_id", "joined_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    role: str = "member"  # member | organizer | manager
    joined_at: datetime


class MemberTopic(SQLModel, table=True):
    """A declared interest or area of expertise of a member."""

    __table_args__ = (UniqueConstraint("member_id", "kind", "topic"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str  # interest | expertise
    topic: str = Field(index=True)


class Post(SQLModel, table=True):
    """An archived piece of knowledge. ``removed_at`` marks a soft delete."""

    __table_args__ = (
        UniqueConstraint("community_id", "number"),
        # A chat message saved twice (reply + 🔖) stays one post.
        UniqueConstraint("community_id", "source_platform", "source_message_id"),
        Index("ix_post_community_created", "community_id", "created_at"),
        # The few removed posts, so counts over live posts need not visit every post.
        Index("ix_post_removed", "id", sqlite_where=text("removed_at IS NOT NULL"),
              postgresql_where=text("removed_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    number: int
    title: str
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    author_id: int = Field(foreign_key="member.id", index=True)
    saved_by_id: int | None = Field(default=None, foreign_key="member.id")
    source_platform: str | None = None
    source_room: str | None = None
    source_message_id: str | None = None
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None = None
    removed_by_id: int | None = Field(default=None, foreign_key="member.id")


class Tag(SQLModel, table=True):
    """A tag name within a community (stored lower-case, without ``#``)."""

    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    name: str


class PostTag(SQLModel, table=True):
    """Which tags a post carries."""

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class PostLink(SQLModel, table=True):
    """A link found in a post body: the post's documents."""

    # The fetcher's queue: links not looked at yet, oldest first.
    __table_args__ = (Index("ix_postlink_unchecked", "title_checked_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    position: int
    url: str
    # The linked page's own title, when link titles are fetched (`link_titles`).
    title: str | None = None
    title_checked_at: datetime | None = None  # None: not looked at yet


class Reaction(SQLModel, table=True):
    """One member's emoji on a post (via any platform message of the post)."""

    __table_args__ = (UniqueConstraint("post_id", "member_id", "emoji"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    emoji: str
    created_at: datetime


class Comment(SQLModel, table=True):
    """A comment on a post, by command or as a thread reply; the chat message
    it came from is kept, so an edit of that message edits the comment."""

    __table_args__ = (Index("ix_comment_source", "source_platform", "source_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(index=True)
    source_platform: str | None = None
    source_room: str | None = None
    source_message_id: str | None = None


class Event(SQLModel, table=True):
    """A coffee table: an in-person meeting members sign up for."""

    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    number: int
    title: str
    starts_at: datetime = Field(index=True)
    location: str
    capacity: int | None = None  # None: unlimited
    status: str = "open"  # open | closed | cancelled
    cancel_reason: str | None = None
    follow_up_of_id: int | None = Field(default=None, foreign_key="event.id")
    created_by_id: int = Field(foreign_key="member.id")
    created_at: datetime
    updated_at: datetime
    time_set_at: datetime | None = None  # when starts_at was last set (reminders)
    sequence: int = 0  # raised by every change: calendars replace their copy (iCalendar SEQUENCE)


class Signup(SQLModel, table=True):
    """A member's sign-up for an event. ``queue_seq`` orders the waitlist: it
    is handed out under the event's write lock, so it follows commit order."""

    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        Index("ix_signup_event_state_seq", "event_id", "state", "queue_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    state: str  # going | waitlisted | cancelled
    queue_seq: int = 0
    queued_at: datetime
    updated_at: datetime
    no_show: bool = False  # going, yet did not come (marked by an organizer afterwards)


class EventInterest(SQLModel, table=True):
    """'I can't come, tell me about the next one.'"""

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    created_at: datetime
    notified_at: datetime | None = None


class MessageAnchor(SQLModel, table=True):
    """A platform message the bot sent that stands for a post or an event,
    so reactions and thread replies on it reach the right thing."""

    __table_args__ = (UniqueConstraint("platform", "room_external_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    room_external_id: str
    message_id: str
    post_id: int | None = Field(default=None, foreign_key="post.id")
    event_id: int | None = Field(default=None, foreign_key="event.id")
    created_at: datetime


class OutboundLedger(SQLModel, table=True):
    """Notifications that must go out once: the unique key claims them."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    created_at: datetime


class OutboxMessage(SQLModel, table=True):
    """A message the bot decided to send, stored in the transaction of that
    decision and delivered from here: retried until sent, failed for good
    (``last_error`` says why) or expired. ``key`` keeps a decision that may
    run twice from storing it twice; ``lane`` orders delivery (one room's
    messages in order, rooms side by side); a process delivering a row holds
    it by ``lease_owner`` until ``lease_until``."""

    __table_args__ = (
        Index("ix_outboxmessage_due", "status", "platform", "next_attempt_at"),
        Index("ix_outboxmessage_lease", "lease_owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, unique=True)
    platform: str
    kind: str  # room | direct | private | update
    lane: str
    room_id: str | None = None
    user_id: str | None = None
    reply_to: str | None = None
    thread_root: str | None = None
    target: str | None = None
    reply_handle: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    document: str = Field(sa_column=Column(Text, nullable=False))  # the rich-text document as JSON
    attachment_name: str | None = None
    attachment_type: str | None = None
    attachment: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    anchor_post_id: int | None = Field(default=None, foreign_key="post.id")
    anchor_event_id: int | None = Field(default=None, foreign_key="event.id")
    status: str = "pending"  # pending | sent | failed | expired
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime
    next_attempt_at: datetime
    expires_at: datetime
    finished_at: datetime | None = None
    sent_ref: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None


class ProcessedInbound(SQLModel, table=True):
    """Inbound platform events already handled (Slack retries, Matrix replays)."""

    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    event_id: str
    received_at: datetime = Field(index=True)


class AdapterState(SQLModel, table=True):
    """Small durable values an adapter needs, e.g. the Matrix sync token."""

    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime


class LinkCode(SQLModel, table=True):
    """A one-time code linking a Matrix and a Slack identity."""

    code: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    platform: str
    created_at: datetime
    expires_at: datetime


class PairingMatch(SQLModel, table=True):
    """Two members introduced in a pairing round (a three is three pairs)."""

    __table_args__ = (UniqueConstraint("community_id", "round_key", "member_a_id", "member_b_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    round_key: str
    member_a_id: int = Field(foreign_key="member.id")
    member_b_id: int = Field(foreign_key="member.id")
    created_at: datetime


class WebSignIn(SQLModel, table=True):
    """A one-time sign-in link sent by `web`: only its hash is kept, it works
    once (``used_at``) and until ``expires_at``."""

    token_hash: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser: the hash of its cookie, until ``expires_at``."""

    token_hash: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime
    expires_at: datetime = Field(index=True)


class PostView(SQLModel, table=True):
    """A member looked at a post's page on a day (in UTC): views are counted
    once per member per day."""

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    day: str = Field(primary_key=True)  # YYYY-MM-DD
