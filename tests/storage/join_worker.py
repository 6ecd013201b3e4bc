"""A bot process for the many-processes sign-up test: builds the whole core
on a shared database, hands it ``!kc join E1`` from each named member at
once, and prints each member's answer as a JSON line. Not a test module."""

from __future__ import annotations

import asyncio
import json
import sys

from adapters.runtime import running_core
from bot.config import Settings
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.ports import SystemClock
from bot.richtext import render_plain
from tests.fakes import RecordingMessenger

ROOM = RoomRef("console", "console")


async def main(url: str, names: list[str]) -> None:
    """Join every member in ``names`` to E1 at once; print who was told what."""
    settings = Settings.model_validate({
        "bot": {"database": url, "commands_per_minute": 0},
        "communities": [{"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"]}],
    })
    async with running_core(settings, SystemClock()) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        # Ready: the core is built; the test starts every process's joins together.
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        messages = [MessageReceived(Actor("console", name, name), MessageRef(ROOM, f"join-{name}"), "!kc join E1",
                                    event_id=f"join-{name}") for name in names]
        answers = await asyncio.gather(*(core.bot.handle(message) for message in messages))
        await core.deliverer.idle()
    for name, rows in zip(names, answers, strict=True):
        print(json.dumps({"member": name, "answers": [render_plain(row.message.doc) for row in rows]}))
    print(json.dumps({"delivered": len(messenger.sent)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
