"""Every coffee-table command, by every kind of member, in every state of a
table: the answer each should get, as one table."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.runtime import Core, running_core
from bot.config import Settings
from bot.domain import Role
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from storage.engine import sqlite_url_for_path
from tests.conftest import FakeClock
from tests.fakes import RecordingMessenger

HOME, ELSEWHERE = RoomRef("console", "console"), RoomRef("console", "other")
STATES = ("open", "closed", "cancelled", "started", "ended")
ROLES = ("member", "organizer", "manager", "other community")
WHO = {"member": "mia", "organizer": "olga", "manager": "rene", "other community": "bert"}

# command → (for organizers only?, does the actor sign up first?, the answer in each state)
TABLE: dict[str, tuple[bool, bool, dict[str, str]]] = {
    "join {e}": (False, False, {
        "open": "You're in for {e}", "closed": "Sign-ups for {e} are closed.", "cancelled": "{e} has been cancelled.",
        "started": "{e} has already started", "ended": "{e} is over."}),
    "leave {e}": (False, True, {
        "open": "You've left {e}", "closed": "You've left {e}", "cancelled": "{e} has been cancelled.",
        "started": "{e} has already started", "ended": "{e} is over."}),
    "interested {e}": (False, False, dict.fromkeys(STATES, "Noted: I'll tell you when the next {e}")),
    "event {e}": (False, False, dict.fromkeys(STATES, "{e} Koffie —")),
    "ics {e}": (False, False, dict.fromkeys(STATES, "Calendar file for {e} Koffie")),
    "event edit {e} title Thee": (True, False, {
        "open": "{e} updated: the title is now “Thee”", "closed": "{e} updated: the title is now “Thee”",
        "cancelled": "{e} has been cancelled.", "started": "{e} has already started", "ended": "{e} is over."}),
    "event close {e}": (True, False, {
        "open": "Sign-ups for {e} are now closed.", "closed": "Sign-ups for {e} were already closed.",
        "cancelled": "{e} has been cancelled.", "started": "{e} has already started", "ended": "{e} is over."}),
    "event open {e}": (True, False, {
        "open": "Sign-ups for {e} are already open.", "closed": "Sign-ups for {e} are open again.",
        "cancelled": "{e} has been cancelled.", "started": "{e} has already started", "ended": "{e} is over."}),
    "event cancel {e} regen": (True, False, {
        "open": "{e} is cancelled;", "closed": "{e} is cancelled;", "cancelled": "{e} was already cancelled.",
        "started": "{e} has already started", "ended": "{e} is over."}),
    "event again {e} 2031-02-03 10:00": (True, False, dict.fromkeys(STATES, "Koffie — Mon 3 Feb")),
}
_ids = itertools.count(1)


def expected(command: str, role: str, state: str, number: int) -> str:
    """The roles are checked first (a member of the other community is a plain
    member there), then whether the table exists in the asker's community,
    then its state."""
    organizers_only, _, answers = TABLE[command]
    if organizers_only and role in ("member", "other community"):
        return "Only organizers can use"
    if role == "other community":
        return f"There is no coffee table E{number}."
    return answers[state].format(e=f"E{number}")


class Community:
    """Two communities on one console platform; the clock moves per case."""

    def __init__(self, core: Core, messenger: RecordingMessenger, clock: FakeClock) -> None:
        self.core, self.messenger, self.clock = core, messenger, clock

    async def say(self, user: str, text: str, room: RoomRef = HOME) -> str:
        before = len(self.messenger.sent)
        await self.core.handle_and_deliver(MessageReceived(
            Actor("console", user, user), MessageRef(room, f"m{next(_ids)}"), "!kc " + text, event_id=f"e{next(_ids)}"))
        replies = [text for where, text in self.messenger.sent[before:] if where == room.room_id]
        assert len(replies) == 1, replies
        return replies[0]

    async def table_in(self, state: str, signed_up: str | None) -> int:
        """A new table in ``state`` (with ``signed_up`` on it); its number."""
        starts = self.clock.now() + timedelta(days=1)
        local = starts.astimezone(ZoneInfo("Europe/Amsterdam"))
        answer = await self.say("rene", f"event new Koffie | {local:%Y-%m-%d %H:%M} | Utrecht | 10")
        number = int(answer.split()[0].lstrip("E"))
        await self.say("anna", f"join E{number}")
        if signed_up:
            await self.say(signed_up, f"join E{number}")
        if state == "closed":
            await self.say("rene", f"event close E{number}")
        elif state == "cancelled":
            await self.say("rene", f"event cancel E{number}")
        elif state == "started":
            self.clock.advance(timedelta(days=1, hours=1))
        elif state == "ended":
            self.clock.advance(timedelta(days=1, hours=13))
        return number


@asynccontextmanager
async def two_communities(tmp_path: Path) -> AsyncIterator[Community]:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(tmp_path / "table.db"), "commands_per_minute": 0},
        "communities": [{"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"]},
                        {"name": "Elders", "managers": ["ella"], "rooms": ["other"]}],
    })
    clock = FakeClock()
    async with running_core(settings, clock) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        home = core.bot.communities[0].id
        await core.bot.repos.directory.ensure_member(home, Actor("console", "olga", "olga"), at_least=Role.ORGANIZER)
        yield Community(core, messenger, clock)


@pytest.mark.parametrize("state", STATES)
async def test_every_command_by_every_role_in_every_state(tmp_path: Path, state: str) -> None:
    async with two_communities(tmp_path) as place:
        misses = []
        for command, (_, sign_up_first, _) in TABLE.items():
            for role in ROLES:
                user = WHO[role]
                home = role != "other community"
                number = await place.table_in(state, user if sign_up_first and home else None)
                room = HOME if home else ELSEWHERE
                answer = await place.say(user, command.format(e=f"E{number}"), room)
                want = expected(command, role, state, number)
                if want not in answer:
                    misses.append(f"{command!r} by {role} when {state}: wanted {want!r}, got {answer!r}")
        assert not misses, "\n".join(misses)
