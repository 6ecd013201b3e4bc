"""Exactly-once bookkeeping (inbound event ids) and reading message anchors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select

from bot.domain import Anchor
from bot.incoming import MessageRef
from storage.engine import Database
from storage.models import Event, MessageAnchor, Post, ProcessedInbound
from storage.sql import Sql, stamp


class SqlLedger:
    """The Ledger port on the database: unique keys decide what happens once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim_inbound(self, platform: str, event_id: str, at: datetime) -> bool:
        """In the current unit of work: True the first time an inbound event
        id is claimed, False for repeats (also when another process claimed
        it at the same moment: its commit makes ours wait, then conflict)."""
        async with self.db.write() as session:
            claimed = await (await Sql.of(session)).all(
                "INSERT INTO processedinbound (platform, event_id, received_at) VALUES (:platform, :event, :at) "
                "ON CONFLICT (platform, event_id) DO NOTHING RETURNING id",
                {"platform": platform, "event": event_id, "at": stamp(session, at)},
            )
            return bool(claimed)

    async def forget_inbound(self, before: datetime) -> int:
        """Forget inbound event ids claimed before ``before``; how many."""
        async with self.db.write() as session:
            result = await session.execute(delete(ProcessedInbound).where(col(ProcessedInbound.received_at) < before))
            return int(getattr(result, "rowcount", 0) or 0)

    async def find_anchor(self, ref: MessageRef) -> Anchor | None:
        """What a message stands for, if it is one of the bot's anchors."""
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(MessageAnchor.post_id, MessageAnchor.event_id, Post.number, Event.number)
                    .outerjoin(Post, col(Post.id) == MessageAnchor.post_id)
                    .outerjoin(Event, col(Event.id) == MessageAnchor.event_id)
                    .where(
                        MessageAnchor.platform == ref.room.platform,
                        MessageAnchor.room_external_id == ref.room.room_id,
                        MessageAnchor.message_id == ref.message_id,
                    )
                )
            ).first()
        if row is None:
            return None
        post_id, event_id, post_number, event_number = row
        return Anchor(post_id, post_number, event_id, event_number)
