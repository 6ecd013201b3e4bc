"""The events repository, noting each join's outcome for the observer."""

from __future__ import annotations

from datetime import datetime

from bot.domain import SignupResult
from bot.observe import note
from storage.repositories.events import SqlEvents


class NotingEvents(SqlEvents):
    """:class:`SqlEvents` that notes every join on the unit of work in hand;
    the core counts the notes of units that committed (bot/observe.py)."""

    async def join(self, community_id: int, number: int, member_id: int, now: datetime) -> SignupResult:
        result = await super().join(community_id, number, member_id, now)
        note("signup", result.outcome)
        return result
