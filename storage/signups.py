"""Sign-ups as a state machine, decided inside one write transaction.

A sign-up is *going*, *waitlisted* or *cancelled*. Capacity is checked and
the row written in the same transaction that holds the event's write lock
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` on PostgreSQL), so
no interleaving of writers can overbook. The waitlist is ordered by
``queue_seq``, handed out under that lock. A promotion off the waitlist is
recorded in the outbound ledger under a unique key in the same transaction,
so its notice is produced exactly once.

The rules are written once, as plain synchronous code over :class:`Sql` —
a tiny query interface — and run by :mod:`storage.repositories.events`
inside the unit of work of the command that asked (so the sign-up, the
inbound event's claim and the replies commit together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain import EventChange, EventInfo, EventStatus, Promotion, SignupResult
from bot.lifecycle import EventState, Request, event_state, stopped_by

GOING = "going"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"


class Sql(Protocol):
    """The queries the rules need; implementations differ only in driver."""

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Run ``sql`` (named ``:params``) and return all rows."""
        ...

    def run(self, sql: str, **params: Any) -> None:
        """Run a statement that returns no rows."""
        ...

    def stamp(self, moment: datetime) -> Any:
        """A timestamp as the driver stores it."""
        ...

    def read_stamp(self, value: Any) -> datetime:
        """A stored timestamp back as an aware UTC datetime."""
        ...

    lock_suffix: str  # " FOR UPDATE" where rows must be locked explicitly


@dataclass(frozen=True)
class JoinRequest:
    """Sign ``member_id`` up for event number ``number`` of a community."""

    community_id: int
    number: int
    member_id: int
    now: datetime


@dataclass(frozen=True)
class LeaveRequest:
    """Cancel ``member_id``'s sign-up for event ``number``."""

    community_id: int
    number: int
    member_id: int
    now: datetime


@dataclass(frozen=True)
class EditRequest:
    """Change a field of an event (capacity changes may promote)."""

    community_id: int
    number: int
    change: EventChange
    now: datetime


@dataclass(frozen=True)
class StatusRequest:
    """Open, close or cancel an event."""

    community_id: int
    number: int
    status: str
    reason: str | None
    now: datetime


@dataclass(frozen=True)
class MergeRequest:
    """Two members became one (linked identities): ``other``'s sign-up for
    event ``number`` becomes ``keep``'s, or goes when ``keep`` has a better one."""

    community_id: int
    number: int
    keep_id: int
    other_id: int
    now: datetime


SignupRequest = JoinRequest | LeaveRequest | EditRequest | StatusRequest | MergeRequest


@dataclass
class _Event:
    """An event row plus its live counts, kept current during a batch."""

    id: int
    number: int
    title: str
    starts_at: datetime
    location: str
    capacity: int | None
    status: str
    cancel_reason: str | None
    going: int
    waitlisted: int
    next_seq: int
    sequence: int

    def info(self) -> EventInfo:
        return EventInfo(
            self.id, self.number, self.title, self.starts_at, self.location, self.capacity,
            self.status, self.going, self.waitlisted, self.cancel_reason, self.sequence,
        )

    def has_seat(self) -> bool:
        return self.capacity is None or self.going < self.capacity

    def stops(self, request: Request, now: datetime) -> EventState | None:
        """The state that stops ``request`` now, if any (:mod:`bot.lifecycle`)."""
        return stopped_by(request, event_state(self.status, self.starts_at, now))


@dataclass
class SignupRules:
    """Applies requests in order within one open write transaction.

    Event rows are read (and locked) once per transaction and their counts
    kept in memory afterwards: within the transaction nobody else writes."""

    sql: Sql
    _events: dict[tuple[int, int], _Event | None] = field(default_factory=dict)

    def apply(self, request: SignupRequest) -> SignupResult:
        """Decide one request; the caller commits."""
        event = self._event(request.community_id, request.number)
        if event is None:
            return SignupResult("not_found")
        if isinstance(request, JoinRequest):
            return self._join(event, request.member_id, request.now)
        if isinstance(request, LeaveRequest):
            return self._leave(event, request.member_id, request.now)
        if isinstance(request, EditRequest):
            return self._edit(event, request.change, request.now)
        if isinstance(request, MergeRequest):
            return self._merge(event, request.keep_id, request.other_id, request.now)
        return self._set_status(event, request.status, request.reason, request.now)

    # -- the rules -----------------------------------------------------------

    def _join(self, event: _Event, member_id: int, now: datetime) -> SignupResult:
        stop = event.stops(Request.JOIN, now)
        if stop in (EventState.CANCELLED, EventState.STARTED, EventState.ENDED):
            return SignupResult(stop.value, event.info())
        mine = self._signup(event.id, member_id)
        if mine is not None and mine[1] == GOING:
            return SignupResult("already_going", event.info())
        if mine is not None and mine[1] == WAITLISTED:
            return SignupResult("already_waitlisted", event.info(), self._position(event.id, mine[2]))
        if stop is not None:
            return SignupResult(stop.value, event.info())
        state = GOING if event.has_seat() else WAITLISTED
        seq = event.next_seq
        event.next_seq += 1
        stamp = self.sql.stamp(now)
        if mine is None:
            self.sql.run(
                "INSERT INTO signup (event_id, member_id, state, queue_seq, queued_at, updated_at) "
                "VALUES (:event, :member, :state, :seq, :now, :now)",
                event=event.id, member=member_id, state=state, seq=seq, now=stamp,
            )
        else:
            self.sql.run(
                "UPDATE signup SET state = :state, queue_seq = :seq, queued_at = :now, updated_at = :now "
                "WHERE id = :id",
                state=state, seq=seq, now=stamp, id=mine[0],
            )
        if state == GOING:
            event.going += 1
            return SignupResult(GOING, event.info())
        event.waitlisted += 1
        # Appended last, so its place is the length of the waitlist.
        return SignupResult(WAITLISTED, event.info(), event.waitlisted)

    def _leave(self, event: _Event, member_id: int, now: datetime) -> SignupResult:
        stop = event.stops(Request.LEAVE, now)
        if stop is not None:
            return SignupResult(stop.value, event.info())
        mine = self._signup(event.id, member_id)
        if mine is None or mine[1] == CANCELLED:
            return SignupResult("not_signed_up", event.info())
        self.sql.run(
            "UPDATE signup SET state = :state, updated_at = :now WHERE id = :id",
            state=CANCELLED, now=self.sql.stamp(now), id=mine[0],
        )
        if mine[1] == WAITLISTED:
            event.waitlisted -= 1
            return SignupResult("left_waitlist", event.info())
        event.going -= 1
        promoted = self._promote(event, now)
        return SignupResult("left", event.info(), promoted=promoted)

    def _edit(self, event: _Event, change: EventChange, now: datetime) -> SignupResult:
        stop = event.stops(Request.EDIT, now)
        if stop is not None:
            return SignupResult(stop.value, event.info())
        value = change.value
        if change.field == "capacity":
            capacity = value if isinstance(value, int) else None
            if capacity is not None and capacity < event.going:
                return SignupResult("capacity_below_going", event.info())
            event.capacity = capacity
        elif change.field == "starts_at" and isinstance(value, datetime):
            event.starts_at = value
        elif change.field == "title" and isinstance(value, str):
            event.title = value
        elif change.field == "location" and isinstance(value, str):
            event.location = value
        else:
            raise ValueError(f"cannot set {change.field} to {value!r}")
        column = change.field
        stored = self.sql.stamp(value) if isinstance(value, datetime) else value
        # Moving the start re-arms its reminders from this moment on.
        also = ", time_set_at = :now" if column == "starts_at" else ""
        event.sequence += 1
        self.sql.run(
            f"UPDATE event SET {column} = :value, updated_at = :now, sequence = sequence + 1{also} WHERE id = :id",
            value=stored, now=self.sql.stamp(now), id=event.id,
        )
        return SignupResult("edited", event.info(), promoted=self._promote(event, now))

    def _set_status(self, event: _Event, status: str, reason: str | None, now: datetime) -> SignupResult:
        request = {EventStatus.OPEN: Request.REOPEN, EventStatus.CLOSED: Request.CLOSE}.get(status, Request.CANCEL)
        stop = event.stops(request, now)
        if stop is not None:
            return SignupResult("unchanged" if stop.value == status else stop.value, event.info())
        event.status = status
        event.cancel_reason = reason if status == EventStatus.CANCELLED else None
        event.sequence += 1
        self.sql.run(
            "UPDATE event SET status = :status, cancel_reason = :reason, updated_at = :now, sequence = sequence + 1"
            " WHERE id = :id",
            status=status, reason=event.cancel_reason, now=self.sql.stamp(now), id=event.id,
        )
        return SignupResult(status, event.info())

    def _merge(self, event: _Event, keep_id: int, other_id: int, now: datetime) -> SignupResult:
        """One sign-up for the merged member: the better of the two (going
        over waitlisted over cancelled; the earlier place on the waitlist). A
        seat the other held goes to the first on the waitlist, so nobody is
        pushed off the going list."""
        theirs = self._signup(event.id, other_id)
        if theirs is None:
            return SignupResult("merged", event.info())
        mine = self._signup(event.id, keep_id)
        if mine is None:
            self.sql.run("UPDATE signup SET member_id = :keep WHERE id = :id", keep=keep_id, id=theirs[0])
            return SignupResult("merged", event.info())
        rank = {GOING: 0, WAITLISTED: 1, CANCELLED: 2}
        best, worst = sorted((mine, theirs), key=lambda s: (rank[s[1]], s[2]))
        self.sql.run("DELETE FROM signup WHERE id = :id", id=worst[0])
        if best is theirs:
            self.sql.run("UPDATE signup SET member_id = :keep WHERE id = :id", keep=keep_id, id=theirs[0])
        if worst[1] == GOING:
            event.going -= 1
        elif worst[1] == WAITLISTED:
            event.waitlisted -= 1
        promoted = self._promote(event, now) if event.stops(Request.JOIN, now) in (None, EventState.CLOSED) else ()
        return SignupResult("merged", event.info(), promoted=promoted)

    def _promote(self, event: _Event, now: datetime) -> tuple[Promotion, ...]:
        """Give free seats to the waitlist, first come first served."""
        free = None if event.capacity is None else event.capacity - event.going
        if event.waitlisted == 0 or (free is not None and free <= 0):
            return ()
        limit = event.waitlisted if free is None else min(free, event.waitlisted)
        chosen = self.sql.rows(
            "SELECT id, member_id, queue_seq FROM signup WHERE event_id = :event AND state = :state "
            "ORDER BY queue_seq LIMIT :limit",
            event=event.id, state=WAITLISTED, limit=limit,
        )
        stamp = self.sql.stamp(now)
        promotions = []
        for signup_id, member_id, seq in chosen:
            self.sql.run("UPDATE signup SET state = :state, updated_at = :now WHERE id = :id",
                         state=GOING, now=stamp, id=signup_id)
            # The notice is claimed here, in the deciding transaction (rule 5).
            self.sql.run("INSERT INTO outboundledger (key, created_at) VALUES (:key, :now)",
                         key=f"promotion:{event.id}:{member_id}:{seq}", now=stamp)
            promotions.append(Promotion(member_id, event.number))
        event.going += len(promotions)
        event.waitlisted -= len(promotions)
        return tuple(promotions)

    # -- reading -------------------------------------------------------------

    def _event(self, community_id: int, number: int) -> _Event | None:
        key = (community_id, number)
        if key not in self._events:
            self._events[key] = self._load_event(community_id, number)
        return self._events[key]

    def _load_event(self, community_id: int, number: int) -> _Event | None:
        found = self.sql.rows(
            "SELECT id, number, title, starts_at, location, capacity, status, cancel_reason, sequence FROM event "
            "WHERE community_id = :community AND number = :number" + self.sql.lock_suffix,
            community=community_id, number=number,
        )
        if not found:
            return None
        event_id, number, title, starts_at, location, capacity, status, reason, sequence = found[0]
        counts = dict(
            self.sql.rows(
                "SELECT state, count(*) FROM signup WHERE event_id = :event GROUP BY state", event=event_id
            )
        )
        next_seq = self.sql.rows(
            "SELECT coalesce(max(queue_seq), 0) + 1 FROM signup WHERE event_id = :event", event=event_id
        )[0][0]
        return _Event(
            event_id, number, title, self.sql.read_stamp(starts_at), location, capacity, status, reason,
            counts.get(GOING, 0), counts.get(WAITLISTED, 0), next_seq, sequence,
        )

    def _signup(self, event_id: int, member_id: int) -> tuple[int, str, int] | None:
        found = self.sql.rows(
            "SELECT id, state, queue_seq FROM signup WHERE event_id = :event AND member_id = :member",
            event=event_id, member=member_id,
        )
        return (found[0][0], found[0][1], found[0][2]) if found else None

    def _position(self, event_id: int, seq: int) -> int:
        return int(
            self.sql.rows(
                "SELECT count(*) FROM signup WHERE event_id = :event AND state = :state AND queue_seq <= :seq",
                event=event_id, state=WAITLISTED, seq=seq,
            )[0][0]
        )

