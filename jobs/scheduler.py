"""The scheduler only knocks: APScheduler fires ticks, the database decides.

A minute tick asks for due reminders; a cron trigger per community (in its
time zone) asks for the digest, and one knock at start-up catches up on a
digest whose moment passed while the bot was down. No job carries state:
what was sent is in the outbound ledger, so a restart, a missed tick or a
second process loses and doubles nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import Bot
from bot.domain import CommunityInfo
from bot.services.digest import DIGEST_GRACE

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A reminder tick that ran late is simply replaced by the next one: the
# database knows what is due, so there is nothing to catch up on.
REMINDER_TICK_GRACE_SECONDS = 30

Job = Callable[[], Awaitable[int]]


class JobScheduler:
    """APScheduler wired to the bot's jobs, stopped without cutting a job short."""

    def __init__(self, bot: Bot, communities: Sequence[CommunityInfo]) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False
        now = datetime.now(UTC)
        self._scheduler.add_job(
            self._run, IntervalTrigger(minutes=1), args=[bot.send_due_reminders], id="reminders",
            # Once right away: reminders that fell due while we were down go out late, once.
            next_run_time=now,
            coalesce=True, max_instances=1, misfire_grace_time=REMINDER_TICK_GRACE_SECONDS,
        )
        for community in communities:
            if community.digest_weekday is None or community.digest_time is None:
                continue
            self._scheduler.add_job(
                self._run,
                CronTrigger(day_of_week=_WEEKDAYS[community.digest_weekday], hour=community.digest_time.hour,
                            minute=community.digest_time.minute, timezone=community.timezone),
                args=[bot.post_due_digests], id=f"digest-{community.id}",
                # Coalesce: several missed firings are one digest. The grace matches
                # the core's, which is what really decides (by the ledger).
                coalesce=True, max_instances=1, misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
            )
        self._scheduler.add_job(self._run, args=[bot.post_due_digests], id="digest-catch-up", next_run_time=now)

    def job_ids(self) -> list[str]:
        """The scheduled jobs, for logs and tests."""
        return [job.id for job in self._scheduler.get_jobs()]

    def start(self) -> None:
        """Start knocking (inside the running event loop)."""
        self._scheduler.start()

    async def stop(self) -> None:
        """No new knocks; wait for a job in hand to finish its transaction."""
        self._stopping = True
        self._scheduler.pause()
        await asyncio.sleep(0)  # a job handed to the loop just now starts (and sees _stopping)
        await asyncio.gather(*self._running, return_exceptions=True)
        # Only now: shutting the executor down cancels whatever it still runs.
        self._scheduler.shutdown(wait=False)

    async def _run(self, job: Job) -> None:
        if self._stopping:
            return
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await job()
        finally:
            self._running.discard(task)
