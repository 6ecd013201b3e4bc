"""Two bot processes on one SQLite file send each reminder and each digest
period exactly once (real processes, racing)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import FakeClock, console_on, console_settings, database_url_for

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("tick_worker.py")
# Monday 7 Dec 2026 09:00 Amsterdam: digest time, and 24 h before E1.
MOMENT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def _process(db: Path) -> list[dict[str, str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), database_url_for(db), MOMENT.isoformat(), "5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_two_processes_send_each_reminder_digest_and_pairing_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    settings = console_settings(db, digest_rooms=["console"], pairing="mon 09:00", pairing_weeks=1)
    async with console_on(db, settings=settings, clock=FakeClock()) as console:
        await console.say("!kc post Something | to digest", as_user="rene")
        await console.say("!kc event new Koffietafel | 2026-12-08 09:00 | Winkwaves | 5", as_user="rene")
        await console.say("!kc join E1", as_user="anna")
        await console.say("!kc join E1", as_user="piet")
        for name in ("anna", "piet", "sanne"):
            await console.say("!kc pair on", as_user=name)

    first, second = await asyncio.gather(_process(db), _process(db))
    sent = first + second
    reminders = sorted(m["to"] for m in sent if m["text"].startswith("Reminder: E1"))
    digests = [m for m in sent if m["text"].startswith("Weekly digest of Kenniscafé")]
    introductions = sorted(m["to"] for m in sent if "Coffee pairing: meet" in m["text"])
    assert reminders == ["console", "dm:anna", "dm:piet"]
    assert len(digests) == 1
    assert introductions == ["dm:anna", "dm:piet", "dm:sanne"]  # one three, introduced once
    assert len(sent) == 7
