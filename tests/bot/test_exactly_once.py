"""Inbound events delivered more than once are answered once."""

from __future__ import annotations

from pathlib import Path

from bot.incoming import Actor, MessageReceived, MessageRef, MessageUnreadable, RoomRef
from tests.conftest import Transcript, console_on, console_settings

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


async def test_an_unreadable_message_gets_one_line_in_the_community_language(tmp_path: Path) -> None:
    """An encrypted message the bot never got the key for (reported by the
    Matrix adapter) is answered once, in plain words, whoever reports it again."""
    settings = console_settings(tmp_path / "nl.db", language="nl")
    async with console_on(tmp_path / "nl.db", settings=settings) as nl:
        unreadable = MessageUnreadable(Actor("console", "anna", "anna"), MessageRef(ROOM, "$sealed"),
                                       event_id="$sealed")
        for _ in range(2):
            await nl.bot.handle(unreadable)
        await nl.delivered()
        output = nl.out.getvalue()
    assert output.count("Ik kon je bericht niet lezen") == 1
    assert "Stuur het alsjeblieft opnieuw" in output and "misgegaan" not in output
