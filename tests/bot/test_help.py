"""Help is generated from the command declarations, in the reader's
language: every command has a verb, a sentence and an example in every
language, the example is a command the bot accepts, and no usage line shows
an English word to a Dutch reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.commands.args import ArgError, TextArg
from bot.commands.registry import Registry
from bot.messages import MESSAGES, languages, say_text, verb
from tests.commands import every_command
from tests.conftest import console_on, console_settings

COMMANDS = every_command()
REGISTRY = Registry()
for _command in COMMANDS:
    REGISTRY.add(_command)


@pytest.mark.parametrize("language", languages())
def test_every_example_is_a_command_the_bot_accepts(language: str) -> None:
    problems = []
    for cmd in COMMANDS:
        assert cmd.spec.example_key in MESSAGES, f"no example for {cmd.name}"
        example = say_text(language, cmd.spec.example_key)
        found, used = REGISTRY.lookup(example.split()[:2])
        if found is not cmd:
            problems.append(f"{example!r} is not {cmd.name}")
            continue
        if " ".join(example.split()[:used]) != verb(language, cmd.name):
            problems.append(f"{example!r} does not use the {language} verb {verb(language, cmd.name)!r}")
        try:
            cmd.parse(example.split(None, used)[used] if len(example.split()) > used else "")
        except ArgError as refusal:
            problems.append(f"{example!r} is refused: {refusal.key}")
    assert problems == []


def test_every_word_of_a_usage_line_can_be_translated() -> None:
    words = {word for cmd in COMMANDS for arg in cmd.spec.args for word in re.findall(r"<([a-z]+)>", arg.usage())}
    # a text argument is named <name> when it is missing or too long
    words |= {arg.name for cmd in COMMANDS for arg in cmd.spec.args if isinstance(arg, TextArg)}
    assert sorted(w for w in words if f"term.{w}" not in MESSAGES) == []
    assert all(say_text("en", f"term.{w}") == w for w in words)


def test_a_dutch_usage_line_has_no_english_placeholder() -> None:
    translated = {key.removeprefix("term."): say_text("nl", key) for key in MESSAGES if key.startswith("term.")}
    english = {word for word, dutch in translated.items() if dutch != word}
    for cmd in COMMANDS:
        shown = " ".join(cmd.shape("nl")[1:])
        assert set(re.findall(r"[a-z]+", shown)) & english == set(), f"{cmd.name}: {shown}"


async def test_help_for_one_command_in_each_language(tmp_path: Path) -> None:
    async with console_on(tmp_path / "en.db") as en:
        english = await en.say("!kc help event cancel")
    assert "`!kc event cancel E<event> [<reason>]` — cancel a coffee table (organizers)" in english
    assert "Example: `!kc event cancel E3 the host is ill`" in english
    assert "Needs the organizer role (or a higher one)." in english
    settings = console_settings(tmp_path / "nl.db", language="nl")
    async with console_on(tmp_path / "nl.db", settings=settings) as nl:
        dutch = await nl.say("!kc hulp event afgelast")
        same = await nl.say("!kc help event cancel")  # the English verbs work in Dutch too
        listing = await nl.say("!kc hulp")
    assert "`!kc event afgelast E<nummer> [<reden>]` — een koffietafel afgelasten (organisatoren)" in dutch
    assert "Voorbeeld: `!kc event afgelast E3 de gastvrouw is ziek`" in dutch
    assert "Vereist de rol organisator (of hoger)." in dutch
    assert same.split("bot: ", 1)[1] == dutch.split("bot: ", 1)[1]
    assert "`aanmelden E<nummer>` — aanmelden (of reageer ✅ op de aankondiging)" in listing
    assert "`!kc hulp <opdracht>`" in listing


async def test_an_unknown_command_is_echoed_short(tmp_path: Path) -> None:
    async with console_on(tmp_path / "long.db") as en:
        for line in ("!kc help " + "ab*" * 100, "!kc " + "x" * 5000):
            answer = await en.say(line)
            assert "Unknown command" in answer and len(answer.split("bot: ", 1)[1]) < 200
