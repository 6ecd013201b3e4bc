"""One person on Matrix and on Slack links both accounts and becomes one
member: a code asked for on one platform, typed on the other."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.runtime import Core, running_core
from bot.config import Settings
from storage.repositories.web_access import SqlWebAccess
from storage.repositories.web_pages import SqlWebPages
from storage.transfer import export_community
from tests.adapters.test_cross_platform import (
    MATRIX_ROOM,
    SLACK_CHANNEL,
    SLACK_NAMES,
    matrix_says,
    slack_says,
)
from tests.conftest import FakeClock
from tests.fakes import RecordingMessenger

SLACK_NAMES.setdefault("U0ANNA0001", "anna")
ANNA_MATRIX, ANNA_SLACK = "@anna:example.org", "U0ANNA0001"


def _reply(messenger: RecordingMessenger) -> str:
    """The latest answer in the room or privately (not a notice by DM)."""
    return next(text for where, text in reversed(messenger.sent) if not where.startswith("dm:"))


class Both:
    """The core with a recording messenger per platform."""

    def __init__(self, core: Core, clock: FakeClock) -> None:
        self.core, self.clock = core, clock
        self.matrix, self.slack = RecordingMessenger("matrix"), RecordingMessenger("slack")
        core.attach(self.matrix)
        core.attach(self.slack)
        self._n = 0

    async def on_matrix(self, sender: str, text: str) -> str:
        self._n += 1
        await self.core.handle_and_deliver(matrix_says(sender, text, self._n))
        return _reply(self.matrix)

    async def on_slack(self, user: str, text: str) -> str:
        self._n += 1
        await self.core.handle_and_deliver(slack_says(user, text, self._n))
        return _reply(self.slack)

    async def code_on_matrix(self, sender: str) -> str:
        """Ask for a link code on Matrix; the code, seen privately."""
        await self.on_matrix(sender, "!kc link")
        where, text = self.matrix.sent[-1]
        assert where == f"private:{sender}", "a link code is for the asker's eyes only"
        found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", text)
        assert found, text
        return found.group(0)


@pytest.fixture
async def both(database_url: str) -> AsyncIterator[Both]:
    settings = Settings.model_validate({
        "bot": {"database": database_url, "commands_per_minute": 0},
        "communities": [{"name": "Kenniscafé", "managers": ["@rene:example.org"],
                         "rooms": [MATRIX_ROOM, SLACK_CHANNEL]}],
    })
    clock = FakeClock()
    async with running_core(settings, clock) as core:
        yield Both(core, clock)


async def test_linked_accounts_share_one_sign_up_and_nobody_loses_a_seat(both: Both) -> None:
    await both.on_matrix("@rene:example.org", "!kc event new Koffietafel | 2026-12-11 09:30 | Utrecht | 2")
    await both.on_matrix(ANNA_MATRIX, "!kc join E1")
    await both.on_slack(ANNA_SLACK, "join E1")
    assert "You're in for E1 (2/2)." in both.slack.texts()[-1]
    await both.on_slack("U0PIET0001", "join E1")

    code = await both.code_on_matrix(ANNA_MATRIX)
    reply = await both.on_slack(ANNA_SLACK, f"link {code.lower()}")
    assert reply == "Linked: you on Slack and on Matrix are one member now."
    assert ("dm:U0PIET0001", "A seat opened up: you're in for E1 Koffietafel — Fri 11 Dec 09:30, Utrecht (2/2).") \
        in both.slack.sent
    listing = await both.on_matrix(ANNA_MATRIX, "!kc event E1")
    assert "Going (2/2): anna, piet" in listing
    assert "Waitlist" not in listing


async def test_a_seat_kept_when_one_account_was_waitlisted(both: Both) -> None:
    await both.on_matrix("@rene:example.org", "!kc event new Koffietafel | 2026-12-11 09:30 | Utrecht | 1")
    await both.on_slack("U0PIET0001", "join E1")
    await both.on_slack(ANNA_SLACK, "join E1")
    await both.on_matrix(ANNA_MATRIX, "!kc join E1")
    code = await both.code_on_matrix(ANNA_MATRIX)
    await both.on_slack(ANNA_SLACK, f"link {code}")
    listing = await both.on_slack("U0PIET0001", "event E1")
    assert "Going (1/1): piet" in listing
    assert "Waitlist: 1. anna" in listing and "2." not in listing


async def test_linked_member_keeps_posts_and_the_higher_role(both: Both) -> None:
    await both.on_matrix(ANNA_MATRIX, "!kc help")
    assert await both.on_matrix("@rene:example.org", "!kc role @anna:example.org organizer") == \
        "anna is now organizer."
    await both.on_slack(ANNA_SLACK, "post Sourdough starters need a warm spot #baking")
    code = await both.code_on_matrix(ANNA_MATRIX)
    await both.on_slack(ANNA_SLACK, f"link {code}")
    assert "anna (organizer) — on Matrix, Slack" in await both.on_slack(ANNA_SLACK, "me")
    who = await both.on_slack("U0PIET0001", "who baking")
    assert "anna" in who
    # Opening a table needs the organizer role, now held on Slack too.
    reply = await both.on_slack(ANNA_SLACK, "event new Brood | 2026-12-12 10:00 | Zeist | 6")
    assert reply.startswith("E1 Brood")


async def test_codes_are_single_use_expire_and_cannot_be_guessed(both: Both) -> None:
    code = await both.code_on_matrix(ANNA_MATRIX)
    assert await both.on_slack("U0PIET0001", f"link {code}") == \
        "Linked: you on Slack and on Matrix are one member now."
    assert (await both.on_slack(ANNA_SLACK, f"link {code}")).startswith("That code is unknown or has expired.")

    old = await both.code_on_matrix("@bert:example.org")
    both.clock.advance(timedelta(minutes=11))
    assert (await both.on_slack(ANNA_SLACK, f"link {old}")).startswith("That code is unknown or has expired.")

    fresh = await both.code_on_matrix("@bert:example.org")
    for guess in ["AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD"]:
        assert (await both.on_slack(ANNA_SLACK, f"link {guess}")).startswith("That code is unknown")
    assert await both.on_slack(ANNA_SLACK, f"link {fresh}") == \
        "Too many wrong codes: wait ten minutes, then ask for a new one."


async def test_code_typed_where_it_was_asked_for(both: Both) -> None:
    code = await both.code_on_matrix(ANNA_MATRIX)
    assert await both.on_matrix(ANNA_MATRIX, f"!kc link {code}") == \
        "Type the code on your other platform, not on Matrix where you asked for it."


async def test_unlink_gives_the_account_a_member_of_its_own(both: Both) -> None:
    assert await both.on_slack(ANNA_SLACK, "unlink") == "This account is not linked to another."
    await both.on_matrix(ANNA_MATRIX, "!kc me interests baking")
    code = await both.code_on_matrix(ANNA_MATRIX)
    await both.on_slack(ANNA_SLACK, f"link {code}")
    assert "baking" in await both.on_slack(ANNA_SLACK, "me")
    assert await both.on_slack(ANNA_SLACK, "unlink") == \
        "Unlinked: this Slack account is a member of its own again."
    assert "baking" not in await both.on_slack(ANNA_SLACK, "me")
    assert "baking" in await both.on_matrix(ANNA_MATRIX, "!kc me")


async def test_forgetting_a_linked_member_leaves_no_trace_of_either_account(both: Both) -> None:
    await both.on_matrix(ANNA_MATRIX, "!kc me expertise koffie")
    code = await both.code_on_matrix(ANNA_MATRIX)
    await both.on_slack(ANNA_SLACK, f"link {code}")
    await both.on_slack(ANNA_SLACK, "post Koffie zetten | met een V60 #koffie")
    assert "To go ahead, type `!kc me forget confirm`." in await both.on_slack(ANNA_SLACK, "me forget")
    assert (await both.on_slack(ANNA_SLACK, "me forget confirm")).startswith("Done: your personal data is erased.")
    document = await export_community(both.core.db)
    text = json.dumps(document, ensure_ascii=False)
    for trace in ("anna", ANNA_MATRIX, ANNA_SLACK):
        assert trace not in text
    assert "a former member" in await both.on_matrix("@rene:example.org", "!kc show #1")


async def test_a_web_session_follows_the_merged_member_and_forgetting_signs_out(both: Both) -> None:
    """Signed in on the web as the Slack account, anna links it to Matrix:
    her browser stays signed in (as the one member); erasing her data ends
    every session, unused sign-in link and record of what she read."""
    access = SqlWebAccess(both.core.db)
    now = both.clock.now()
    await both.on_matrix(ANNA_MATRIX, "!kc post Koffie | tekst")
    await both.on_slack(ANNA_SLACK, "help")
    slack_member = await both.core.bot.repos.directory.find_member(1, ANNA_SLACK)
    assert slack_member is not None
    await access.add_session("session-of-anna-on-slack", slack_member.id, now, now + timedelta(days=1))
    await access.add_sign_in("link-of-anna-on-slack", slack_member.id, now, now + timedelta(minutes=15))
    await SqlWebPages(both.core.db).viewed(1, slack_member.id, "2026-11-28")
    code = await both.code_on_matrix(ANNA_MATRIX)
    await both.on_slack(ANNA_SLACK, f"link {code}")
    merged = await both.core.bot.repos.directory.find_member(1, ANNA_MATRIX)
    assert merged is not None
    assert await access.session_member("session-of-anna-on-slack", now) == merged.id
    assert (await access.memberships(merged.id))[1].display_name == "anna"
    await both.on_slack(ANNA_SLACK, "me forget confirm")
    assert await access.session_member("session-of-anna-on-slack", now) is None
    assert await access.use_sign_in("link-of-anna-on-slack", now) is None
    assert await SqlWebPages(both.core.db).viewed(1, None, "2026-11-28") == 0
