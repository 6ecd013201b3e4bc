"""`kenniscafe run` on Matrix as a process: killed mid-delivery, or asked to
stop with a full outbox, it neither loses nor repeats a message."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.outgoing import Kind, Outgoing
from bot.richtext import document, paragraph
from storage.engine import Database, sqlite_url_for_path
from storage.repositories.outbox import SqlOutbox
from tests.adapters.matrix.fault_proxy import FaultProxy
from tests.adapters.matrix.harness import PASSWORD, Account, body, member, register, room_with_bot
from tests.adapters.matrix.member_client import from_bot

ROOT = Path(__file__).resolve().parents[3]


def write_config(folder: Path, homeserver: str, bot: Account, managers: list[str]) -> None:
    managers_toml = ", ".join(f'"{m}"' for m in managers)
    (folder / "bot.toml").write_text(
        '[bot]\ndatabase = "sqlite+aiosqlite:///run.db"\n'
        f'[[communities]]\nname = "Kenniscafé"\nmanagers = [{managers_toml}]\nrooms = ["*"]\n'
        f'[matrix]\nenabled = true\nhomeserver = "{homeserver}"\nuser_id = "{bot.user_id}"\n'
        'allowed_inviters = ["localhost"]\n'
    )


@asynccontextmanager
async def bot_process(folder: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`kenniscafe run` in ``folder``; killed if the test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "run", cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT), "KENNISCAFE_MATRIX_PASSWORD": PASSWORD},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def pending_rows(db: Path, text: str) -> int:
    """Outbox rows still waiting whose document mentions ``text``."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM outboxmessage WHERE status = 'pending' AND document LIKE ?",
                                (f"%{text}%",)).fetchone()[0])


async def until(check: Any, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_a_promotion_decided_before_a_kill_is_delivered_once_after_restart(synapse: Any,
                                                                                tmp_path: Path) -> None:
    bot, anna_account, piet_account, sanne_account = (register(synapse, n) for n in ("kcbot", "anna", "piet", "sanne"))
    async with FaultProxy(synapse.base_url) as proxy, member(synapse, anna_account) as anna, \
            member(synapse, piet_account) as piet, member(synapse, sanne_account) as sanne:
        write_config(tmp_path, proxy.base_url, bot, [anna_account.user_id])
        async with bot_process(tmp_path) as first:
            room = await room_with_bot(anna, bot.user_id)
            for other in (piet, sanne):
                await anna.client.room_invite(room, other.user_id)
                await other.sync_once()
                await other.join(room)
            await anna.send(room, "!kc event new Koffietafel | 2030-01-11 09:30 | Winkwaves | 1")
            await anna.wait_for(from_bot(bot.user_id, "E1 Koffietafel"))
            await piet.send(room, "!kc join E1")
            await piet.wait_for(from_bot(bot.user_id, "You're in for E1 (1/1)"))
            await sanne.send(room, "!kc join E1")
            await sanne.wait_for(from_bot(bot.user_id, "number 1 on the waitlist"))
            proxy.refuse_sends()  # from here on nothing the bot sends gets out
            await piet.send(room, "!kc leave E1")
            await until(lambda: pending_rows(tmp_path / "run.db", "A seat opened up") == 1)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        proxy.refuse_sends(0)
        async with bot_process(tmp_path) as second:
            await sanne.wait_for(from_bot(bot.user_id, "A seat opened up: you're in for E1"), timeout=60)
            await piet.wait_for(from_bot(bot.user_id, "You've left E1"), timeout=30)
            await sanne.settle(3.0)
            await piet.settle(1.0)
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 10)
    promotions = [s for _, s in sanne.seen if from_bot(bot.user_id, "A seat opened up")(s)]
    assert len(promotions) == 1
    assert len([s for _, s in piet.seen if from_bot(bot.user_id, "You've left E1")(s)]) == 1


async def test_sigterm_with_a_full_outbox_exits_quickly_and_the_rest_arrives_once(synapse: Any,
                                                                               tmp_path: Path) -> None:
    bot, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with FaultProxy(synapse.base_url) as proxy, member(synapse, anna_account) as anna:
        write_config(tmp_path, proxy.base_url, bot, [])
        async with bot_process(tmp_path) as first:
            room = await room_with_bot(anna, bot.user_id)
            await anna.send(room, "!kc help")
            await anna.wait_for(from_bot(bot.user_id, "Commands"))
            proxy.send_delay = 0.1  # a slow homeserver: the queue drains at under 10 a second
            await queue_messages(tmp_path / "run.db", room, 100)
            await until(lambda: len(proxy.forwarded_sends) >= 10)
            began = asyncio.get_running_loop().time()
            first.send_signal(signal.SIGTERM)
            await asyncio.wait_for(first.wait(), 15)
            stopped_in = asyncio.get_running_loop().time() - began
            assert first.returncode == 0, (await first.stderr.read()).decode()[-2000:]  # type: ignore[union-attr]
        left = pending_rows(tmp_path / "run.db", "Bericht ")
        proxy.send_delay = 0
        async with bot_process(tmp_path) as second:
            await anna.wait_for(from_bot(bot.user_id, "Bericht "), count=100, timeout=90)
            await anna.settle(2.0)
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 10)
    assert stopped_in < 10
    assert 0 < left < 100  # some went out before the stop, the rest after the restart
    numbers = sorted(int(body(s).split()[1]) for s in (s for _, s in anna.seen) if from_bot(bot.user_id, "Bericht ")(s))
    assert numbers == list(range(1, 101))  # every one, none twice


async def queue_messages(db_path: Path, room: str, count: int) -> None:
    """Store ``count`` messages for ``room`` in the outbox, as decisions of the bot would."""
    db = Database(sqlite_url_for_path(db_path))
    try:
        outbox = SqlOutbox(db, owner="test")
        async with db.atomic():
            await outbox.enqueue(
                [Outgoing("matrix", Kind.ROOM, document(paragraph(f"Bericht {n} van {count}")), room_id=room)
                 for n in range(1, count + 1)],
                datetime.now(UTC), timedelta(hours=1),
            )
    finally:
        await db.dispose()

