"""Reply latency on Matrix, against the homeserver's own round trip.

A member's client sends a command and waits (long-poll sync) for the bot's
answer; the time between is the reply latency a person sees. Baseline, same
run, same Synapse: a bare matrix-nio echo client that answers every message
with no work at all — what the round trip through the server costs anyway.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nio import AsyncClient, RoomMessageText, SyncResponse

from adapters.matrix.adapter import MatrixAdapter
from adapters.runtime import build_bot
from bench.common import Result, percentile
from bot.config import Settings
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path
from storage.repositories.adapter_state import SqlAdapterState
from storage.signup_writer import signup_runner
from tests.adapters.matrix.member_client import MemberClient
from tests.adapters.matrix.synapse_server import SynapseServer

PASSWORD = "bench-password"


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


async def _measure(synapse: SynapseServer, runs: int, folder: Path) -> tuple[list[float], list[float]]:
    def account(prefix: str) -> tuple[str, str]:
        return synapse.register(f"{prefix}-{uuid.uuid4().hex[:8]}", PASSWORD)

    (bot_id, _), (echo_id, echo_token), (member_id, member_token) = account("kcbot"), account("echo"), account("m")
    member = MemberClient(synapse.base_url, member_id, member_token)
    await member.start()

    async def in_room_with(user: str) -> str:
        room = await member.create_room(invite=[user])
        await member.wait_for(lambda s: s.get("state_key") == user and s.get("content", {}).get("membership") == "join")
        return room

    # Ours: the whole bot, with the post the command shows.
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(folder / "bench.db")},
        "communities": [{"name": "Bench", "managers": [member_id], "rooms": ["*"]}],
        "matrix": {"enabled": True, "homeserver": synapse.base_url, "user_id": bot_id, "password": PASSWORD,
                   "allowed_inviters": [synapse.server_name]},
    })
    db = Database(settings.bot.database)
    runner = signup_runner(db)
    core = await build_bot(settings, db, SystemClock(), runner)
    adapter = MatrixAdapter(settings.matrix, core.handle, SqlAdapterState(db, SystemClock()))
    await adapter.start()
    core.attach(adapter)
    task = asyncio.create_task(adapter.run())
    room = await in_room_with(bot_id)
    await _latencies(member, room, bot_id, "!kc post Bench | a post to show", 1)
    ours = await _latencies(member, room, bot_id, "!kc show #1", runs)
    await adapter.stop()
    await task
    await adapter.close()
    await runner.close()
    await db.dispose()

    stop = asyncio.Event()
    echo: Callable[[], Awaitable[None]] = lambda: _echo(synapse.base_url, echo_id, echo_token, stop)
    echo_task = asyncio.create_task(echo())
    echo_room = await in_room_with(echo_id)
    baseline = await _latencies(member, echo_room, echo_id, "ping", runs)
    stop.set()
    await echo_task
    await member.close()
    return ours, baseline


def run(quick: bool) -> list[Result]:
    """Reply latency p50/p95: the bot against a bare echo client."""
    runs = 10 if quick else 100
    with tempfile.TemporaryDirectory(prefix="kc-matrix-bench-") as folder, SynapseServer() as synapse:
        ours, baseline = asyncio.run(_measure(synapse, runs, Path(folder)))
    note: dict[str, Any] = {"note": f"`!kc show #1`, {runs} times, member's client to member's client"}
    return [
        Result("reply latency p50", percentile(ours, 50), "ms", {"echo client round trip": percentile(baseline, 50)},
               **note),
        Result("reply latency p95", percentile(ours, 95), "ms", {"echo client round trip": percentile(baseline, 95)}),
    ]
