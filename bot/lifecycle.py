"""The life of a coffee table as one state machine.

A table is *open* for sign-ups, *closed* to new ones, *cancelled*, *started*
once its start time has passed, and *ended* some hours later (tables have no
end time of their own). Which requests apply in which state is decided here,
once, for the sign-up rules and the commands alike; a request that does not
apply is answered with the state that stops it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import EventStatus

# Tables have no end time; one counts as over this long after its start.
ENDS_AFTER = timedelta(hours=12)


class EventState(StrEnum):
    """Where a coffee table is in its life."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    STARTED = "started"
    ENDED = "ended"


class Request(StrEnum):
    """What members and organizers ask of a table."""

    JOIN = "join"
    LEAVE = "leave"
    EDIT = "edit"
    CLOSE = "close"
    REOPEN = "open"
    CANCEL = "cancel"


APPLIES_IN: dict[Request, frozenset[EventState]] = {
    Request.JOIN: frozenset({EventState.OPEN}),
    Request.LEAVE: frozenset({EventState.OPEN, EventState.CLOSED}),
    Request.EDIT: frozenset({EventState.OPEN, EventState.CLOSED}),
    Request.CLOSE: frozenset({EventState.OPEN}),
    Request.REOPEN: frozenset({EventState.CLOSED}),
    Request.CANCEL: frozenset({EventState.OPEN, EventState.CLOSED}),
}


def event_state(status: str, starts_at: datetime, now: datetime) -> EventState:
    """The state of a table with this stored status and start, at ``now``."""
    if status == EventStatus.CANCELLED:
        return EventState.CANCELLED
    if now >= starts_at + ENDS_AFTER:
        return EventState.ENDED
    if now >= starts_at:
        return EventState.STARTED
    return EventState.CLOSED if status == EventStatus.CLOSED else EventState.OPEN


def stopped_by(request: Request, state: EventState) -> EventState | None:
    """The state that stops ``request``, or None when it applies."""
    return None if state in APPLIES_IN[request] else state
