"""A bot process for the simulated-week test: its clock runs a week in a few
seconds (every process maps the same wall-clock moment to the same simulated
one, so they race), it knocks the jobs as the scheduler would — reminders,
digests, pairing rounds — until the week is over, and prints every message it
delivers as a JSON line. Not a test."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import datetime, timedelta

from adapters.runtime import running_core
from bot.config import Settings
from storage.repositories import outbox
from tests.fakes import RecordingMessenger

# A reminder is worth sending until its table starts. In a week run in
# seconds, "1h before" would leave a fraction of a second to deliver it.
REMINDERS = ["24h", "6h"]


class FastClock:
    """Simulated time: ``start`` at wall-clock ``origin``, ``speed`` times faster."""

    def __init__(self, start: datetime, origin: float, speed: float) -> None:
        self.start, self.origin, self.speed = start, origin, speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.speed)


async def main(url: str, start: datetime, end: datetime, origin: float, speed: float) -> None:
    """Knock the jobs on the database at ``url`` from ``start`` to ``end`` (simulated)."""
    settings = Settings.model_validate({
        "bot": {"database": url},
        "communities": [{"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"],
                         "digest_rooms": ["console"], "pairing": "mon 09:00", "pairing_weeks": 1,
                         "reminders": REMINDERS}],
    })
    clock = FastClock(start, origin, speed)
    # A delivery lease is meant to outlast a send by far (60 s); on a clock
    # this fast that would be milliseconds, and another process would take
    # over rows that are being sent. Keep it 60 s of wall-clock time.
    outbox.LEASE = timedelta(seconds=60 * speed)
    async with running_core(settings, clock) as core:
        core.attach(RecordingMessenger(
            "console", lambda where, text: print(json.dumps({"to": where, "text": text, "at": clock.now().isoformat()}),
                                                 flush=True)))
        await asyncio.sleep(max(0.0, origin - time.time()))
        while clock.now() < end:
            await asyncio.gather(core.bot.send_due_reminders(), core.bot.post_due_digests(),
                                 core.bot.hold_pairing_rounds())
            # Not in step with the others: knocks land at different moments.
            await asyncio.sleep(random.uniform(0.0, 0.05))
        await core.deliverer.idle()


if __name__ == "__main__":
    url, start, end, origin, speed = sys.argv[1:]
    asyncio.run(main(url, datetime.fromisoformat(start), datetime.fromisoformat(end), float(origin), float(speed)))
