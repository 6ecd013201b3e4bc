"""Reply latency and outbox drain rate on Matrix, against baselines on the same Synapse.

Reply latency: a member's client sends a command and waits (long-poll sync)
for the bot's answer; the time between is what a person sees. Ours is the
whole bot, its answer stored in the outbox with the command's claim and
delivered from there. Baselines, same run, same Synapse, measured in turn
with ours (one command to each per round): the same bot with the outbox
replaced by a hand-over in memory (the answer sent directly, nothing stored:
what the outbox costs), and a bare matrix-nio echo client that answers with
no work at all (what the round trip through the server costs anyway).

Drain rate: 1,000 DMs stored in the outbox at once (50 members × 20), then
delivered by the deliverer; against a bare nio client sending the same
1,000 messages to direct rooms of its own with the same members, with the
same concurrency and the same order (in order per member).
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nio import AsyncClient, RoomMessageText, SyncResponse

from adapters.matrix.adapter import MatrixAdapter
from adapters.runtime import Core, running_core
from bench.common import Result, percentile
from bot.config import Settings
from bot.delivery import Deliverer
from bot.incoming import MessageRef
from bot.outgoing import Kind, Outgoing, Queued
from bot.ports import SystemClock
from bot.richtext import document, paragraph
from storage.engine import sqlite_url_for_path
from storage.repositories.adapter_state import SqlAdapterState
from tests.adapters.matrix.member_client import MemberClient
from tests.adapters.matrix.synapse_server import SynapseServer

PASSWORD = "bench-password"
DM_MEMBERS, DMS_EACH = 50, 20


class MemoryOutbox:
    """The baseline's outbox: hands messages straight to the deliverer and
    stores nothing (what sending directly from the handler amounts to)."""

    def __init__(self) -> None:
        self.served: set[str] = set()
        self._ids = itertools.count(1)

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime, keep_for: timedelta) -> list[Queued]:
        return [Queued(next(self._ids), m, 0, now + keep_for) for m in messages]

    async def claim(self, platforms: Iterable[str], now: datetime, limit: int) -> list[Queued]:
        return []

    async def sent(self, queued: Queued, refs: Sequence[MessageRef], now: datetime) -> None:
        pass

    async def retry_later(self, queued: Queued, error: str, at: datetime) -> None:
        pass

    async def finish(self, queued: Queued, status: str, error: str | None, now: datetime) -> None:
        pass

    async def renew(self, ids: Sequence[int], now: datetime) -> None:
        pass

    async def release(self, ids: Sequence[int]) -> None:
        pass

    async def reclaim_abandoned(self) -> int:
        return 0

    async def expire_overdue(self, now: datetime) -> int:
        return 0

    async def prune(self, now: datetime) -> int:
        return 0


async def _echo(base_url: str, user_id: str, token: str, stop: asyncio.Event) -> None:
    """The baseline: answer every message from someone else, doing nothing else."""
    client = AsyncClient(base_url, user_id)
    client.restore_login(user_id, "ECHO", token)
    first = await client.sync(timeout=0)
    assert isinstance(first, SyncResponse)
    since = first.next_batch
    while not stop.is_set():
        response = await client.sync(timeout=1000, since=since)
        if not isinstance(response, SyncResponse):
            continue
        since = response.next_batch
        for room_id in response.rooms.invite:
            await client.join(room_id)
        for room_id, joined in response.rooms.join.items():
            for event in joined.timeline.events:
                if isinstance(event, RoomMessageText) and event.sender != user_id:
                    await client.room_send(room_id, "m.room.message", {"msgtype": "m.notice", "body": "echo"})
    await client.close()


async def _latencies(member: MemberClient, room: str, responder: str, text: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        before = len(member.seen)
        began = time.perf_counter()
        await member.send(room, text)
        while not any(s.get("sender") == responder and s.get("type") == "m.room.message"
                      for _, s in member.seen[before:]):
            await member.sync_once(timeout_ms=30_000)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


@asynccontextmanager
async def _bot(synapse: SynapseServer, bot_id: str, manager: str, db: Path, *,
               direct: bool = False, crypto_store: Path | None = None) -> AsyncIterator[Core]:
    """The whole bot on Synapse; with ``direct``, its outbox is the in-memory
    baseline; with ``crypto_store``, it reads and writes encrypted rooms."""
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(db), "commands_per_minute": 0},
        "communities": [{"name": "Bench", "managers": [manager], "rooms": ["*"]}],
        "matrix": {"enabled": True, "homeserver": synapse.base_url, "user_id": bot_id, "password": PASSWORD,
                   "allowed_inviters": [synapse.server_name]},
    })
    async with running_core(settings, SystemClock()) as core:
        if direct:
            outbox = MemoryOutbox()
            core.bot.repos.outbox = outbox
            core.deliverer = Deliverer(outbox, SystemClock())
            core.bot.on_stored = core.deliverer.accept
            await core.deliverer.start()
        adapter = MatrixAdapter(settings.matrix, core.bot.handle, SqlAdapterState(core.db, SystemClock()),
                                crypto_store=crypto_store)
        await adapter.start()
        core.attach(adapter)
        task = asyncio.create_task(adapter.run())
        try:
            yield core
        finally:
            await adapter.stop()
            await task
            await adapter.close()
            if direct:
                await core.deliverer.stop()


class _Bench:
    def __init__(self, synapse: SynapseServer, folder: Path) -> None:
        self.synapse = synapse
        self.folder = folder

    def account(self, prefix: str) -> tuple[str, str]:
        return self.synapse.register(f"{prefix}-{uuid.uuid4().hex[:8]}", PASSWORD)

    async def room_with(self, member: MemberClient, user: str, *, encrypted: bool = False) -> str:
        room = await member.create_room(invite=[user], encrypted=encrypted)
        await member.wait_for(lambda s: s.get("state_key") == user and s.get("content", {}).get("membership") == "join")
        return room

    async def latencies(self, runs: int) -> dict[str, list[float]]:
        """Reply latency of the contenders, measured in turn (one command to
        each per round), so a change in the machine's load touches all alike:
        the bot, the bot sending directly, a bare echo client, and the bot in
        an encrypted room with a member whose client encrypts."""
        (outbox_id, _), (direct_id, _), (echo_id, echo_token), (sealed_id, _) = (
            self.account("kcbot"), self.account("kcdirect"), self.account("echo"), self.account("kcsealed"))
        member_id, member_token = self.account("m")
        member = MemberClient(self.synapse.base_url, member_id, member_token)
        encrypting = MemberClient(self.synapse.base_url, member_id, member_token,
                                  crypto_store=self.folder / "member-crypto")
        await member.start()
        stop = asyncio.Event()
        echo_task = asyncio.create_task(_echo(self.synapse.base_url, echo_id, echo_token, stop))
        samples: dict[str, list[float]] = {"outbox": [], "direct": [], "echo": [], "encrypted": []}
        async with _bot(self.synapse, outbox_id, member_id, self.folder / "latency-outbox.db"), \
                _bot(self.synapse, direct_id, member_id, self.folder / "latency-direct.db", direct=True), \
                _bot(self.synapse, sealed_id, member_id, self.folder / "latency-sealed.db",
                     crypto_store=self.folder / "bot-crypto"):
            rooms = {"outbox": (member, await self.room_with(member, outbox_id), outbox_id, "!kc show #1"),
                     "direct": (member, await self.room_with(member, direct_id), direct_id, "!kc show #1"),
                     "echo": (member, await self.room_with(member, echo_id), echo_id, "ping")}
            await encrypting.start()
            rooms["encrypted"] = (encrypting, await self.room_with(encrypting, sealed_id, encrypted=True),
                                  sealed_id, "!kc show #1")
            for name in ("outbox", "direct", "encrypted"):
                client, room, bot, _ = rooms[name]
                await _latencies(client, room, bot, "!kc post Bench | a post to show", 1)
            for _ in range(runs):
                for name, (client, room, responder, text) in rooms.items():
                    samples[name] += await _latencies(client, room, responder, text, 1)
        stop.set()
        await echo_task
        await member.close()
        await encrypting.close()
        return samples

    async def drain(self, members: int, each: int) -> tuple[float, float]:
        """DMs per second: the deliverer draining stored rows, and a bare nio
        client sending the same messages to the same rooms."""
        bot_id, bot_token = self.account("kcbot")
        people = [self.account("dm")[0] for _ in range(members)]
        async with _bot(self.synapse, bot_id, people[0], self.folder / "drain.db") as core:
            hello = [Outgoing("matrix", Kind.DIRECT, document(paragraph("hello")), user_id=p) for p in people]
            await self._store_and_wait(core, hello)  # the direct rooms exist before the clock starts
            rows = [Outgoing("matrix", Kind.DIRECT, document(paragraph(f"DM {n} of {each}")), user_id=p)
                    for n in range(each) for p in people]
            began = time.perf_counter()
            await self._store_and_wait(core, rows)
            ours = len(rows) / (time.perf_counter() - began)
        client = AsyncClient(self.synapse.base_url, bot_id)
        client.restore_login(bot_id, "BARE", bot_token)
        created = [await client.room_create(is_direct=True, invite=[p]) for p in people]
        room_ids = [str(c.room_id) for c in created]
        semaphore = asyncio.Semaphore(Deliverer(MemoryOutbox(), SystemClock()).concurrency)

        async def one(room_id: str, n: int) -> None:
            async with semaphore:
                await client.room_send(room_id, "m.room.message", {"msgtype": "m.notice", "body": f"DM {n}"})

        began = time.perf_counter()
        for n in range(each):  # in order within a room, rooms side by side, like the lanes
            await asyncio.gather(*(one(room_id, n) for room_id in room_ids))
        bare = members * each / (time.perf_counter() - began)
        await client.close()
        return ours, bare

    @staticmethod
    async def _store_and_wait(core: Core, rows: list[Outgoing]) -> None:
        async with core.db.atomic():
            stored = await core.bot.repos.outbox.enqueue(rows, datetime.now().astimezone(), timedelta(hours=1))
        core.deliverer.accept(stored)
        states = await core.deliverer.settled([row.id for row in stored])
        assert set(states) == {"done"}, set(states)


async def _measure(synapse: SynapseServer, runs: int, members: int, each: int, folder: Path) -> dict[str, Any]:
    bench = _Bench(synapse, folder)
    return {**await bench.latencies(runs), "drain": await bench.drain(members, each)}


def run(quick: bool) -> list[Result]:
    """Reply latency through the outbox against sending directly and a bare
    echo client; drain rate of 1,000 stored DMs against bare sends."""
    runs, members, each = (10, 5, 4) if quick else (100, DM_MEMBERS, DMS_EACH)
    with tempfile.TemporaryDirectory(prefix="kc-matrix-bench-") as folder, SynapseServer() as synapse:
        got = asyncio.run(_measure(synapse, runs, members, each, Path(folder)))
    ours, direct, echo = got["outbox"], got["direct"], got["echo"]
    added = percentile(ours, 50) - percentile(direct, 50)
    drained, bare = got["drain"]
    baselines = {"sent directly (no outbox)": percentile(direct, 50), "echo client round trip": percentile(echo, 50)}
    return [
        Result("reply latency p50", percentile(ours, 50), "ms", baselines,
               note=f"`!kc show #1`, {runs} times, member's client to member's client"),
        Result("reply latency p95", percentile(ours, 95), "ms",
               {"sent directly (no outbox)": percentile(direct, 95), "echo client round trip": percentile(echo, 95)}),
        Result("latency the outbox adds at p50", added, "ms", {}, target="< 10", passed=added < 10),
        Result("reply latency p50, encrypted room", percentile(got["encrypted"], 50), "ms",
               {"same bot, room not encrypted": percentile(ours, 50)},
               note="the member's client encrypts the command and decrypts the answer, as Element does"),
        Result("reply latency p95, encrypted room", percentile(got["encrypted"], 95), "ms",
               {"same bot, room not encrypted": percentile(ours, 95)}),
        Result("DMs delivered per second from the outbox", drained, "DMs/s", {"bare nio sends": bare},
               note=f"{members * each:,} DMs stored at once ({members} members × {each}), delivered by the "
                    "deliverer (16 at a time, in order per member); the bare client sends the same with the "
                    "same concurrency"),
    ]
