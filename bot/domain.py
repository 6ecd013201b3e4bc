"""Plain data the repositories hand the core (no database rows leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import IntEnum


class Role(IntEnum):
    """What a member may do; higher includes lower."""

    MEMBER = 0
    ORGANIZER = 1
    MANAGER = 2

    @classmethod
    def parse(cls, name: str) -> Role:
        """The role called ``name`` (member, organizer, manager)."""
        return cls[name.upper()]

    @property
    def label(self) -> str:
        """The role's name as stored and typed."""
        return self.name.lower()


@dataclass(frozen=True)
class CommunityInfo:
    """A community as the core needs it."""

    id: int
    name: str
    timezone: str
    language: str
    reminders: tuple[timedelta, ...] = ()
    digest_weekday: int | None = None  # 0 = Monday; None: no weekly digest
    digest_time: time | None = None
    pairing_weekday: int | None = None  # None: no pairing rounds
    pairing_time: time | None = None
    pairing_weeks: int = 2
    web_public: bool = False  # anyone may read its web pages without signing in


@dataclass(frozen=True)
class MemberInfo:
    """A member seen from one community."""

    id: int
    display_name: str
    role: Role
    language: str | None = None  # chosen with `me language`; None: the community's


def reading_language(community: CommunityInfo, member: MemberInfo | None) -> str:
    """The language ``member`` reads replies in: their own choice, else the
    community's."""
    return (member.language if member else None) or community.language


@dataclass(frozen=True)
class Recipient:
    """How to reach a member privately: their (platform, user id) pairs,
    oldest first, and the language they read."""

    identities: tuple[tuple[str, str], ...]
    language: str | None


@dataclass(frozen=True)
class SourceMessage:
    """The chat message a post or comment came from (a typed command, or a
    chat message saved as a post)."""

    platform: str
    room_id: str
    message_id: str


@dataclass(frozen=True)
class CommentRef:
    """A comment found by the chat message it came from."""

    id: int
    post_id: int
    post_number: int
    member_id: int


@dataclass(frozen=True)
class NewPost:
    """What the archive needs to store a post."""

    community_id: int
    author_id: int
    title: str
    body: str
    tags: tuple[str, ...]
    links: tuple[str, ...]
    created_at: datetime
    saved_by_id: int | None = None
    source: SourceMessage | None = None


@dataclass(frozen=True)
class PostSummary:
    """A post in a list: search results, recent posts."""

    id: int
    number: int
    title: str
    author_name: str
    created_at: datetime
    tags: tuple[str, ...] = ()
    # Search results: a short piece of the post around what matched, as
    # (text, matched) parts in order; empty elsewhere.
    snippet: tuple[tuple[str, bool], ...] = ()
    author_id: int | None = None  # where the list knows it (the web archive links authors)


@dataclass(frozen=True)
class PostDetails:
    """Everything `show` tells about a post."""

    id: int
    number: int
    title: str
    body: str
    author_id: int
    author_name: str
    created_at: datetime
    removed: bool
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    link_titles: tuple[tuple[str, str], ...] = ()  # (url, the page's title) where one was fetched
    reactions: tuple[tuple[str, int], ...] = ()
    comment_count: int = 0
    involved: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PostComment:
    """A comment as a post's page shows it."""

    author_id: int
    author_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class PersonCard:
    """A member in the list of a community's people."""

    member_id: int
    name: str
    role: Role
    posts: int
    expertise: tuple[str, ...]
    interests: tuple[str, ...]


@dataclass(frozen=True)
class SavedPost:
    """The outcome of storing a post: its number, and whether it is new
    (saving the same chat message twice returns the first post)."""

    id: int
    number: int
    created: bool


@dataclass(frozen=True)
class Anchor:
    """What a bot message stands for: a post or an event."""

    post_id: int | None = None
    post_number: int | None = None
    event_id: int | None = None
    event_number: int | None = None


class EventStatus:
    """The states of an event (plain strings, as stored)."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class NewEvent:
    """What the event store needs to open a coffee table."""

    community_id: int
    title: str
    starts_at: datetime
    location: str
    capacity: int | None
    created_by_id: int
    created_at: datetime
    follow_up_of: int | None = None  # the number of the event this one follows


@dataclass(frozen=True)
class EventInfo:
    """An event with its seat counts."""

    id: int
    number: int
    title: str
    starts_at: datetime
    location: str
    capacity: int | None
    status: str
    going: int
    waitlisted: int
    cancel_reason: str | None = None
    # Raised by every change (time, place, status…): calendars replace the
    # event they hold when this grows (iCalendar SEQUENCE).
    sequence: int = 0

    @property
    def seats_left(self) -> int | None:
        """Free seats (None: unlimited)."""
        return None if self.capacity is None else max(self.capacity - self.going, 0)


@dataclass(frozen=True)
class EventDetails:
    """An event with the names of who comes and who waits, in order."""

    info: EventInfo
    attendees: tuple[str, ...]
    waitlist: tuple[str, ...]
    follow_up_of: int | None = None


@dataclass(frozen=True)
class Promotion:
    """A waitlisted member who got a seat."""

    member_id: int
    event_number: int


@dataclass(frozen=True)
class SignupResult:
    """The outcome of a join or leave, decided in one transaction.

    ``outcome`` is one of: going, waitlisted, already_going, already_waitlisted,
    closed, cancelled, started, not_found (join); left, left_waitlist,
    not_signed_up, not_found (leave)."""

    outcome: str
    event: EventInfo | None = None
    position: int = 0  # place on the waitlist, from 1
    promoted: tuple[Promotion, ...] = ()


@dataclass(frozen=True)
class EventChange:
    """One field of an event changed by an organizer."""

    field: str  # title | starts_at | location | capacity
    value: str | datetime | int | None


@dataclass(frozen=True)
class DueReminder:
    """A reminder claimed for sending: to the attendees and the rooms where
    the event was announced. ``late`` when it fell due while the bot was down."""

    community_id: int
    event: EventInfo
    offset: timedelta
    attendees: tuple[int, ...]
    rooms: tuple[tuple[str, str], ...]  # (platform, room id)
    late: bool = False


@dataclass(frozen=True)
class DigestPost:
    """A post as the digest lists it."""

    number: int
    title: str
    author_name: str
    reactions: int
    comments: int


@dataclass(frozen=True)
class DigestData:
    """What happened in a community during a period, and what is coming."""

    new_posts: tuple[DigestPost, ...]
    new_post_total: int
    discussions: tuple[DigestPost, ...]
    upcoming: tuple[EventInfo, ...]
    new_members: tuple[str, ...]
    new_member_total: int
    suggested_pairs: tuple[tuple[str, str, str], ...]  # (member, member, what they share)

    @property
    def empty(self) -> bool:
        """Nothing at all to tell."""
        return not (self.new_posts or self.discussions or self.upcoming or self.new_members)


@dataclass(frozen=True)
class TableAttended:
    """A coffee table a member was on the going list of."""

    number: int
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class Profile:
    """What a community knows about a member."""

    member: MemberInfo
    platforms: tuple[str, ...]
    interests: tuple[str, ...]
    expertise: tuple[str, ...]
    digest_dm: bool
    pairing: bool
    post_count: int
    recent_posts: tuple[PostSummary, ...]
    table_count: int
    recent_tables: tuple[TableAttended, ...]


@dataclass(frozen=True)
class Evidence:
    """Why a member may know about a topic: each kind of evidence counted.
    ``score`` weighs them (declared expertise most, one word in a post least)."""

    member_id: int
    name: str
    expertise: bool = False
    interest: bool = False
    tagged_posts: int = 0
    other_posts: int = 0
    comments: int = 0
    reactions: int = 0
    tables: int = 0

    @property
    def score(self) -> float:
        """The weight of the evidence, for ranking."""
        return (10.0 * self.expertise + 4.0 * self.interest + 3.0 * self.tagged_posts + 1.0 * self.other_posts
                + 0.5 * self.comments + 0.25 * self.reactions + 1.5 * self.tables)


@dataclass(frozen=True)
class Participant:
    """A member taking part in coffee pairing, with their topics (lower case)."""

    member_id: int
    name: str
    topics: frozenset[str]


@dataclass(frozen=True)
class WeekStats:
    """What happened in a community in one week (``start`` is its Monday)."""

    start: datetime
    posts: int = 0
    comments: int = 0
    reactions: int = 0
    active_members: int = 0
    new_members: int = 0
    returning_members: int = 0  # active members who joined before the week began
    signups: int = 0
    came: int = 0  # going sign-ups of tables that took place, minus no-shows
    no_shows: int = 0


@dataclass(frozen=True)
class Contributor:
    """A member's share of a period's posts and comments."""

    name: str
    posts: int
    comments: int
