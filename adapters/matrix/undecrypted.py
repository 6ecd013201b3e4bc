"""Encrypted messages the bot has no key for yet.

A member's app may send a message before it has shared the room key with
the bot's device (it did not know the device yet, or it shares only with
verified sessions). Such a message is noted here — where it is and which
key it needs, not its (up to 64 KB) ciphertext — in the adapter's state
table, so a restart does not forget it. After every sync the adapter looks
whether its key has come, and if so fetches and handles it. If the key has
not come after :data:`WAIT_SECONDS`, it is given up, and its sender is told
once per batch: several messages encrypted with the same missing key get
one explanation, not one each.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from nio import MegolmEvent

from storage.repositories.adapter_state import SqlAdapterState

log = logging.getLogger(__name__)

# How long a message may wait for its key before its sender is told.
WAIT_SECONDS = 60.0
# At most this many wait; beyond it the oldest is given up (a flood of
# unreadable events must not grow the state without bound).
MOST_WAITING = 500
_KEY = "matrix:undecrypted"


@dataclass(frozen=True)
class Waiting:
    """One unreadable message: where, from whom, which key it needs, since when."""

    room_id: str
    event_id: str
    sender: str
    sender_key: str
    session_id: str
    since: float


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
        try:
            self._waiting = {w["event_id"]: Waiting(**w) for w in json.loads(stored)} if stored else {}
        except (ValueError, TypeError, KeyError):  # not what this version writes: start afresh
            log.warning("Matrix: the list of messages waiting for their key is unreadable; starting a new one")
            self._waiting = {}

    def __len__(self) -> int:
        return len(self._waiting)

    async def keep(self, room_id: str, event: MegolmEvent) -> bool:
        """Keep ``event`` until its key comes; False if it is kept already."""
        if event.event_id in self._waiting:
            return False
        self._waiting[event.event_id] = Waiting(room_id, event.event_id, event.sender, event.sender_key,
                                                event.session_id, self._now())
        while len(self._waiting) > MOST_WAITING:
            del self._waiting[next(iter(self._waiting))]
        await self._save()
        return True

    def readable(self, key_is_here: Callable[[Waiting], bool]) -> list[Waiting]:
        """The waiting messages whose key has come."""
        return [waiting for waiting in self._waiting.values() if key_is_here(waiting)]

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
