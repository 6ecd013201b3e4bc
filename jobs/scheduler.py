"""The scheduler only knocks: APScheduler fires ticks, the database decides.

A minute tick asks for due reminders; a cron trigger per community (in its
time zone) asks for the digest, and one knock at start-up catches up on a
digest whose moment passed while the bot was down. No job carries state:
what was sent is in the outbound ledger, so a restart, a missed tick or a
second process loses and doubles nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def build_scheduler(bot: Bot, communities: Sequence[CommunityInfo]) -> AsyncIOScheduler:
    """A scheduler with the reminder tick and each community's digest trigger."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        bot.send_due_reminders, IntervalTrigger(minutes=1), id="reminders",
        # Run once right away: reminders that fell due while we were down go out late, once.
        next_run_time=datetime.now(UTC),
        coalesce=True, max_instances=1, misfire_grace_time=REMINDER_TICK_GRACE_SECONDS,
    )
    for community in communities:
        if community.digest_weekday is None or community.digest_time is None:
            continue
        scheduler.add_job(
            bot.post_due_digests,
            CronTrigger(day_of_week=_WEEKDAYS[community.digest_weekday], hour=community.digest_time.hour,
                        minute=community.digest_time.minute, timezone=community.timezone),
            id=f"digest-{community.id}",
            # Coalesce: several missed firings are one digest. The grace matches
            # the core's, which is what really decides (by the ledger).
            coalesce=True, max_instances=1, misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
        )
    scheduler.add_job(bot.post_due_digests, id="digest-catch-up", next_run_time=datetime.now(UTC))
    return scheduler
