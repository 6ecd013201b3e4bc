"""A Messenger that records what it was asked to deliver (for tests, workers
and benchmarks that drive the core without a chat platform)."""

from __future__ import annotations

from collections.abc import Callable

from bot.incoming import MessageRef, RoomRef
from bot.outgoing import DeliveryFailed, Kind, Queued
from bot.richtext import render_plain


class RecordingMessenger:
    """Keeps every message as (where, plain text); ``on_send`` sees each one
    too. ``where`` is the room id, ``dm:USER``, ``private:USER`` or
    ``update:MESSAGE``. ``fail`` maps a ``where`` to the failure to raise."""

    def __init__(self, platform: str, on_send: Callable[[str, str], None] | None = None) -> None:
        self.platform = platform
        self.sent: list[tuple[str, str]] = []
        self.fail: dict[str, DeliveryFailed] = {}
        self._on_send = on_send

    async def deliver(self, message: Queued) -> list[MessageRef]:
        outgoing = message.message
        where = {
            Kind.ROOM: outgoing.room_id or "?",
            Kind.DIRECT: f"dm:{outgoing.user_id}",
            Kind.PRIVATE: f"private:{outgoing.user_id}",
            Kind.UPDATE: f"update:{outgoing.target}",
        }[outgoing.kind]
        if where in self.fail:
            raise self.fail[where]
        text = render_plain(outgoing.doc)
        self.sent.append((where, text))
        if self._on_send is not None:
            self._on_send(where, text)
        room = RoomRef(self.platform, outgoing.room_id or where)
        return [MessageRef(room, f"{self.platform}-{len(self.sent)}")]

    def texts(self) -> list[str]:
        """What was sent, in order."""
        return [text for _, text in self.sent]
