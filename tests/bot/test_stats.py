"""Stats for managers: a community's weeks at a glance, attendance included
(organizers mark who did not come)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import START, FakeClock, Transcript, console_on, console_settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START - timedelta(days=7))  # Saturday 21 November


@pytest.fixture
async def console(db_path: Path, database_url: str, clock: FakeClock) -> AsyncIterator[Transcript]:
    settings = console_settings(db_path, database_url)  # SQLite and PostgreSQL count alike
    async with console_on(db_path, clock=clock, settings=settings) as running:
        yield running


async def test_stats_per_week_with_attendance_and_top_contributors(console: Transcript, clock: FakeClock) -> None:
    say = console.say
    await say("!kc event new Koffie | 2026-11-21 18:00 | Utrecht | 10", as_user="rene")
    await say("!kc join E1", as_user="anna")
    await say("!kc join E1", as_user="piet")
    await say("!kc post Koffie zetten | met een V60 #koffie", as_user="anna")
    await say("!kc comment #1 liever een moka", as_user="piet")
    assert "E1 has not started yet: mark no-shows afterwards." in await say("!kc event noshow E1 piet", as_user="rene")
    clock.advance(timedelta(days=1))
    assert "Noted: piet did not come to E1. 1 came, 1 did not." in await say("!kc event noshow E1 @piet")
    assert "Noted: piet came to E1 after all. 2 came, 0 did not." in await say("!kc event noshow E1 piet undo")
    await say("!kc event noshow E1 piet")
    clock.advance(timedelta(days=6))  # Saturday 28 November
    await say("!kc post Filters | papier of metaal", as_user="sanne")
    await say("/react " + console.last_ref() + " 👍", as_user="anna")
    await say("!kc post Bonen | licht gebrand", as_user="sanne")

    stats = await say("!kc stats 2", as_user="rene")
    assert "Activity over the last 2 weeks, per week:" in stats
    assert ("Week of 16 Nov: 1 post · 1 comment · 0 reactions · 2 active (3 new) · 2 sign-ups · 1 came, 1 no-show"
            in stats)
    assert "Week of 23 Nov: 2 posts · 0 comments · 1 reaction · 2 active (1 new) · 0 sign-ups" in stats
    assert "Top contributors: sanne (2 posts), anna (1 post), piet (1 comment)." in stats
    assert len(stats.splitlines()) <= 5, "compact enough for a chat message"


async def test_stats_and_no_shows_are_for_the_staff_and_refuse_bad_input(console: Transcript) -> None:
    say = console.say
    assert "Only managers can use `!kc stats`. Ask a manager (rene)" in await say("!kc stats", as_user="anna")
    assert "Only organizers can use `!kc event noshow`." in await say("!kc event noshow E1 piet", as_user="anna")
    for bad in ("0", "27", "many", "-3", "9" * 40):
        assert "is not a number of weeks from 1 to 26." in await say(f"!kc stats {bad}", as_user="rene")
    assert "There is no coffee table E9." in await say("!kc event noshow E9 piet")
    await say("!kc event new Koffie | 2026-11-21 18:00 | Utrecht")
    assert "Missing <member>." in await say("!kc event noshow E1")
    assert "Activity over the last 4 weeks, per week:" in await say("!kc statistiek")
    assert "Week of 2 Nov: 0 posts · 0 comments · 0 reactions · 0 active (0 new) · 0 sign-ups" in await say("!kc stats")


async def test_no_show_only_for_someone_who_was_going(console: Transcript, clock: FakeClock) -> None:
    say = console.say
    await say("!kc event new Koffie | 2026-11-21 18:00 | Utrecht | 1", as_user="rene")
    await say("!kc join E1", as_user="anna")
    await say("!kc join E1", as_user="piet")  # waitlisted
    clock.advance(timedelta(days=1))
    assert "piet was not on the going list of E1." in await say("!kc event noshow E1 piet", as_user="rene")
    assert 'I don\'t know "nemo"' in await say("!kc event noshow E1 nemo")
