"""The scheduler knocks; stopping it never cuts a job off mid-transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jobs.scheduler import JobScheduler
from tests.conftest import console_on, console_settings


async def test_jobs_for_reminders_each_digest_and_a_catch_up(tmp_path: Path) -> None:
    async with console_on(tmp_path / "s.db") as console:
        scheduler = JobScheduler(console.bot, console.bot.communities)
        community_id = console.bot.communities[0].id
        assert sorted(scheduler.job_ids()) == sorted(["reminders", f"digest-{community_id}", "digest-catch-up"])


async def test_no_digest_job_when_the_digest_is_off(tmp_path: Path) -> None:
    settings = console_settings(tmp_path / "o.db", digest="off")
    async with console_on(tmp_path / "o.db", settings=settings) as console:
        assert "digest-1" not in JobScheduler(console.bot, console.bot.communities).job_ids()


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
