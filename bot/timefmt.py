"""Showing instants in a community's time zone and language.

Names come from our own tables rather than the process locale, so what a
member sees never depends on the machine the bot runs on.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
}


def local(moment: datetime, timezone: str) -> datetime:
    """``moment`` (aware) in the community's zone."""
    return moment.astimezone(ZoneInfo(timezone))


def format_day(moment: datetime, timezone: str, language: str, *, now: datetime | None = None,
               with_year: bool = False) -> str:
    """``14 Nov``, with the year when asked or when it is not the year of ``now``."""
    when = local(moment, timezone)
    months = _MONTHS.get(language, _MONTHS["en"])
    text = f"{when.day} {months[when.month - 1]}"
    if with_year or (now is not None and local(now, timezone).year != when.year):
        text += f" {when.year}"
    return text


def format_when(moment: datetime, timezone: str, language: str, *, now: datetime | None = None,
                with_year: bool = False) -> str:
    """``Fri 11 Dec 09:30``: weekday, day, month and time in the community
    zone; with the year when asked, or when it is not the year of ``now``."""
    when = local(moment, timezone)
    weekdays = _WEEKDAYS.get(language, _WEEKDAYS["en"])
    day = format_day(moment, timezone, language, now=now, with_year=with_year)
    return f"{weekdays[when.weekday()]} {day} {when:%H:%M}"


def latest_weekly_moment(weekday: int, at: time, timezone: str, now: datetime) -> datetime:
    """The most recent moment at or before ``now`` that falls on ``weekday``
    (0 = Monday) at local time ``at`` in ``timezone`` (DST-safe: the wall
    clock time is fixed, its offset is that of the day)."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    day = (local_now - timedelta(days=(local_now.weekday() - weekday) % 7)).date()
    moment = datetime.combine(day, at, tzinfo=zone)
    if moment > local_now:
        moment = datetime.combine(day - timedelta(days=7), at, tzinfo=zone)
    return moment.astimezone(now.tzinfo)
