"""A Messenger that records what it was asked to send (for tests, workers
and benchmarks that drive the core without a chat platform)."""

from __future__ import annotations

from collections.abc import Callable

from bot.incoming import MessageRef, RoomRef
from bot.richtext import Document, render_plain


class RecordingMessenger:
    """Keeps every message as (where, plain text); ``on_send`` sees each one too."""

    def __init__(self, platform: str, on_send: Callable[[str, str], None] | None = None) -> None:
        self.platform = platform
        self.sent: list[tuple[str, str]] = []
        self._on_send = on_send

    def _record(self, where: str, doc: Document) -> int:
        text = render_plain(doc)
        self.sent.append((where, text))
        if self._on_send is not None:
            self._on_send(where, text)
        return len(self.sent)

    async def send(self, room: RoomRef, doc: Document, *, in_reply_to: MessageRef | None = None) -> MessageRef:
        return MessageRef(room, f"{self.platform}-{self._record(room.room_id, doc)}")

    async def send_direct(self, user_id: str, doc: Document) -> MessageRef | None:
        return MessageRef(RoomRef(self.platform, user_id), f"dm-{self._record(f'dm:{user_id}', doc)}")

    async def send_private(self, room: RoomRef, user_id: str, doc: Document) -> None:
        self._record(f"private:{user_id}", doc)

    async def update(self, ref: MessageRef, doc: Document) -> None:
        self._record(f"update:{ref.message_id}", doc)

    async def send_file(self, room: RoomRef, filename: str, content: bytes, mimetype: str,
                        caption: Document) -> MessageRef:
        return await self.send(room, caption)

    def texts(self) -> list[str]:
        """What was sent, in order."""
        return [text for _, text in self.sent]
