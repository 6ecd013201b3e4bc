"""The scheduler only knocks: ticks fire, the database decides.

A minute tick asks for due reminders; a cron trigger per community (in its
time zone, APScheduler) asks for the digest, and one knock at start-up
catches up on a digest whose moment passed while the bot was down; coffee
pairing rounds are knocked the same way; a slow
tick prunes what need not be kept. No job carries state: what was sent is
in the outbound ledger, so a restart, a missed tick or a second process
loses and doubles nothing.

The minute tick counts monotonic time, not the wall clock: when the clock
is set back an hour, the knocks go on every minute (an interval trigger on
the wall clock would wait out that hour). Whether a reminder is due is then
read from the wall clock, as it should be.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, time

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import Bot
from bot.domain import CommunityInfo
from bot.services.digest import DIGEST_GRACE
from bot.services.pairing import ROUND_GRACE

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REMINDER_TICK_SECONDS = 60.0
PRUNE_TICK_SECONDS = 6 * 3600.0
# New links get their page titles within about this long (when link_titles is on).
LINK_TITLES_TICK_SECONDS = 30.0

Job = Callable[[], Awaitable[int]]
log = logging.getLogger(__name__)


class JobScheduler:
    """APScheduler wired to the bot's jobs, stopped without cutting a job short."""

    def __init__(self, bot: Bot, communities: Sequence[CommunityInfo], *,
                 reminder_seconds: float = REMINDER_TICK_SECONDS) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False
        # Once right away, then every minute: reminders that fell due while we
        # were down go out late, once.
        self._ticks: dict[str, tuple[float, Job]] = {
            "reminders": (reminder_seconds, bot.send_due_reminders),
            "prune": (PRUNE_TICK_SECONDS, bot.prune),
        }
        if bot.page_titles is not None:
            self._ticks["link-titles"] = (LINK_TITLES_TICK_SECONDS, bot.fetch_link_titles)
        self._tickers: list[asyncio.Task[None]] = []
        now = datetime.now(UTC)
        for community in communities:
            # Coalesce: several missed firings are one digest or round. The grace
            # matches the core's, which is what really decides (by the ledger).
            self._weekly(community, community.digest_weekday, community.digest_time, bot.post_due_digests,
                         f"digest-{community.id}", int(DIGEST_GRACE.total_seconds()))
            self._weekly(community, community.pairing_weekday, community.pairing_time, bot.hold_pairing_rounds,
                         f"pairing-{community.id}", int(ROUND_GRACE.total_seconds()))
        self._scheduler.add_job(self._run, args=[bot.post_due_digests], id="digest-catch-up", next_run_time=now)
        self._scheduler.add_job(self._run, args=[bot.hold_pairing_rounds], id="pairing-catch-up", next_run_time=now)

    def _weekly(self, community: CommunityInfo, weekday: int | None, at: time | None, job: Job,
                job_id: str, grace_seconds: int) -> None:
        """A knock on ``weekday`` at ``at`` in the community's zone (none when off)."""
        if weekday is None or at is None:
            return
        self._scheduler.add_job(
            self._run,
            CronTrigger(day_of_week=_WEEKDAYS[weekday], hour=at.hour, minute=at.minute, timezone=community.timezone),
            args=[job], id=job_id, coalesce=True, max_instances=1, misfire_grace_time=grace_seconds,
        )

    def job_ids(self) -> list[str]:
        """The scheduled jobs, for logs and tests."""
        return [*self._ticks, *(job.id for job in self._scheduler.get_jobs())]

    def start(self) -> None:
        """Start knocking (inside the running event loop)."""
        self._scheduler.start()
        self._tickers = [asyncio.ensure_future(self._every(seconds, job)) for seconds, job in self._ticks.values()]

    async def _every(self, seconds: float, job: Job) -> None:
        """Knock now, then every ``seconds`` of monotonic time (asyncio's clock)."""
        while not self._stopping:
            await self._run(job)
            if not self._stopping:
                await asyncio.sleep(seconds)

    async def stop(self) -> None:
        """No new knocks; wait for a job in hand to finish its transaction."""
        self._stopping = True
        for ticker in self._tickers:
            if ticker not in self._running:
                ticker.cancel()
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
        except Exception:
            log.exception("a scheduled job failed; the next knock tries again")
        finally:
            self._running.discard(task)
