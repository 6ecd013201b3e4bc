"""Reminders before coffee tables: to every attendee and the announcement rooms."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain import CommunityInfo, DueReminder
from bot.messages import say
from bot.outgoing import DirectNotice, Kind, Outgoing
from bot.ports import Schedule
from bot.richtext import Document, document
from bot.services.events import event_ref
from bot.timefmt import format_duration, format_when

log = logging.getLogger(__name__)

Send = Outgoing | DirectNotice


class ReminderService:
    """Turns what the database says is due into messages, once."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    async def due(self, community: CommunityInfo, now: datetime) -> tuple[int, list[Send]]:
        """Claim the community's reminders due at ``now`` (in the caller's
        transaction) and the messages that carry them: one per attendee and
        per announcement room, each keyed so it is stored once, and worth
        sending only until the table starts. Also how many reminders."""
        claimed = await self.schedule.claim_due_reminders(community.id, community.reminders, now)
        sends: list[Send] = []
        for reminder in claimed:
            sends.extend(self._messages(community, reminder, now))
        return len(claimed), sends

    @staticmethod
    def _messages(community: CommunityInfo, reminder: DueReminder, now: datetime) -> list[Send]:
        event = reminder.event

        def doc(language: str) -> Document:
            return document(say(language, "reminder.text", ref=event_ref(event.number), title=event.title,
                                left=format_duration(event.starts_at - now, language),
                                when=format_when(event.starts_at, community.timezone, language, now),
                                where=event.location))

        if reminder.late:
            log.info("sending the %s reminder of E%s late", reminder.offset, event.number)
        key = f"reminder:{event.id}:{int(reminder.offset.total_seconds())}:{event.starts_at.isoformat()}"
        sends: list[Send] = [
            DirectNotice(member_id, doc, key=f"{key}:member:{member_id}", expires_at=event.starts_at)
            for member_id in reminder.attendees
        ]
        sends += [
            Outgoing(platform, Kind.ROOM, doc(community.language), room_id=room_id, key=f"{key}:room:{platform}:{room_id}",
                     expires_at=event.starts_at)
            for platform, room_id in reminder.rooms
        ]
        return sends
