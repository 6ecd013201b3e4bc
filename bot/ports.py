"""The ports the core depends on. Adapters and storage implement them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.domain import (
    Anchor,
    CommentRef,
    CommunityInfo,
    Contributor,
    DigestData,
    DueReminder,
    EventChange,
    EventDetails,
    EventInfo,
    Evidence,
    MemberInfo,
    NewEvent,
    NewPost,
    Participant,
    PostDetails,
    PostSummary,
    Profile,
    Promotion,
    Recipient,
    Role,
    SavedPost,
    SignupResult,
    SourceMessage,
    WeekStats,
)
from bot.incoming import Actor, MessageRef, RoomRef
from bot.outgoing import Outgoing, Queued


class PageTitles(Protocol):
    """Reads the title of a web page (the fetcher lives outside the core)."""

    async def title_of(self, url: str) -> str | None:
        """The page's title, or None when there is none or it cannot be read."""
        ...


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
    """Delivers the core's stored messages on one platform."""

    platform: str

    async def deliver(self, message: Queued) -> list[MessageRef]:
        """Send one outbox message (its id makes a retry recognisable where
        the platform allows); the platform's ids of what was posted. Raises
        :class:`~bot.outgoing.DeliveryFailed` when it could not."""
        ...


class UnitOfWork(Protocol):
    """The transaction of a :meth:`Transactions.atomic` block."""

    @property
    def wrote(self) -> bool:
        """Whether anything was written in it so far."""
        ...


class Transactions(Protocol):
    """Units of work: what is written inside one commits together or not at all."""

    def atomic(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A block whose writes (through any repository) commit together at
        its end, or roll back together when it raises."""
        ...

    def is_conflict(self, error: BaseException) -> bool:
        """Whether a unit failed only because a concurrent writer won a race
        (a key taken meanwhile, a deadlock): worth running again."""
        ...


class Outbox(Protocol):
    """Messages stored with the decision that caused them, until delivered."""

    served: set[str]  # the platforms this process delivers on

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime, keep_for: timedelta) -> list[Queued]:
        """Store messages in the current unit of work (a key stored before
        is left out); the rows of served platforms, held for this process."""
        ...

    async def claim(self, platforms: Iterable[str], now: datetime, limit: int) -> list[Queued]:
        """Hold due rows nobody holds, oldest first."""
        ...

    async def renew(self, ids: Sequence[int], now: datetime) -> None:
        """Keep holding these rows."""
        ...

    async def sent(self, queued: Queued, refs: Sequence[MessageRef], now: datetime) -> None:
        """Delivered as these platform messages (anchored when the row says so)."""
        ...

    async def retry_later(self, queued: Queued, error: str, at: datetime) -> None:
        """Not delivered yet; try again at ``at``."""
        ...

    async def finish(self, queued: Queued, status: str, error: str | None, now: datetime) -> None:
        """Failed for good or expired, with the reason."""
        ...

    async def release(self, ids: Sequence[int]) -> None:
        """Stop holding rows (shutdown) so another start takes them at once."""
        ...

    async def reclaim_abandoned(self) -> int:
        """Free rows held by processes that are gone; how many."""
        ...

    async def expire_overdue(self, now: datetime) -> int:
        """Mark rows nobody holds whose time is up as expired; how many."""
        ...

    async def prune(self, now: datetime) -> int:
        """Forget old finished rows; how many."""
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

    async def recipients(self, member_ids: Sequence[int]) -> dict[int, Recipient]:
        """How to reach each member privately: identities oldest first, and
        their own language (members without identities are left out)."""
        ...

    async def language_of(self, platform: str, user_id: str) -> str | None:
        """The language the account's member chose, if any."""
        ...

    async def set_language(self, member_id: int, language: str | None) -> None:
        """The member's own language; None follows each community's."""
        ...

    async def set_role(self, community_id: int, member_id: int, role: Role) -> None:
        """Give a member a role in the community."""
        ...

    async def staff(self, community_id: int) -> list[MemberInfo]:
        """The community's managers and organizers, managers first, by name."""
        ...

    def forget_cached(self) -> None:
        """Look members up afresh (after identities moved between members)."""
        ...


class People(Protocol):
    """Profiles and who knows what."""

    async def set_topics(self, member_id: int, kind: str, topics: Sequence[str]) -> None:
        """Replace a member's declared interests or expertise (``kind``)."""
        ...

    async def profile(self, community_id: int, member: MemberInfo, now: datetime) -> Profile:
        """What the community knows about a member."""
        ...

    async def who(self, community_id: int, topic: str, words: Sequence[str], limit: int,
                  now: datetime) -> list[Evidence]:
        """The members with evidence of knowing ``topic`` (its ``words`` for
        full-text matches), best first; tables count when attended before ``now``."""
        ...


class Pairing(Protocol):
    """Who takes part in coffee pairing, who met whom, and the rounds."""

    async def set_opt_in(self, member_id: int, on: bool) -> None:
        """Take part in pairing rounds, or not."""
        ...

    async def taking_part(self, community_id: int) -> dict[int, Participant]:
        """The members who opted in, by member id."""
        ...

    async def times_met(self, community_id: int) -> Counter[frozenset[int]]:
        """How often each pair of members met in earlier rounds."""
        ...

    async def rounds(self, community_id: int) -> int:
        """How many rounds were held."""
        ...

    async def hold_round(self, community_id: int, key: str, groups: Sequence[tuple[int, ...]], at: datetime) -> bool:
        """Claim a round in the current unit of work and record its groups;
        False when it was held already."""
        ...


class Stats(Protocol):
    """A community's activity per week, and attendance."""

    async def weekly(self, community_id: int, starts: Sequence[datetime], end: datetime) -> list[WeekStats]:
        """One entry per week beginning at each of ``starts`` (ascending),
        the last running up to ``end``."""
        ...

    async def top_contributors(self, community_id: int, start: datetime, end: datetime,
                               limit: int) -> list[Contributor]:
        """The members with the most posts and comments in the period."""
        ...

    async def top_topics(self, community_id: int, start: datetime, end: datetime,
                         limit: int) -> list[tuple[str, int]]:
        """The tags of the period's posts, with how many posts carry each,
        most first (then by name)."""
        ...

    async def set_no_show(self, event_id: int, member_id: int, no_show: bool) -> tuple[int, int] | None:
        """Mark a going member as not come (or come after all); the table's
        (came, no-shows), or None when they were not going."""
        ...


class Records(Protocol):
    """A community's data as a whole, and erasing a member's."""

    async def export(self, community_id: int) -> dict[str, Any]:
        """The community's data as an export document (JSON-ready)."""
        ...

    async def forget(self, member_id: int, former_name: str, now: datetime) -> list[tuple[int, Promotion]]:
        """Erase a member's personal data (in the current unit of work); the
        promotions their cancelled sign-ups caused, with their community id."""
        ...


class WebSignIns(Protocol):
    """One-time sign-in links to the web pages (only their hashes)."""

    async def add_sign_in(self, token_hash: str, member_id: int, at: datetime, expires_at: datetime) -> None:
        """Store a sign-in link's hash for the member, valid until ``expires_at``."""
        ...


class Linking(Protocol):
    """One-time codes, and members made one (or split again)."""

    async def add_code(self, code: str, member_id: int, platform: str, at: datetime, expires_at: datetime) -> None:
        """Store a one-time code (a member's earlier codes stop working)."""
        ...

    async def take_code(self, code: str, now: datetime) -> tuple[int, str] | None:
        """The member and platform of a valid code, used up; else None."""
        ...

    async def merge(self, keep_id: int, other_id: int, now: datetime) -> list[tuple[int, Promotion]]:
        """Make ``other_id`` part of ``keep_id`` (in the current unit of work);
        the promotions freed seats caused, with their community id."""
        ...

    async def split(self, platform: str, user_id: str, name: str, at: datetime) -> int | None:
        """Give one identity a member of its own again; None when it is its
        member's only identity."""
        ...


class Archive(Protocol):
    """Posts, tags, links, reactions and comments of the knowledge archive."""

    async def create_post(self, post: NewPost) -> SavedPost:
        """Store a post with the next number of its community."""
        ...

    async def get_post(self, community_id: int, number: int) -> PostDetails | None:
        """A post by its number, removed or not."""
        ...

    async def add_comment(self, post_id: int, member_id: int, body: str, at: datetime,
                          source: SourceMessage | None = None) -> int:
        """Add a comment (remembering the chat message it came from); returns
        the post's comment count."""
        ...

    async def post_from(self, community_id: int, source: SourceMessage) -> int | None:
        """The number of the post that came from this chat message, if any."""
        ...

    async def comment_from(self, source: SourceMessage) -> CommentRef | None:
        """The comment that came from this chat message, if any."""
        ...

    async def update_post(self, post_id: int, title: str, body: str, tags: Sequence[str], links: Sequence[str],
                          at: datetime) -> None:
        """Replace a post's title, body, tags and links (search kept in step)."""
        ...

    async def links_to_title(self, limit: int) -> list[tuple[int, str]]:
        """Links of live posts whose page title was not looked for yet, oldest first."""
        ...

    async def set_link_title(self, link_id: int, title: str | None, at: datetime) -> None:
        """Record what was found at a link (None: no title); a title is searched with its post."""
        ...

    async def update_comment(self, comment_id: int, body: str) -> None:
        """Replace a comment's text."""
        ...

    async def set_reaction(self, post_id: int, member_id: int, emoji: str, present: bool, at: datetime) -> bool:
        """Count or uncount one member's emoji; True if something changed."""
        ...

    async def search(
        self, community_id: int, words: Sequence[str], *, tag: str | None, author_id: int | None, limit: int
    ) -> list[PostSummary]:
        """Best matches first, each with the snippet that shows what matched;
        removed posts never appear."""
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
    """Exactly-once bookkeeping of inbound events, and message anchors."""

    async def claim_inbound(self, platform: str, event_id: str, at: datetime) -> bool:
        """In the current unit of work: True the first time an inbound event
        id is claimed, False when it was handled before."""
        ...

    async def forget_inbound(self, before: datetime) -> int:
        """Forget inbound event ids claimed before ``before``; how many."""
        ...

    async def find_anchor(self, ref: MessageRef) -> Anchor | None:
        """What a message stands for, if it is one of the bot's anchors."""
        ...
