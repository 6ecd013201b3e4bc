"""Slash-command ack latency under load, against bolt's bare ack.

200 `/kc` commands are pushed over Socket Mode at once; the figure is the
time from each push until the fake Slack reads its ack. Slack allows 3 s.
Baseline, same run, same fake: a bolt app whose `/kc` handler only acks.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.readers import readers_of
from adapters.runtime import running_core
from adapters.slack.adapter import SlackAdapter
from bench.common import Result, percentile
from bot.config import Settings
from bot.ports import SystemClock
from storage.engine import sqlite_url_for_path
from tests.adapters.slack.fake_slack import FakeSlack, slash_command

CHANNEL = "C0BENCH001"


async def _ack_times(fake: FakeSlack, count: int) -> list[float]:
    await fake.wait_connected()
    envelopes = await asyncio.gather(*(
        fake.push("slash_commands", slash_command(f"post Bench {n} | load", f"U0BENCH{n:04d}", CHANNEL))
        for n in range(count)
    ))
    acks = await asyncio.gather(*(fake.wait_for_ack(e, timeout=30) for e in envelopes))
    return [seconds * 1000 for _, seconds in acks]


async def _ours(count: int, folder: Path) -> list[float]:
    async with FakeSlack() as fake:
        settings = Settings.model_validate({
            "bot": {"database": sqlite_url_for_path(folder / "slack.db")},
            "communities": [{"name": "Bench", "managers": [], "rooms": ["*"]}],
            "slack": {"enabled": True, "bot_token": "xoxb-bench", "app_token": "xapp-bench",
                      "api_url": fake.api_url},
        })
        async with running_core(settings, SystemClock()) as core:
            adapter = SlackAdapter(settings.slack, core.bot.handle, readers_of(core.bot), SystemClock())
            core.attach(adapter)
            await adapter.start()
            times = await _ack_times(fake, count)
            await adapter.stop()
        return times


async def _bare(count: int) -> list[float]:
    async with FakeSlack() as fake:
        client = AsyncWebClient(token="xoxb-bench", base_url=fake.api_url)
        app = AsyncApp(client=client, request_verification_enabled=False)

        async def noop(ack: Any) -> None:
            await ack()

        app.command("/kc")(noop)
        handler = AsyncSocketModeHandler(app, "xapp-bench", web_client=client)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        times = await _ack_times(fake, count)
        await handler.close_async()  # type: ignore[no-untyped-call]
        return times


def run(quick: bool) -> list[Result]:
    """Ack latency p50/p99 of ours and of a bare bolt ack, 200 commands at once."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(name, None)  # slack_sdk would send even 127.0.0.1 through a proxy
    count = 20 if quick else 200
    with tempfile.TemporaryDirectory(prefix="kc-slack-bench-") as folder:
        ours = asyncio.run(_ours(count, Path(folder)))
    bare = asyncio.run(_bare(count))
    p99 = percentile(ours, 99)
    return [
        Result("ack latency p50", percentile(ours, 50), "ms", {"bolt bare ack": percentile(bare, 50)},
               note=f"{count} slash commands pushed at once over Socket Mode"),
        Result("ack latency p99", p99, "ms", {"bolt bare ack": percentile(bare, 99)}, target="< 3000",
               passed=p99 < 3000),
    ]
