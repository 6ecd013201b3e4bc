"""Showing instants and durations in a community's time zone and the
reader's language.

Names, orders and list words come from Babel's CLDR data rather than the
process locale, so what a member sees never depends on the machine the bot
runs on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.lists import format_list
from babel.units import format_unit


@functools.cache
def babel_locale(language: str) -> Locale:
    """The CLDR locale of a language code (parsed once: it is on every reply's path)."""
    return Locale.parse(language)


def local(moment: datetime, timezone: str) -> datetime:
    """``moment`` (aware) in the community's zone."""
    return moment.astimezone(ZoneInfo(timezone))


def _year_shown(when: datetime, timezone: str, now: datetime | None, with_year: bool) -> bool:
    return with_year or now is None or local(now, timezone).year != when.year


def format_day(moment: datetime, timezone: str, language: str, now: datetime | None, *,
               with_year: bool = False) -> str:
    """``14 Nov`` / ``14 nov``; with the year when asked, when it is not the
    year of ``now``, or when there is no ``now`` to compare with."""
    when = local(moment, timezone)
    pattern = "d MMM y" if _year_shown(when, timezone, now, with_year) else "d MMM"
    return format_datetime(when, pattern, locale=babel_locale(language))


def format_when(moment: datetime, timezone: str, language: str, now: datetime | None, *,
                with_year: bool = False) -> str:
    """``Fri 11 Dec 09:30`` / ``vr 11 dec 09:30``: weekday, day, month and
    time in the community zone; the year as in :func:`format_day`
    (``vr 11 dec 2027 09:30``)."""
    when = local(moment, timezone)
    pattern = "EEE d MMM y HH:mm" if _year_shown(when, timezone, now, with_year) else "EEE d MMM HH:mm"
    return format_datetime(when, pattern, locale=babel_locale(language))


def _parts(delta: timedelta) -> list[tuple[int, str]]:
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes >= 48 * 60 and minutes % (24 * 60) == 0:
        return [(minutes // (24 * 60), "duration-day")]
    hours, minutes = divmod(minutes, 60)
    parts = [(hours, "duration-hour")] if hours else []
    return parts + [(minutes, "duration-minute")] if minutes or not hours else parts


def format_duration(delta: timedelta, language: str) -> str:
    """``24 hours``, ``3 hours and 20 minutes``, ``2 days`` / ``2 dagen``:
    rounded to minutes, whole days from two days up."""
    locale = babel_locale(language)
    return format_list([format_unit(n, unit, length="long", locale=locale) for n, unit in _parts(delta)],
                       locale=locale)


def format_durations(deltas: Sequence[timedelta], language: str) -> str:
    """``24 hours and 1 hour`` / ``24 uur en 1 uur``, longest first (reminder offsets)."""
    return format_list([format_duration(d, language) for d in sorted(deltas, reverse=True)],
                       locale=babel_locale(language))


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
