"""Reminders before coffee tables: to every attendee and the announcement rooms."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.domain import CommunityInfo, DueReminder
from bot.incoming import RoomRef
from bot.messages import say
from bot.ports import Schedule
from bot.richtext import Document, document
from bot.services.events import event_ref
from bot.timefmt import format_when

log = logging.getLogger(__name__)

SendDirect = Callable[[int, Document], Awaitable[None]]
SendToRoom = Callable[[RoomRef, Document], Awaitable[None]]


def time_left(delta: timedelta) -> str:
    """``24 h``, ``1 h``, ``3 h 20 min``, ``45 min``: rounded to minutes."""
    minutes = max(0, round(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


class ReminderService:
    """Sends what the database says is due, once."""

    def __init__(self, schedule: Schedule, send_direct: SendDirect, send_to_room: SendToRoom) -> None:
        self.schedule = schedule
        self.send_direct = send_direct
        self.send_to_room = send_to_room

    async def send_due(self, communities: Sequence[CommunityInfo], now: datetime) -> int:
        """Send every reminder due at ``now``; how many were sent."""
        sent = 0
        for community in communities:
            for reminder in await self.schedule.claim_due_reminders(community.id, community.reminders, now):
                await self._send(community, reminder, now)
                sent += 1
        return sent

    async def _send(self, community: CommunityInfo, reminder: DueReminder, now: datetime) -> None:
        event = reminder.event
        doc = document(say(community.language, "reminder.text", ref=event_ref(event.number), title=event.title,
                           left=time_left(event.starts_at - now),
                           when=format_when(event.starts_at, community.timezone, community.language),
                           where=event.location))
        if reminder.late:
            log.info("sending the %s reminder of E%s late", reminder.offset, event.number)
        for member_id in reminder.attendees:
            await self.send_direct(member_id, doc)
        for platform, room_id in reminder.rooms:
            await self.send_to_room(RoomRef(platform, room_id), doc)
