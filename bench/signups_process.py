"""One bot process of the multi-process sign-up benchmark (not a benchmark
itself): builds the whole core on the shared database, says ``ready``, waits
for a line on stdin, then hands ``Bot.handle`` its share of the ``!kc join``
messages at once and prints how many answers it delivered, and when the
last went out (wall-clock seconds: the processes' ends are compared)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.runtime import running_core
from bot.config import Settings
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.ports import SystemClock
from tests.fakes import RecordingMessenger

ROOM = RoomRef("console", "console")


def join_messages(members: int, events: int, share: int, shares: int) -> list[MessageReceived]:
    """Process ``share`` of ``shares``: every ``shares``-th member's joins to
    every event, so all processes contend for every event's seats."""
    return [
        MessageReceived(Actor("console", f"u{m}", f"u{m}"), MessageRef(ROOM, f"m{m}-{e}"), f"!kc join E{e}",
                        event_id=f"ev-{m}-{e}")
        for e in range(1, events + 1) for m in range(1, members + 1) if m % shares == share
    ]


async def main(url: str, members: int, events: int, share: int, shares: int) -> None:
    """Handle this process's joins after the go line; print the answers
    delivered and the moment the last one was."""
    settings = Settings.model_validate({
        "bot": {"database": url, "commands_per_minute": 0},
        "communities": [{"name": "Bench", "managers": ["u1"], "rooms": ["console"]}],
    })
    messages = join_messages(members, events, share, shares)
    async with running_core(settings, SystemClock()) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.gather(*(core.bot.handle(message) for message in messages))
        await core.deliverer.idle()
        finished = time.time()
    print(len(messenger.sent), finished, flush=True)


if __name__ == "__main__":
    url, *numbers = sys.argv[1:]
    members, events, share, shares = map(int, numbers)
    asyncio.run(main(url, members, events, share, shares))
