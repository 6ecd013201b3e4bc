"""A bot process for the exactly-once test: at a fixed time, knocks the jobs
(reminders, digest, pairing) a few times and prints every message it
delivers as a JSON line. Not a test."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from adapters.runtime import running_core
from bot.config import Settings
from storage.engine import sqlite_url_for_path
from tests.fakes import RecordingMessenger


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


async def main(target: str, moment: datetime, knocks: int) -> None:
    """Knock ``knocks`` times on the database ``target`` (a URL, or a SQLite file)."""
    settings = Settings.model_validate({
        "bot": {"database": target if "://" in target else sqlite_url_for_path(Path(target))},
        "communities": [{"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"],
                         "digest_rooms": ["console"], "pairing": "mon 09:00", "pairing_weeks": 1}],
    })
    async with running_core(settings, FixedClock(moment)) as core:
        core.attach(RecordingMessenger(
            "console", lambda where, text: print(json.dumps({"to": where, "text": text}), flush=True)))
        for _ in range(knocks):
            await asyncio.gather(core.bot.send_due_reminders(), core.bot.post_due_digests(),
                                 core.bot.hold_pairing_rounds())
        await core.deliverer.idle()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])))
