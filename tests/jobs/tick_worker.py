"""A bot process for the exactly-once test: at a fixed time, knocks the jobs
a few times and prints every message it sends as a JSON line. Not a test."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from adapters.runtime import build_bot
from bot.config import Settings
from bot.incoming import MessageRef, RoomRef
from bot.richtext import Document, render_plain
from storage.engine import Database, sqlite_url_for_path
from storage.signup_writer import signup_runner


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class PrintingMessenger:
    platform = "console"

    async def send(self, room: RoomRef, doc: Document, *, in_reply_to: MessageRef | None = None) -> MessageRef:
        print(json.dumps({"to": room.room_id, "text": render_plain(doc)}), flush=True)
        return MessageRef(room, "x")

    async def send_direct(self, user_id: str, doc: Document) -> MessageRef | None:
        print(json.dumps({"to": f"dm:{user_id}", "text": render_plain(doc)}), flush=True)
        return MessageRef(RoomRef("console", user_id), "x")

    async def send_private(self, room: RoomRef, user_id: str, doc: Document) -> None:
        await self.send_direct(user_id, doc)

    async def update(self, ref: MessageRef, doc: Document) -> None:
        pass

    async def send_file(self, room: RoomRef, filename: str, content: bytes, mimetype: str,
                        caption: Document) -> MessageRef:
        return await self.send(room, caption)


async def main(path: Path, moment: datetime, knocks: int) -> None:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(path)},
        "communities": [{"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"],
                         "digest_rooms": ["console"]}],
    })
    db = Database(settings.bot.database)
    runner = signup_runner(db)
    bot = await build_bot(settings, db, FixedClock(moment), runner)
    bot.attach(PrintingMessenger())
    for _ in range(knocks):
        await asyncio.gather(bot.send_due_reminders(), bot.post_due_digests())
    await runner.close()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])))
