"""Reading <when> as Dutch and English members type it: a table of
phrasings with the moment each must mean, on a fixed clock in
Europe/Amsterdam the week summer time starts (29 March 2026)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dates import WhenProblem, parse_when

ZONE = "Europe/Amsterdam"
NOW = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)  # Wednesday 10:00 CET

READ = [
    # Dutch: numeric dates are day first
    ("nl", "11-04-2026 9:30", "2026-04-11 09:30 +0200"),
    ("nl", "11-04 9:30", "2026-04-11 09:30 +0200"),
    ("nl", "01-04-26 9:00", "2026-04-01 09:00 +0200"),
    ("nl", "31-12 23:00", "2026-12-31 23:00 +0100"),
    ("nl", "volgende dinsdag 14:00", "2026-03-31 14:00 +0200"),
    ("nl", "komende woensdag 20:00", "2026-04-01 20:00 +0200"),
    ("nl", "volgende week vrijdag 10:00", "2026-04-03 10:00 +0200"),
    ("nl", "volgende week maandag om 9 uur", "2026-03-30 09:00 +0200"),
    ("nl", "vrijdag om 14 uur", "2026-03-27 14:00 +0100"),
    ("nl", "vrijdag om 9 uur", "2026-03-27 09:00 +0100"),
    ("nl", "overmorgen half tien", "2026-03-27 09:30 +0100"),
    ("nl", "donderdag kwart voor tien", "2026-03-26 09:45 +0100"),
    ("nl", "vrijdag kwart over negen", "2026-03-27 09:15 +0100"),
    ("nl", "morgen 10:00", "2026-03-26 10:00 +0100"),
    ("nl", "vandaag 17:00", "2026-03-25 17:00 +0100"),
    ("nl", "in 3 dagen 10:00", "2026-03-28 10:00 +0100"),
    ("nl", "vrijdag 9:30", "2026-03-27 09:30 +0100"),
    ("nl", "vrijdag 14.30", "2026-03-27 14:30 +0100"),
    ("nl", "maandag 9:30", "2026-03-30 09:30 +0200"),  # after the change to summer time
    ("nl", "zondag 12:00", "2026-03-29 12:00 +0200"),  # the day of the change
    ("nl", "za 28 mrt 10:00", "2026-03-28 10:00 +0100"),
    ("nl", "28 maart 10:00", "2026-03-28 10:00 +0100"),
    ("nl", "1 april 2026 19:00", "2026-04-01 19:00 +0200"),
    ("nl", "5 januari 10:00", "2027-01-05 10:00 +0100"),  # long past this year: next year
    ("nl", "2026-04-01 19:00", "2026-04-01 19:00 +0200"),
    ("nl", "friday 9:30", "2026-03-27 09:30 +0100"),  # English in a Dutch community
    # English
    ("en", "friday 9:30", "2026-03-27 09:30 +0100"),
    ("en", "next tuesday 14:00", "2026-03-31 14:00 +0200"),
    ("en", "next week friday 10:00", "2026-04-03 10:00 +0200"),
    ("en", "tomorrow 10:00", "2026-03-26 10:00 +0100"),
    ("en", "today 18:00", "2026-03-25 18:00 +0100"),
    ("en", "monday 9am", "2026-03-30 09:00 +0200"),
    ("en", "sunday 3pm", "2026-03-29 15:00 +0200"),
    ("en", "saturday at 10:00", "2026-03-28 10:00 +0100"),
    ("en", "in 2 days 18:00", "2026-03-27 18:00 +0100"),
    ("en", "april 11 9:30", "2026-04-11 09:30 +0200"),
    ("en", "11 April 2026 09:30", "2026-04-11 09:30 +0200"),
    ("en", "04/11 9:30", "2026-04-11 09:30 +0200"),  # month first in English
    ("en", "January 5 10:00", "2027-01-05 10:00 +0100"),
    ("en", "2026-04-11 09:30", "2026-04-11 09:30 +0200"),
    ("en", "vrijdag 9:30", "2026-03-27 09:30 +0100"),  # Dutch in an English community
]

REFUSED = [
    ("nl", "11-03 9:30", "past", "2026-03-11 09:30 +0100"),  # this year's, two weeks ago: not next year's
    ("en", "03/11 9:30", "past", "2026-03-11 09:30 +0100"),
    ("nl", "vandaag 9:00", "past", "2026-03-25 09:00 +0100"),
    ("en", "yesterday 10:00", "past", "2026-03-24 10:00 +0100"),
    ("nl", "vrijdag", "no_time", None),
    ("nl", "volgende week vrijdag", "no_time", None),
    ("nl", "ooit", "unreadable", None),
    ("en", "someday", "unreadable", None),
]


def shown(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M %z")


@pytest.mark.parametrize(("language", "text", "expected"), READ)
def test_a_phrasing_means_the_moment_a_member_meant(language: str, text: str, expected: str) -> None:
    moment = parse_when(text, ZONE, NOW, language)
    assert not isinstance(moment, WhenProblem), moment
    assert shown(moment) == expected


@pytest.mark.parametrize(("language", "text", "reason", "read_as"), REFUSED)
def test_a_past_or_unreadable_date_is_refused_saying_how_it_was_read(
        language: str, text: str, reason: str, read_as: str | None) -> None:
    problem = parse_when(text, ZONE, NOW, language)
    assert isinstance(problem, WhenProblem)
    assert problem.reason == reason
    assert (shown(problem.moment) if problem.moment else None) == read_as


def test_there_are_at_least_forty_phrasings() -> None:
    assert len(READ) + len(REFUSED) >= 40
