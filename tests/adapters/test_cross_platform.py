"""One community on Matrix and Slack at once: a coffee table's seats and
waitlist are shared, whatever platform each member signs up from."""

from __future__ import annotations

from pathlib import Path

from adapters.matrix.translate import text_message
from adapters.runtime import running_core
from adapters.slack.translate import slash_command
from bot.config import Settings
from bot.incoming import Incoming
from storage.engine import sqlite_url_for_path
from tests.conftest import FakeClock
from tests.fakes import RecordingMessenger

MATRIX_ROOM, SLACK_CHANNEL = "!koffie:example.org", "C0KOFFIE01"


def matrix_says(sender: str, text: str, n: int) -> Incoming:
    source = {"type": "m.room.message", "sender": sender, "event_id": f"$ev{n}",
              "content": {"msgtype": "m.text", "body": text}}
    return text_message(MATRIX_ROOM, source, sender_name=sender.split(":")[0].lstrip("@"))


SLACK_NAMES = {"U0PIET0001": "piet", "U0SANNE001": "sanne"}


def slack_says(user: str, text: str, n: int) -> Incoming:
    return slash_command({"text": text, "user_id": user, "user_name": SLACK_NAMES[user], "channel_id": SLACK_CHANNEL,
                          "trigger_id": f"trigger{n}"})


async def test_seats_and_waitlist_are_shared_across_platforms(tmp_path: Path) -> None:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(tmp_path / "both.db")},
        "communities": [{"name": "Kenniscafé", "managers": ["@rene:example.org"],
                         "rooms": [MATRIX_ROOM, SLACK_CHANNEL]}],
    })
    async with running_core(settings, FakeClock()) as core:
        matrix, slack = RecordingMessenger("matrix"), RecordingMessenger("slack")
        core.attach(matrix)
        core.attach(slack)
        handle = core.handle_and_deliver
        await handle(matrix_says("@rene:example.org", "!kc event new Koffietafel | 2026-12-11 09:30 | Utrecht | 1", 1))
        await handle(matrix_says("@anna:example.org", "!kc join E1", 2))
        await handle(slack_says("U0PIET0001", "join E1", 3))
        await handle(slack_says("U0SANNE001", "aanmelden E1", 4))
        assert "You're in for E1 (1/1)." in matrix.texts()[-1]
        assert slack.texts()[-2:] == [
            "E1 is full; you're number 1 on the waitlist. I'll tell you when a seat frees up.",
            "E1 is full; you're number 2 on the waitlist. I'll tell you when a seat frees up.",
        ]
        await handle(matrix_says("@anna:example.org", "!kc leave E1", 5))
        assert ("dm:U0PIET0001", "A seat opened up: you're in for E1 Koffietafel — Fri 11 Dec 09:30, Utrecht (1/1).") \
            in slack.sent
        await handle(slack_says("U0PIET0001", "event E1", 6))
        assert "Going (1/1): piet" in slack.texts()[-1]
        assert "Waitlist: 1. sanne" in slack.texts()[-1]
        await handle(slack_says("U0SANNE001", "leave E1", 7))
        await handle(matrix_says("@anna:example.org", "!kc event E1", 8))
        assert "Going (1/1): piet" in matrix.texts()[-1] and "Waitlist" not in matrix.texts()[-1]
