"""What an operator's health check and metrics read from the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, text
from sqlmodel import col, select

from storage.engine import Database
from storage.models import OutboxMessage
from storage.repositories.outbox import PENDING


class SqlHealth:
    """The database answers, and how full the outbox is."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def ping(self) -> None:
        """``SELECT 1``; raises when the database cannot be reached."""
        async with self.db.read(detached=True) as session:
            await session.execute(text("SELECT 1"))

    async def outbox_depth(self) -> tuple[dict[str, int], datetime | None]:
        """Rows per state (pending, sent, failed, expired), and when the
        oldest pending row was stored (None when nothing waits)."""
        async with self.db.read(detached=True) as session:
            counts = {status: int(n) for status, n in await session.execute(
                select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status)))}
            oldest = (await session.execute(
                select(func.min(OutboxMessage.created_at)).where(col(OutboxMessage.status) == PENDING)
            )).scalar()
        if isinstance(oldest, str):  # SQLite may hand back the stored text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return counts, oldest
