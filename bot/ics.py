"""iCalendar files for coffee tables (RFC 5545, via the icalendar package)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import EventInfo, EventStatus
from bot.messages import say_text

# Coffee tables have no end time; calendars need one, and most last this long.
DEFAULT_DURATION = timedelta(hours=1, minutes=30)


def event_uid(community_name: str, event: EventInfo) -> str:
    """A UID that stays the same for the event across edits, so calendars update it."""
    slug = "".join(ch for ch in community_name.lower() if ch.isalnum()) or "community"
    return f"event-{event.id}-{slug}@kenniscafe"


def event_calendar(community_name: str, timezone: str, event: EventInfo, now: datetime, sequence: int = 0,
                   language: str = "en") -> bytes:
    """A VCALENDAR with one VEVENT for ``event``, times in the community zone."""
    # icalendar is large and rarely needed: load it with the first calendar file.
    from icalendar import Calendar
    from icalendar import Event as VEvent

    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Kenniscafe bot//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    vevent = VEvent()
    vevent.add("uid", event_uid(community_name, event))
    vevent.add("dtstamp", now)
    start = event.starts_at.astimezone(zone)
    vevent.add("dtstart", start)
    vevent.add("dtend", start + DEFAULT_DURATION)
    vevent.add("summary", f"E{event.number} {event.title}")
    vevent.add("location", event.location)
    vevent.add("description", say_text(language, "ics.description", community=community_name,
                                       ref=f"E{event.number}", join=f"`join E{event.number}`"))
    vevent.add("sequence", sequence)
    vevent.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    content: bytes = calendar.to_ical()
    return content
