"""Reminders before coffee tables: at the configured offsets, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import FakeClock, Transcript, console_on, console_settings

# Event E1: Friday 11 December 2026, 09:30 in Amsterdam (08:30 UTC).
START = datetime(2026, 12, 11, 8, 30, tzinfo=UTC)
NEW_E1 = "!kc event new Koffietafel | 2026-12-11 09:30 | Winkwaves | 10"


def reminders(output: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in output.splitlines() if "Reminder:" in line]


async def tick(console: Transcript) -> str:
    start = len(console.out.getvalue())
    await console.bot.send_due_reminders()
    await console.delivered()
    return console.out.getvalue()[start:]


async def opened(console: Transcript) -> None:
    await console.say(NEW_E1, as_user="rene")
    await console.say("!kc join E1", as_user="anna")
    await console.say("!kc join E1", as_user="piet")


async def test_reminders_at_each_offset_to_attendees_and_the_room_once(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "r.db", clock=clock) as console:
        await opened(console)
        clock.current = START - timedelta(hours=24, minutes=1)
        assert reminders(await tick(console)) == []
        clock.current = START - timedelta(hours=24)
        sent = reminders(await tick(console))
        text = "Reminder: E1 Koffietafel starts in 24 hours — Fri 11 Dec 09:30, Winkwaves."
        assert sorted(sent) == [text, text, text]  # anna, piet, and the announcement room
        out = console.out.getvalue()
        assert f"bot → anna (DM): {text}" in out and f"bot → piet (DM): {text}" in out
        assert f"bot: {text}" in out
        clock.advance(timedelta(minutes=1))
        assert reminders(await tick(console)) == []
        clock.current = START - timedelta(hours=1)
        assert len(reminders(await tick(console))) == 3
        assert reminders(await tick(console)) == []


async def test_offsets_come_from_the_community_config(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = console_settings(tmp_path / "c.db", reminders=["2d", "30m"])
    async with console_on(tmp_path / "c.db", clock=clock, settings=settings) as console:
        assert "Reminders 2 days and 30 minutes before." in "".join([await console.say(NEW_E1), await console.say("!kc join E1")])
        clock.current = START - timedelta(days=2)
        assert reminders(await tick(console))[0].startswith("Reminder: E1 Koffietafel starts in 2 days —")
        clock.current = START - timedelta(hours=24)
        assert reminders(await tick(console)) == []
        clock.current = START - timedelta(minutes=30)
        assert reminders(await tick(console))[0].startswith("Reminder: E1 Koffietafel starts in 30 min")


async def test_a_dst_change_does_not_shift_reminders(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "dst.db", clock=clock) as console:
        # Summer time starts on Sunday 28 March 2027; the table is on Monday at 09:30 CEST (07:30 UTC).
        await console.say("!kc event new Lente | 2027-03-29 09:30 | Hier", as_user="rene")
        await console.say("!kc join E1", as_user="anna")
        clock.current = datetime(2027, 3, 28, 7, 29, tzinfo=UTC)
        assert reminders(await tick(console)) == []
        clock.current = datetime(2027, 3, 28, 7, 30, tzinfo=UTC)
        assert reminders(await tick(console))[0] == "Reminder: E1 Lente starts in 24 hours — Mon 29 Mar 09:30, Hier."


async def test_a_moved_event_gets_new_reminders_and_no_duplicate(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "m.db", clock=clock) as console:
        await opened(console)
        clock.current = START - timedelta(hours=24)
        assert len(reminders(await tick(console))) == 3
        clock.advance(timedelta(hours=1))
        await console.say("!kc event edit E1 when 2026-12-12 09:30", as_user="rene")
        assert reminders(await tick(console)) == []  # the old time's 24 h reminder is not repeated
        clock.current = START + timedelta(days=1) - timedelta(hours=24)
        assert reminders(await tick(console))[0] == "Reminder: E1 Koffietafel starts in 24 hours — Sat 12 Dec 09:30, Winkwaves."


async def test_a_cancelled_event_sends_none(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "x.db", clock=clock) as console:
        await opened(console)
        await console.say("!kc event cancel E1", as_user="rene")
        for hours in (24, 1):
            clock.current = START - timedelta(hours=hours)
            assert reminders(await tick(console)) == []


async def test_a_reminder_missed_while_down_is_sent_late_once(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "late.db", clock=clock) as console:
        await opened(console)
    clock.current = START - timedelta(hours=20)  # the bot was down at the 24 h mark
    async with console_on(tmp_path / "late.db", clock=clock) as restarted:
        sent = reminders(await tick(restarted))
        assert sent[0] == "Reminder: E1 Koffietafel starts in 20 hours — Fri 11 Dec 09:30, Winkwaves."
        assert len(sent) == 3
        assert reminders(await tick(restarted)) == []


async def test_when_both_were_missed_only_the_latest_is_sent(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "both.db", clock=clock) as console:
        await opened(console)
        clock.current = START - timedelta(minutes=30)
        sent = reminders(await tick(console))
        assert sent == ["Reminder: E1 Koffietafel starts in 30 minutes — Fri 11 Dec 09:30, Winkwaves."] * 3
        clock.current = START + timedelta(minutes=5)
        assert reminders(await tick(console)) == []


async def test_no_reminder_after_the_start(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "gone.db", clock=clock) as console:
        await opened(console)
        clock.current = START + timedelta(minutes=1)
        assert reminders(await tick(console)) == []


async def test_a_table_opened_shortly_before_gets_only_the_reminders_still_ahead(tmp_path: Path) -> None:
    clock = FakeClock(START - timedelta(hours=3))
    async with console_on(tmp_path / "short.db", clock=clock) as console:
        await opened(console)
        assert reminders(await tick(console)) == []  # no "24 h before" three hours before
        clock.current = START - timedelta(hours=1)
        assert len(reminders(await tick(console))) == 3
