"""Who reads what an adapter writes before the core has seen the input:
the room's community (its time zone and language) and the member's own
language. Slack's new-coffee-table form is the one such place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import Bot
from bot.incoming import RoomRef


@dataclass(frozen=True)
class Readers:
    """``timezone`` and ``community_language`` read input (dates are read the
    community's way); ``language`` is what the member reads."""

    timezone: str
    community_language: str
    language: str


ReadersOf = Callable[[RoomRef, str | None], Awaitable[Readers | None]]


def readers_of(bot: Bot) -> ReadersOf:
    """The readers of a room (None: no community's room) and of one of its
    members (their own language if they chose one)."""

    async def lookup(room: RoomRef, user_id: str | None) -> Readers | None:
        community = bot.rooms.community_for(room)
        if community is None:
            return None
        chosen = await bot.repos.directory.language_of(room.platform, user_id) if user_id else None
        return Readers(community.timezone, community.language, chosen or community.language)

    return lookup
