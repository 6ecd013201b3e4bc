"""A community configured in Dutch is answered in Dutch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import FakeClock, console_on, console_settings


async def test_dutch_community_gets_dutch_replies(tmp_path: Path) -> None:
    settings = console_settings(tmp_path / "nl.db", language="nl")
    async with console_on(tmp_path / "nl.db", settings=settings) as nl:
        text = "".join([
            await nl.say("!kc post Koffie | lekker #bonen"),
            await nl.say("!kc reageer #1 Mee eens"),
            await nl.say("!kc toon #1"),
            await nl.say("!kc zoek thee"),
            await nl.say("!kc afmeldn E1"),
        ])
    assert "Bewaard: #1 “Koffie” · #bonen" in text
    assert "Reactie toegevoegd aan #1 (1 reactie)" in text
    assert "#1 Koffie — door rene," in text
    assert "Niets gevonden voor “thee”" in text
    assert 'Onbekend commando "afmeldn". Bedoel je `afmelden`?' in text


async def test_a_member_chooses_their_own_language(tmp_path: Path) -> None:
    """In a Dutch community, anna switches to English: her answers, her
    private messages and her reminders are English; the room stays Dutch."""
    settings, clock = console_settings(tmp_path / "own.db", language="nl"), FakeClock()
    async with console_on(tmp_path / "own.db", settings=settings, clock=clock) as nl:
        assert "From now on I write to you in English." in await nl.say("!kc ik taal engels", as_user="anna")
        await nl.say("!kc event nieuw Lunch | 2026-12-11 12:00 | Kantine | 1", as_user="rene")
        assert "Je bent aangemeld voor E1 (1/1)." in await nl.say("!kc aanmelden E1", as_user="piet")
        waiting = await nl.say("!kc aanmelden E1", as_user="anna")
        assert "E1 is full; you're number 1 on the waitlist." in waiting
        moved = await nl.say("!kc afmelden E1", as_user="piet")
        assert "Je bent afgemeld voor E1" in moved  # piet reads Dutch
        assert "bot → anna (DM): A seat opened up: you're in for E1 Lunch — Fri 11 Dec 12:00, Kantine (1/1)." in moved
        assert "Language: English." in await nl.say("!kc me", as_user="anna")
        clock.current = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)  # a day before, in Amsterdam
        await nl.bot.send_due_reminders()
        await nl.delivered()
        out = nl.out.getvalue()
        assert "bot → anna (DM): Reminder: E1 Lunch starts in 24 hours — Fri 11 Dec 12:00, Kantine." in out
        assert "bot: Herinnering: E1 Lunch begint over 24 uur — vr 11 dec 12:00, Kantine." in out
        back = await nl.say("!kc me language -", as_user="anna")
        assert "Vanaf nu schrijf ik je in de taal van de community, het Nederlands." in back


async def test_an_unknown_language_is_refused_with_the_choices(tmp_path: Path) -> None:
    async with console_on(tmp_path / "lang.db") as en:
        refused = await en.say("!kc me language klingon")
        assert 'I don\'t speak "klingon". Choose one of en (English), nl (Dutch), or - for the community\'s language.' \
            in refused
        assert "Usage" not in refused
        assert "Missing <language>." in await en.say("!kc me language")
        assert "Vanaf nu schrijf ik je in het Nederlands." in await en.say("!kc me language NL")
        assert "Onbekend commando" in await en.say("!kc xyzzy")


async def test_dates_are_read_the_community_way_whatever_the_reader_language(tmp_path: Path) -> None:
    """An English-reading organizer in a Dutch community: 11-12 is still 11
    December (the community's convention); the room's announcement is Dutch,
    the details asked for are English."""
    settings = console_settings(tmp_path / "dates.db", language="nl")
    async with console_on(tmp_path / "dates.db", settings=settings) as nl:
        await nl.say("!kc me language en")
        assert "E1 Borrel — vr 11 dec 09:30, Hier" in await nl.say("!kc event new Borrel | 11-12 9:30 | Hier")
        assert "E1 Borrel — Fri 11 Dec 09:30 (Europe/Amsterdam)" in await nl.say("!kc event E1")
