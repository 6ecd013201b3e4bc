"""Reading ``<when>`` as people type it, in the community's time zone.

ISO (``2026-12-11 09:30``) and natural English and Dutch (``friday 9:30``,
``vrijdag 9:30``, ``next tuesday 14:00``, ``morgen 10:00``) are read by
dateparser as a *local wall-clock time*; we then attach the community's zone
ourselves, so the offset is the one in force on that date (DST-safe), and
store the instant in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WhenProblem:
    """Why a ``<when>`` was refused: ``unreadable``, ``no_time`` or ``past``
    (then ``moment`` is the past instant that was read)."""

    reason: str
    moment: datetime | None = None


def parse_when(text: str, timezone: str, now: datetime) -> datetime | WhenProblem:
    """The instant (aware, UTC) meant by ``text``, or why it cannot be used.

    The text must name a time of day and lie in the future."""
    # dateparser is large; load it when the first date is read, not at start-up.
    from dateparser.date import DateDataParser

    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    parser = DateDataParser(
        languages=["en", "nl"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    cleaned = " ".join(text.split())
    data = parser.get_date_data(cleaned) if cleaned else None
    if data is None or data.date_obj is None:
        return WhenProblem("unreadable")
    if data.period != "time":
        return WhenProblem("no_time")
    read: datetime = data.date_obj
    local = read.replace(tzinfo=None, second=0, microsecond=0)
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    if moment <= now:
        return WhenProblem("past", moment)
    return moment


def iso_example(now: datetime) -> str:
    """An ISO date a week ahead (``2026-12-11 09:30``): an example that is
    never in the past."""
    return f"{(now + timedelta(days=7)):%Y-%m-%d} 09:30"
