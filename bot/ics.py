"""iCalendar files for coffee tables (RFC 5545, via the icalendar package):
one table's file, and the feeds (a community's, a member's) that phone
calendars subscribe to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain import EventInfo, EventStatus
from bot.messages import say_text

if TYPE_CHECKING:
    from icalendar import Calendar
    from icalendar import Event as VEvent

# Coffee tables have no end time; calendars need one, and most last this long.
DEFAULT_DURATION = timedelta(hours=1, minutes=30)
# How often a subscribed calendar should fetch its feed again.
FEED_REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedEntry:
    """One table in a feed, with what its VEVENT needs of its community.
    ``updated_at`` (when known) becomes the event's LAST-MODIFIED."""

    community_name: str
    timezone: str
    event: EventInfo
    updated_at: datetime | None = None


def event_uid(community_name: str, event: EventInfo) -> str:
    """A UID that stays the same for the event across edits, so calendars update it."""
    slug = "".join(ch for ch in community_name.lower() if ch.isalnum()) or "community"
    return f"event-{event.id}-{slug}@kenniscafe"


def event_calendar(community_name: str, timezone: str, event: EventInfo, now: datetime,
                   language: str = "en") -> bytes:
    """A VCALENDAR with one VEVENT for ``event``, times in the community zone."""
    calendar = _calendar()
    calendar.add_component(_vevent(FeedEntry(community_name, timezone, event), now, language))
    return _finished(calendar)


def feed_calendar(title: str, entries: Sequence[FeedEntry], now: datetime, language: str = "en") -> bytes:
    """A subscribable VCALENDAR named ``title`` with one VEVENT per entry
    (the same UIDs as :func:`event_calendar`). Cancelled tables stay in it
    as STATUS:CANCELLED, with a higher SEQUENCE, so calendars that hold
    them show the cancellation instead of silently dropping them."""
    from icalendar import vDuration, vText

    calendar = _calendar()
    calendar.add("name", vText(title))
    calendar.add("x-wr-calname", vText(title))
    calendar.add("refresh-interval", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for entry in entries:
        calendar.add_component(_vevent(entry, now, language))
    return _finished(calendar)


def _calendar() -> Calendar:
    """An empty VCALENDAR with this bot's header."""
    # icalendar is large and rarely needed: load it with the first calendar file.
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//Kenniscafe bot//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    return calendar


def _vevent(entry: FeedEntry, now: datetime, language: str) -> VEvent:
    """The VEVENT of one table, times in its community's zone."""
    from icalendar import Event as VEvent

    event = entry.event
    ref = f"E{event.number}"
    vevent = VEvent()
    vevent.add("uid", event_uid(entry.community_name, event))
    vevent.add("dtstamp", now)
    if entry.updated_at is not None:
        vevent.add("last-modified", entry.updated_at)
    start = event.starts_at.astimezone(ZoneInfo(entry.timezone))
    vevent.add("dtstart", start)
    vevent.add("dtend", start + DEFAULT_DURATION)
    vevent.add("summary", f"{ref} {event.title}")
    vevent.add("location", event.location)
    vevent.add("description", say_text(language, "ics.description", community=entry.community_name,
                                       ref=ref, join=f"`join {ref}`"))
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    return vevent


def _finished(calendar: Calendar) -> bytes:
    """The calendar's bytes, with a VTIMEZONE for every zone its events use."""
    calendar.add_missing_timezones()
    content: bytes = calendar.to_ical()
    return content
