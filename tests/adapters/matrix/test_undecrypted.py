"""Messages waiting for their key: kept across a restart, one explanation
per missing key and sender, bounded under a flood."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nio import MegolmEvent

from adapters.matrix import undecrypted
from adapters.matrix.undecrypted import UndecryptedMessages
from storage.engine import sqlite_url_for_path
from storage.repositories.adapter_state import SqlAdapterState
from tests.conftest import FakeClock, migrated


def sealed(event_id: str, sender: str = "@anna:hs", session: str = "S1") -> MegolmEvent:
    source: dict[str, Any] = {
        "type": "m.room.encrypted", "event_id": event_id, "sender": sender, "origin_server_ts": 1,
        "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA", "device_id": "PHONE",
                    "sender_key": "curve", "session_id": session},
    }
    event = MegolmEvent.from_dict(source)
    assert isinstance(event, MegolmEvent)
    return event


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_waiting_messages_survive_a_restart_and_are_explained_once_per_missing_key(tmp_path: Path) -> None:
    clock = Seconds()
    async with migrated(sqlite_url_for_path(tmp_path / "kc.db")) as db:
        state = SqlAdapterState(db, FakeClock())
        waiting = UndecryptedMessages(state, wait_seconds=60, now=clock)
        assert await waiting.keep("!r", sealed("$1"))
        assert not await waiting.keep("!r", sealed("$1"))  # the same event again (a replayed sync)
        await waiting.keep("!r", sealed("$2"))
        await waiting.keep("!r", sealed("$3", sender="@piet:hs", session="S2"))
        assert waiting.given_up() == [] and waiting.seconds_to_next_due() == 60

        clock.now += 61
        restarted = UndecryptedMessages(state, wait_seconds=60, now=clock)
        await restarted.load()
        assert len(restarted) == 3
        due = restarted.given_up()
        assert [(w.event_id, w.sender) for w in due] == [("$1", "@anna:hs"), ("$3", "@piet:hs")]
        for done in due:
            await restarted.forget(done)  # Anna's second message goes with her first
        assert len(restarted) == 0 and restarted.seconds_to_next_due() is None


async def test_a_flood_of_unreadable_events_keeps_only_the_newest(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(undecrypted, "MOST_WAITING", 5)
    async with migrated(sqlite_url_for_path(tmp_path / "kc.db")) as db:
        waiting = UndecryptedMessages(SqlAdapterState(db, FakeClock()), now=Seconds())
        for n in range(12):
            await waiting.keep("!r", sealed(f"${n}", session=f"S{n}"))
        assert len(waiting) == 5
        assert {w.event_id for w in waiting.readable(lambda _: True)} == {f"${n}" for n in range(7, 12)}
        assert [w.event_id for w in waiting.readable(lambda w: w.session_id == "S9")] == ["$9"]


async def test_a_damaged_list_is_started_afresh_not_a_crash(tmp_path: Path) -> None:
    async with migrated(sqlite_url_for_path(tmp_path / "kc.db")) as db:
        state = SqlAdapterState(db, FakeClock())
        await state.set("matrix:undecrypted", '[{"event_id": "$1", "unknown": true}]')
        waiting = UndecryptedMessages(state)
        await waiting.load()
        assert len(waiting) == 0
        await state.set("matrix:undecrypted", "not json")
        await waiting.load()
        assert await waiting.keep("!r", sealed("$2")) and len(waiting) == 1
