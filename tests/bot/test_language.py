"""A community configured in Dutch is answered in Dutch."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import console_on, console_settings


async def test_dutch_community_gets_dutch_replies(tmp_path: Path) -> None:
    settings = console_settings(tmp_path / "nl.db", language="nl")
    async with console_on(tmp_path / "nl.db", settings=settings) as nl:
        text = "".join([
            await nl.say("!kc post Koffie | lekker #bonen"),
            await nl.say("!kc reageer #1 Mee eens"),
            await nl.say("!kc toon #1"),
            await nl.say("!kc zoek thee"),
            await nl.say("!kc afmeldn E1"),
        ])
    assert "Bewaard: #1 “Koffie” · #bonen" in text
    assert "Reactie toegevoegd aan #1 (1 reactie)" in text
    assert "#1 Koffie — door rene," in text
    assert "Niets gevonden voor “thee”" in text
    assert 'Onbekend commando "afmeldn". Bedoel je `leave`?' in text
