"""Small durable values adapters keep: sync tokens, device ids, DM rooms."""

from __future__ import annotations

from bot.ports import Clock
from storage.engine import Database
from storage.models import AdapterState


class SqlAdapterState:
    """A key-value store in the ``adapterstate`` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, if any."""
        async with self.db.read() as session:
            row = await session.get(AdapterState, key)
            return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (replacing what was there)."""
        async with self.db.write() as session:
            row = await session.get(AdapterState, key)
            if row is None:
                session.add(AdapterState(key=key, value=value, updated_at=self.clock.now()))
            else:
                row.value, row.updated_at = value, self.clock.now()

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        async with self.db.write() as session:
            row = await session.get(AdapterState, key)
            if row is not None:
                await session.delete(row)
