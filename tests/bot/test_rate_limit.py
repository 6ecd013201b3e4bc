"""One member flooding commands is slowed down, with one friendly line;
the others are not."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from adapters.runtime import running_core
from bot.config import Settings
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from storage.engine import sqlite_url_for_path
from tests.conftest import FakeClock
from tests.fakes import RecordingMessenger

ROOM = RoomRef("matrix", "!koffie:example.org")
_ids = itertools.count(1)


def said(user: str, text: str) -> MessageReceived:
    n = next(_ids)
    return MessageReceived(Actor("matrix", user, user), MessageRef(ROOM, f"$m{n}"), text, event_id=f"$e{n}")


async def test_a_flooding_member_is_slowed_down_and_others_are_not(tmp_path: Path) -> None:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(tmp_path / "rate.db"), "commands_per_minute": 20, "command_burst": 10},
        "communities": [{"name": "K", "managers": [], "rooms": [ROOM.room_id]}],
    })
    clock = FakeClock()
    async with running_core(settings, clock) as core:
        messenger = RecordingMessenger("matrix")
        core.attach(messenger)
        for n in range(15):
            await core.handle_and_deliver(said("@anna:example.org", f"!kc post Vloed {n} | x"))
        await core.handle_and_deliver(said("@piet:example.org", "!kc events"))
        clock.advance(timedelta(seconds=3))  # 20 a minute: one more command every 3 s
        await core.handle_and_deliver(said("@anna:example.org", "!kc recent"))
    texts = [text for _, text in messenger.sent]
    assert [t for t in texts if t.startswith("Saved #")] == [f"Saved #{n + 1} “Vloed {n}”" for n in range(10)]
    assert sum("Slow down a little: 10 commands in a row is my limit" in t for t in texts) == 1  # said once
    assert texts[11].startswith("No coffee tables planned")  # piet is not held up
    assert texts[12].startswith("Newest posts")  # and anna is answered again once the bucket refilled
    assert len(texts) == 13
