"""Encrypted messages the bot has no key for yet.

A member's app may send a message before it has shared the room key with
the bot's device (it did not know the device yet, or it shares only with
verified sessions). Such a message is kept here, in the adapter's state
table so a restart does not forget it, while the key is requested; every
sync it is tried again. If the key has not come after :data:`WAIT_SECONDS`,
it is given up, and its sender is told once per batch: several messages
encrypted with the same missing key get one explanation, not one each.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from nio import Event, MegolmEvent
from nio.exceptions import EncryptionError

from storage.repositories.adapter_state import SqlAdapterState

# How long a message may wait for its key before its sender is told.
WAIT_SECONDS = 60.0
# At most this many wait; beyond it the oldest is given up (a flood of
# unreadable events must not grow the state without bound).
MOST_WAITING = 500
_KEY = "matrix:undecrypted"


@dataclass(frozen=True)
class Waiting:
    """One unreadable message: where, from whom, and its event as received."""

    room_id: str
    event_id: str
    sender: str
    session_id: str
    source: dict[str, Any]
    since: float

    def event(self) -> MegolmEvent:
        """The encrypted event, as nio parses it (ready to decrypt)."""
        event = MegolmEvent.from_dict(self.source)
        assert isinstance(event, MegolmEvent)
        event.room_id = self.room_id
        return event


class UndecryptedMessages:
    """The messages waiting for their key, oldest first."""

    def __init__(self, state: SqlAdapterState, *, wait_seconds: float = WAIT_SECONDS,
                 now: Callable[[], float] = time.time) -> None:
        self._state = state
        self.wait_seconds = wait_seconds
        self._now = now
        self._waiting: dict[str, Waiting] = {}

    async def load(self) -> None:
        """Take up the messages an earlier run left waiting."""
        stored = await self._state.get(_KEY)
        self._waiting = {w["event_id"]: Waiting(**w) for w in json.loads(stored)} if stored else {}

    def __len__(self) -> int:
        return len(self._waiting)

    async def keep(self, room_id: str, event: MegolmEvent) -> bool:
        """Keep ``event`` until its key comes; False if it is kept already."""
        if event.event_id in self._waiting:
            return False
        self._waiting[event.event_id] = Waiting(room_id, event.event_id, event.sender, event.session_id,
                                                event.source, self._now())
        while len(self._waiting) > MOST_WAITING:
            del self._waiting[next(iter(self._waiting))]
        await self._save()
        return True

    def readable(self, decrypt: Callable[[MegolmEvent], Event]) -> list[tuple[Waiting, Event]]:
        """The waiting messages whose key has come, decrypted."""
        found = []
        for waiting in self._waiting.values():
            try:
                found.append((waiting, decrypt(waiting.event())))
            except EncryptionError:
                continue
        return found

    def given_up(self) -> list[Waiting]:
        """The waiting messages past their wait, one per sender and missing
        key (the first of each); the others of that key go with it."""
        due = self._now() - self.wait_seconds
        first: dict[tuple[str, str], Waiting] = {}
        for waiting in self._waiting.values():
            if waiting.since <= due:
                first.setdefault((waiting.sender, waiting.session_id), waiting)
        return list(first.values())

    def seconds_to_next_due(self) -> float | None:
        """How long until the oldest waiting message is given up."""
        if not self._waiting:
            return None
        oldest = min(w.since for w in self._waiting.values())
        return max(0.0, oldest + self.wait_seconds - self._now())

    async def forget(self, done: Waiting) -> None:
        """``done`` was handled: drop it (if given up, with the rest of its key's batch)."""
        self._waiting.pop(done.event_id, None)
        if done.since <= self._now() - self.wait_seconds:
            self._waiting = {key: w for key, w in self._waiting.items()
                             if (w.sender, w.session_id) != (done.sender, done.session_id)}
        await self._save()

    async def _save(self) -> None:
        await self._state.set(_KEY, json.dumps([asdict(w) for w in self._waiting.values()]))
