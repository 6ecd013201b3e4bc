"""The scheduler knocks; stopping it never cuts a job off mid-transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs.scheduler import JobScheduler
from tests.conftest import console_on, console_settings


async def test_jobs_for_reminders_each_digest_and_pairing_and_catch_ups(tmp_path: Path) -> None:
    async with console_on(tmp_path / "s.db") as console:
        scheduler = JobScheduler(console.bot, console.bot.communities)
        community_id = console.bot.communities[0].id
        assert sorted(scheduler.job_ids()) == sorted(["reminders", "prune", f"digest-{community_id}",
                                                      "digest-catch-up", f"pairing-{community_id}",
                                                      "pairing-catch-up"])


async def test_digest_off_keeps_pairing_and_pairing_off_keeps_the_digest(tmp_path: Path) -> None:
    settings = console_settings(tmp_path / "o.db", digest="off")
    async with console_on(tmp_path / "o.db", settings=settings) as console:
        jobs = JobScheduler(console.bot, console.bot.communities).job_ids()
        assert "digest-1" not in jobs and "pairing-1" in jobs
    settings = console_settings(tmp_path / "p.db", pairing="off")
    async with console_on(tmp_path / "p.db", settings=settings) as console:
        jobs = JobScheduler(console.bot, console.bot.communities).job_ids()
        assert "digest-1" in jobs and "pairing-1" not in jobs


async def test_stop_waits_for_the_job_in_hand(tmp_path: Path) -> None:
    async with console_on(tmp_path / "w.db") as console:
        finished: list[str] = []
        original = console.bot.send_due_reminders

        async def slow_reminders() -> int:
            await asyncio.sleep(0.2)
            finished.append("reminders")
            return await original()

        console.bot.send_due_reminders = slow_reminders  # type: ignore[method-assign]
        scheduler = JobScheduler(console.bot, console.bot.communities)
        scheduler.start()
        await asyncio.sleep(0.05)  # the start-up knock is under way
        await scheduler.stop()
        assert finished == ["reminders"]


async def test_setting_the_clock_back_an_hour_does_not_stop_the_knocks(tmp_path: Path) -> None:
    import time_machine

    async with console_on(tmp_path / "jump.db") as console:
        knocks: list[float] = []

        async def reminders() -> int:
            knocks.append(asyncio.get_running_loop().time())
            return 0

        console.bot.send_due_reminders = reminders  # type: ignore[method-assign]
        scheduler = JobScheduler(console.bot, console.bot.communities, reminder_seconds=0.1)
        async def knocked(count: int) -> None:
            # Waited for, not slept for: a loaded machine may take longer than 0.1 s a tick.
            async with asyncio.timeout(10):
                while len(knocks) < count:
                    await asyncio.sleep(0.01)

        with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
            scheduler.start()
            await knocked(3)
            before = len(knocks)
            traveller.shift(timedelta(hours=-1))  # the wall clock is set back an hour
            await knocked(before + 3)  # still knocking, every tick
            await scheduler.stop()
    gaps = [later - earlier for earlier, later in zip(knocks[before - 1:], knocks[before:])]
    assert max(gaps) < 5  # no knock waited for the wall clock to catch up an hour


async def test_old_inbound_event_ids_are_forgotten(tmp_path: Path) -> None:
    from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
    from tests.conftest import FakeClock

    clock = FakeClock()
    async with console_on(tmp_path / "prune.db", clock=clock) as console:
        room = RoomRef("console", "console")
        message = MessageReceived(Actor("console", "anna", "anna"), MessageRef(room, "x1"), "!kc help", event_id="ev1")
        await console.bot.handle(message)
        assert await console.bot.prune() == 0  # still within the redelivery window
        clock.advance(timedelta(days=3))
        assert await console.bot.prune() == 1
