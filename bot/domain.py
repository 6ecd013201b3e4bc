"""Plain data the repositories hand the core (no database rows leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass(frozen=True)
class MemberInfo:
    """A member seen from one community."""

    id: int
    display_name: str
    role: Role


@dataclass(frozen=True)
class SourceMessage:
    """The chat message a saved post came from."""

    platform: str
    room_id: str
    message_id: str


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
    reactions: tuple[tuple[str, int], ...] = ()
    comment_count: int = 0
    involved: tuple[str, ...] = field(default_factory=tuple)


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
