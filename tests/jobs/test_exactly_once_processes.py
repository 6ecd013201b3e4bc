"""Bot processes sharing one database send each reminder, each digest period
and each pairing round exactly once (real processes, racing): two on one
SQLite file at one moment, three on PostgreSQL through a simulated week."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from storage.engine import Database
from tests.conftest import FakeClock, console_on, console_settings, database_url_for
from tests.jobs.week_worker import REMINDERS

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


WEEK_WORKER = Path(__file__).with_name("week_worker.py")
# Sunday 6 Dec 2026 21:00 in Amsterdam to Monday 14 Dec 11:00: two Mondays
# with a digest and a pairing round at 09:00, three coffee tables between.
WEEK_START, WEEK_END = datetime(2026, 12, 6, 20, 0, tzinfo=UTC), datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
WEEK_SECONDS = 25.0  # wall-clock seconds the simulated week takes


async def _week_process(url: str, origin: float) -> list[dict[str, str]]:
    speed = (WEEK_END - WEEK_START).total_seconds() / WEEK_SECONDS
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WEEK_WORKER), url, WEEK_START.isoformat(), WEEK_END.isoformat(), str(origin), str(speed),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, err = await asyncio.wait_for(process.communicate(), WEEK_SECONDS + 120)
    assert process.returncode == 0, err.decode()[-3000:]
    return [json.loads(line) for line in out.decode().splitlines()]


async def test_three_processes_on_postgresql_send_a_weeks_messages_exactly_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """Three bot processes share one PostgreSQL database for a simulated week,
    each knocking the jobs on its own: every reminder, digest and pairing
    introduction goes out once, none is missing."""
    settings = console_settings(tmp_path / "kc.db", postgres_url, digest_rooms=["console"],
                                pairing="mon 09:00", pairing_weeks=1, reminders=REMINDERS)
    async with console_on(tmp_path / "kc.db", settings=settings, clock=FakeClock(WEEK_START)) as console:
        await console.say("!kc post Last week's news | for the first digest", as_user="rene")
        for title, moment in (("Dinsdag", "2026-12-08 19:00"), ("Donderdag", "2026-12-10 12:00"),
                              ("Zaterdag", "2026-12-12 10:00")):
            assert "10 seats" in await console.say(f"!kc event new {title} | {moment} | Winkwaves | 10")
        for member, tables in (("anna", "E1 E3"), ("piet", "E1"), ("sanne", "E2 E3"), ("joost", "E3")):
            for table in tables.split():
                assert "You're in" in await console.say(f"!kc join {table}", as_user=member)
            await console.say("!kc pair on", as_user=member)
        await console.say("!kc digest on", as_user="piet")

    origin = time.time() + 8.0  # every process is up by then
    sent = [m for batch in await asyncio.gather(*(_week_process(postgres_url, origin) for _ in range(3)))
            for m in batch]
    def sent_on(kind: str, to: str, day: str) -> tuple[str, str, str]:
        return kind, to, f"2026-12-{day}"

    def kind(text: str) -> str:
        if text.startswith("Reminder: "):
            return "reminder " + text.split()[1]
        if text.startswith(("Weekly digest of", "A quiet week at")):
            return "digest"
        return "pairing" if "Coffee pairing: meet" in text else text

    got = sorted((kind(m["text"]), m["to"], m["at"][:10]) for m in sent)
    reminders = [sent_on(f"reminder E{number}", to, day)
                 for number, days, attendees in ((1, ("07", "08"), ("anna", "piet")), (2, ("09", "10"), ("sanne",)),
                                                 (3, ("11", "12"), ("anna", "sanne", "joost")))
                 for day in days for to in ("console", *(f"dm:{name}" for name in attendees))]
    digests = [sent_on("digest", to, day) for day in ("07", "14") for to in ("console", "dm:piet")]
    introductions = [sent_on("pairing", f"dm:{name}", day)
                     for day in ("07", "14") for name in ("anna", "piet", "sanne", "joost")]
    db = Database(postgres_url)
    async with db.read() as session:
        unsent = (await session.execute(text("SELECT status, key, last_error FROM outboxmessage"
                                             " WHERE status != 'sent'"))).all()
    await db.dispose()
    assert got == sorted(reminders + digests + introductions), unsent
