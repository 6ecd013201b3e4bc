"""Inbound events delivered more than once are answered once."""

from __future__ import annotations

from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from tests.conftest import Transcript

ROOM = RoomRef("console", "console")


async def test_a_repeated_event_id_gets_one_reply(transcript: Transcript) -> None:
    message = MessageReceived(
        sender=Actor("console", "anna", "anna"),
        ref=MessageRef(ROOM, "ext-1"),
        text="!kc post Once | only once",
        event_id="$event-1",
    )
    for _ in range(3):
        await transcript.bot.handle(message)
    await transcript.delivered()
    output = transcript.out.getvalue()
    assert output.count("Saved #") == 1
    assert "No posts yet" not in await transcript.say("!kc recent")


async def test_messages_in_rooms_of_no_community_are_ignored(transcript: Transcript) -> None:
    stray = MessageReceived(
        sender=Actor("console", "anna", "anna"),
        ref=MessageRef(RoomRef("console", "elsewhere"), "x"),
        text="!kc help",
    )
    assert await transcript.bot.handle(stray) == []
    await transcript.delivered()
    assert transcript.out.getvalue() == ""
