"""Reading ``<when>`` as people type it, in the community's time zone.

ISO (``2026-12-11 09:30``) and natural English and Dutch (``friday 9:30``,
``vrijdag 9:30``, ``next tuesday 14:00``, ``morgen 10:00``) are read by
dateparser as a *local wall-clock time*; we then attach the community's zone
ourselves, so the offset is the one in force on that date (DST-safe), and
store the instant in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WhenProblem:
    """Why a ``<when>`` was refused: ``unreadable``, ``no_time`` or ``past``
    (then ``moment`` is the past instant that was read)."""

    reason: str
    moment: datetime | None = None


# Dutch ways of saying a time that dateparser does not read, rewritten first.
_HOUR_WORDS = {"een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
               "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12}
_HOUR = r"(\d{1,2}|" + "|".join(_HOUR_WORDS) + r")"
_WEEKDAYS = {"maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5, "zondag": 6,
             "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
_WEEKDAY = "(" + "|".join(_WEEKDAYS) + ")"
_NEXT_WEEK_DAY = re.compile(rf"\b(?:volgende|komende|next)\s+week\s+(?:op\s+)?{_WEEKDAY}\b")
_NEXT_DAY = re.compile(rf"\b(?:volgende|komende|next|aanstaande)\s+{_WEEKDAY}\b")
_HALF = re.compile(rf"\bhalf\s+{_HOUR}\b")
_QUARTER = re.compile(rf"\bkwart\s+(over|voor)\s+{_HOUR}\b")
_O_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:uur|u)\b")
_AT = re.compile(r"\b(?:om|at)\b")
# A time of day in the text: 9:30, 14.30, 14:00, 9am / 9 pm.
_HAS_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*(?:am|pm)\b", re.IGNORECASE)
_HAS_YEAR = re.compile(r"\b\d{4}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2}\b")
# A date without a year that passed this recently was meant for this year, by
# mistake: refused as past. Longer ago, it means next year ("5 jan" in December).
_RECENTLY = timedelta(days=45)


def _hour(word: str) -> int:
    return int(word) if word.isdigit() else _HOUR_WORDS[word]


def _spoken(text: str, today: date) -> str:
    """Spoken Dutch (and English) times and weekdays rewritten as dateparser
    reads them: ``half tien`` → ``9:30``, ``om 14 uur`` → ``14:00``,
    ``volgende week vrijdag`` → the date."""
    text = text.lower()
    text = _HALF.sub(lambda m: f"{(_hour(m[1]) - 1) or 12}:30", text)
    text = _QUARTER.sub(lambda m: f"{_hour(m[2])}:15" if m[1] == "over" else f"{(_hour(m[2]) - 1) or 12}:45", text)
    text = _O_CLOCK.sub(lambda m: f"{m[1]}:00", text)

    def next_week(m: re.Match[str]) -> str:
        monday = today + timedelta(days=7 - today.weekday())
        return (monday + timedelta(days=_WEEKDAYS[m[1]])).isoformat()

    def coming(m: re.Match[str]) -> str:
        ahead = (_WEEKDAYS[m[1]] - today.weekday()) % 7 or 7
        return (today + timedelta(days=ahead)).isoformat()

    text = _NEXT_WEEK_DAY.sub(next_week, text)
    text = _NEXT_DAY.sub(coming, text)
    return " ".join(_AT.sub(" ", text).split())


def parse_when(text: str, timezone: str, now: datetime, language: str = "en") -> datetime | WhenProblem:
    """The instant (aware, UTC) meant by ``text``, or why it cannot be used.

    The text must name a time of day and lie in the future. Numeric dates are
    day first in Dutch (``11-12`` is 11 December); ISO is read everywhere."""
    # dateparser is large; load it when the first date is read, not at start-up.
    from dateparser.date import DateDataParser

    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    settings: dict[str, object] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if language == "nl":
        settings["DATE_ORDER"] = "DMY"
    parser = DateDataParser(languages=[language, *(code for code in ("en", "nl") if code != language)],
                            settings=settings)
    cleaned = _spoken(" ".join(text.split()), local_now.date())
    data = parser.get_date_data(cleaned) if cleaned else None
    if data is None or data.date_obj is None:
        return WhenProblem("unreadable")
    if not _HAS_TIME.search(cleaned):
        return WhenProblem("no_time")
    read: datetime = data.date_obj
    local = read.replace(tzinfo=None, second=0, microsecond=0)
    if not _HAS_YEAR.search(cleaned) and local.year > local_now.year:
        this_year = _same_day_in(local, local_now.year)
        if this_year is not None and local_now - _RECENTLY <= this_year <= local_now:
            return WhenProblem("past", this_year.replace(tzinfo=zone).astimezone(UTC))
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    if moment <= now:
        return WhenProblem("past", moment)
    return moment


def _same_day_in(moment: datetime, year: int) -> datetime | None:
    try:
        return moment.replace(year=year)
    except ValueError:  # 29 February
        return None


def iso_example(now: datetime) -> str:
    """An ISO date a week ahead (``2026-12-11 09:30``): an example that is
    never in the past."""
    return f"{(now + timedelta(days=7)):%Y-%m-%d} 09:30"
