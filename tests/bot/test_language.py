"""A community configured in Dutch is answered in Dutch."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console.adapter import ConsoleAdapter
from adapters.runtime import build_bot
from bot.config import Settings
from bot.messages import CATALOG
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path


async def test_dutch_community_gets_dutch_replies(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "bot": {"database": sqlite_url_for_path(tmp_path / "nl.db")},
            "communities": [{"name": "Kenniscafé", "language": "nl", "managers": ["rene"]}],
        }
    )
    db = Database(settings.bot.database)
    bot = await build_bot(settings, db, SystemClock())
    out = io.StringIO()
    console = ConsoleAdapter(bot.handle, out, "rene")
    bot.attach(console)
    for line in ("!kc post Koffie | lekker #bonen", "!kc reageer #1 Mee eens", "!kc toon #1", "!kc zoek thee", "!kc afmelden"):
        await console.handle_line(line)
    await db.dispose()
    text = out.getvalue()
    assert "Bewaard: #1 “Koffie” · #bonen" in text
    assert "Reactie toegevoegd aan #1 (1 reactie)" in text
    assert "#1 Koffie — door rene," in text
    assert "Niets gevonden voor “thee”" in text
    assert 'Onbekend commando "afmelden"' in text


def test_every_sentence_has_english_and_dutch() -> None:
    missing = [key for key, forms in CATALOG.items() if not forms.get("en") or not forms.get("nl")]
    assert missing == []
