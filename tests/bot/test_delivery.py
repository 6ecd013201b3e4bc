"""Delivery from the outbox: nothing lost, nothing sent twice, one
recipient's failure never another's, and every failure on record."""

from __future__ import annotations

import asyncio
import itertools
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.runtime import Core, running_core
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.outgoing import DeliveryFailed, Kind, Outgoing, Queued
from bot.ports import Clock, SystemClock
from bot.richtext import document, paragraph, render_plain
from storage.repositories.outbox import SqlOutbox
from tests.conftest import FakeClock, console_settings, database_url_for
from tests.fakes import RecordingMessenger

ROOT = Path(__file__).resolve().parents[2]
ROOM = RoomRef("console", "console")
E1_STARTS = datetime(2026, 12, 11, 8, 30, tzinfo=UTC)
_ids = itertools.count(1)


def said(user: str, text: str, event_id: str | None = None) -> MessageReceived:
    n = next(_ids)
    return MessageReceived(Actor("console", user, user), MessageRef(ROOM, f"t{n}"), text,
                           event_id=event_id or f"ev{n}")


@asynccontextmanager
async def core_on(db: Path, clock: Clock | None = None) -> AsyncIterator[tuple[Core, RecordingMessenger]]:
    async with running_core(console_settings(db), clock or FakeClock()) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        yield core, messenger


async def test_a_reminder_reaches_everyone_whose_dm_works_and_the_failure_is_listed(tmp_path: Path) -> None:
    db, clock = tmp_path / "r.db", FakeClock()
    async with core_on(db, clock) as (core, messenger):
        await core.handle_and_deliver(said("rene", "!kc event new Koffietafel | 2026-12-11 09:30 | Winkwaves | 10"))
        for name in ("anna", "piet", "sanne", "joost", "lotte"):
            await core.handle_and_deliver(said(name, "!kc join E1"))
        messenger.fail["dm:piet"] = DeliveryFailed("Matrix: M_FORBIDDEN piet does not accept DMs", permanent=True)
        messenger.sent.clear()
        clock.current = E1_STARTS - timedelta(hours=24)
        assert await core.bot.send_due_reminders() == 1
        await core.deliverer.idle()
    reached = sorted(where for where, text in messenger.sent if text.startswith("Reminder: E1"))
    assert reached == ["console", "dm:anna", "dm:joost", "dm:lotte", "dm:sanne"]
    status, listing = await kenniscafe("outbox", "--failed", "--db", database_url_for(db))
    assert status == 0, listing
    assert "0 waiting, 1 failed" in listing
    assert "failed   console direct to piet" in listing
    assert "M_FORBIDDEN piet does not accept DMs" in listing
    assert "Reminder: E1 Koffietafel starts in 24 h" in listing


async def test_a_failed_row_sent_again_by_the_operator(tmp_path: Path) -> None:
    db = tmp_path / "again.db"
    async with core_on(db, SystemClock()) as (core, messenger):
        messenger.fail["console"] = DeliveryFailed("Slack: channel_not_found", permanent=True)
        await core.handle_and_deliver(said("anna", "!kc help"))
        assert messenger.sent == []
        (failed,) = await SqlOutbox(core.db).entries(["failed"])
        del messenger.fail["console"]  # the operator fixed the channel
        status, retried = await kenniscafe("outbox", "--db", database_url_for(db), "retry", str(failed.id))
        assert status == 0 and f"#{failed.id} is queued again" in retried
        await eventually(lambda: any(text.startswith("Commands") for _, text in messenger.sent))


async def test_a_rate_limit_is_waited_out_and_the_message_sent_once(tmp_path: Path) -> None:
    async with core_on(tmp_path / "429.db") as (core, messenger):
        messenger.fail["console"] = DeliveryFailed("ratelimited", permanent=False, retry_after=0.4)
        began = asyncio.get_running_loop().time()
        stored = await core.bot.handle(said("anna", "!kc post Eén | keer"))
        await asyncio.sleep(0.1)
        del messenger.fail["console"]
        assert await core.deliverer.settled([row.id for row in stored]) == ["done"]
        waited = asyncio.get_running_loop().time() - began
    assert waited >= 0.4
    assert [text for _, text in messenger.sent] == ["Saved #1 “Eén”"]


async def test_one_busy_room_holds_up_no_other_and_stays_in_order(tmp_path: Path) -> None:
    async with core_on(tmp_path / "lanes.db") as (core, messenger):
        messenger.fail["console"] = DeliveryFailed("timeout", permanent=False, retry_after=0.5)
        first = await core.bot.handle(said("anna", "!kc post Eerste | 1"))
        second = await core.bot.handle(said("anna", "!kc post Tweede | 2"))
        dm = await store(core, Outgoing("console", Kind.DIRECT, document(paragraph("Psst")), user_id="piet"))
        assert await core.deliverer.settled([row.id for row in dm]) == ["done"]
        assert messenger.sent == [("dm:piet", "Psst")]  # the DM went while the room waited
        del messenger.fail["console"]
        await core.deliverer.settled([row.id for row in first + second])
    assert [text for _, text in messenger.sent[1:]] == ["Saved #1 “Eerste”", "Saved #2 “Tweede”"]


async def test_a_message_past_its_time_is_expired_not_sent(tmp_path: Path) -> None:
    clock = FakeClock()
    async with core_on(tmp_path / "exp.db", clock) as (core, messenger):
        messenger.fail["console"] = DeliveryFailed("connection refused", permanent=False, retry_after=0.2)
        stored = await core.bot.handle(said("anna", "!kc help"))
        await asyncio.sleep(0.1)
        clock.advance(timedelta(hours=25))  # the default expiry is 24 h
        assert await core.deliverer.settled([row.id for row in stored]) == ["done"]
        (expired,) = await SqlOutbox(core.db).entries(["expired"])
    assert messenger.sent == []
    assert "connection refused" in (expired.last_error or "")


async def test_a_message_stored_before_a_crash_is_delivered_at_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    async with running_core(console_settings(db), FakeClock()) as core:
        # Nobody delivers on this platform in the first process: the row stays stored.
        stored = await core.bot.handle(said("anna", "!kc post Bewaard | voor later"))
        assert stored == []
    async with core_on(db) as (core, messenger):
        await eventually(lambda: bool(messenger.sent))
    assert [text for _, text in messenger.sent] == ["Saved #1 “Bewaard”"]


async def test_rows_held_by_a_process_that_died_are_taken_over_at_once(tmp_path: Path) -> None:
    db = tmp_path / "dead.db"
    finished = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await finished.wait()
    dead_here = f"{socket.gethostname()}:{finished.pid}:gone"  # a pid that has exited
    elsewhere = "another-host:4242:alive"  # can't be checked from here: its lease is respected
    async with running_core(console_settings(db), FakeClock()) as core:
        for owner, text in ((dead_here, "Van een gestopt proces"), (elsewhere, "Van een andere machine")):
            outbox = SqlOutbox(core.db, owner=owner)
            outbox.served.add("console")
            async with core.db.atomic():
                await outbox.enqueue([Outgoing("console", Kind.ROOM, document(paragraph(text)), room_id="console")],
                                     core.bot.clock.now(), timedelta(hours=1))
    async with core_on(db) as (core, messenger):
        await eventually(lambda: bool(messenger.sent))
        await asyncio.sleep(1.5)  # another poll or two: the other host's row stays (its lease lasts a minute)
    assert [text for _, text in messenger.sent] == ["Van een gestopt proces"]


async def test_a_repeated_event_is_answered_once(tmp_path: Path) -> None:
    async with core_on(tmp_path / "rep.db") as (core, messenger):
        event = said("anna", "!kc post Eenmalig | x", event_id="$same")
        await asyncio.gather(*(core.handle_and_deliver(event) for _ in range(5)))
        await core.handle_and_deliver(said("anna", "!kc recent"))
    assert [text for _, text in messenger.sent].count("Saved #1 “Eenmalig”") == 1
    assert "#2" not in messenger.sent[-1][1]


async def test_a_failing_handler_leaves_nothing_half_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with core_on(tmp_path / "bug.db") as (core, messenger):
        archive = core.bot.archive.archive
        original = archive.create_post

        async def create_then_fail(post: object) -> object:
            await original(post)  # type: ignore[arg-type]
            raise RuntimeError("a bug after the write")

        monkeypatch.setattr(archive, "create_post", create_then_fail)
        await core.handle_and_deliver(said("anna", "!kc post Half | werk"))
        monkeypatch.setattr(archive, "create_post", original)
        await core.handle_and_deliver(said("anna", "!kc recent"))
    texts = [text for _, text in messenger.sent]
    assert "Sorry, something went wrong handling `!kc post`." in texts[0]
    assert texts[1].startswith("No posts yet.")  # the half-done post was rolled back


async def test_long_documents_are_cut_between_pieces_never_inside_one() -> None:
    from adapters.slack.render import SECTION_LIMIT, fits_in_message, render_blocks
    from bot.paging import paginate
    from bot.richtext import Link, Paragraph, Text

    link = Link("https://example.org/" + "a" * 80, "the slides")
    body = tuple(Text("word & <more> " * 40) if i % 2 else link for i in range(60))
    doc = document(Paragraph(body))
    pages = paginate(doc, fits_in_message)
    assert len(pages) > 1
    assert all(fits_in_message(page) for page in pages)
    assert "".join(render_plain(page) for page in pages).replace("\n", "") == render_plain(doc)
    for page in pages:
        for block in render_blocks(page):
            text = block["text"]["text"]
            assert len(text) <= SECTION_LIMIT and text.count("<https://") == text.count("|the slides>")


async def eventually(check: Callable[[], bool], timeout: float = 15) -> None:
    """Wait until ``check()`` holds (the deliverer polls every second)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def kenniscafe(*args: str) -> tuple[int, str]:
    """The command line in a process of its own: exit status and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args, env={"PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def store(core: Core, *messages: Outgoing) -> list[Queued]:
    """Store messages as a decision would, and hand them to the deliverer."""
    async with core.db.atomic():
        stored = await core.bot.repos.outbox.enqueue(list(messages), core.bot.clock.now(), timedelta(hours=1))
    core.deliverer.accept(stored)
    return stored
