"""Bad input gets one clear line, and the bot goes on."""

from __future__ import annotations

import pytest

from tests.conftest import Transcript


def bot_lines(output: str) -> list[str]:
    """The bot's message lines in some console output."""
    return [line for line in output.splitlines() if "] bot:" in line]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("!kc shwo #1", 'Unknown command "shwo". Did you mean `show`? `!kc help` lists all.'),
        ("!kc xyzzy", 'Unknown command "xyzzy". `!kc help` lists all.'),
        ("!kc", "What can I do for you? `!kc help` lists all commands."),
        ("!kc show", "Missing #<post>. Usage: `!kc show #<post>`"),
        ("!kc show twelve", '"twelve" is not a post id; write it like #12. Usage: `!kc show #<post>`'),
        ("!kc show #1 #2", 'Unexpected "#2". Usage: `!kc show #<post>`'),
        ("!kc show #999", "There is no post #999. `!kc recent` shows the newest."),
        ("!kc comment #999 hi", "There is no post #999."),
        ("!kc comment #1", "Missing <text>. Usage: `!kc comment #<post> <text>`"),
        ("!kc post", "Missing <title>. Usage: `!kc post <title> | <body> [#tag …]`"),
        ("!kc post | only a body", "Missing <title>."),
        ("!kc search", "Missing <words>. Usage: `!kc search <words> [#tag] [@member]`"),
        ("!kc recent #a #b", "Give at most one tag."),
        ("!kc recent coffee", '"coffee" is not a tag; tags look like #coffee.'),
        ("!kc help nonsense", 'Unknown command "nonsense".'),
    ],
)
async def test_one_clear_line(transcript: Transcript, typed: str, expected: str) -> None:
    await transcript.say("!kc post Existing | post")
    lines = bot_lines(await transcript.say(typed))
    assert len(lines) == 1
    assert expected in lines[0]


async def test_commands_are_case_insensitive_and_ids_take_both_forms(transcript: Transcript) -> None:
    await transcript.say("!kc post Existing | post")
    assert "#1 Existing" in await transcript.say("!KC SHOW 1")


async def test_messages_without_the_prefix_get_no_reply(transcript: Transcript) -> None:
    for text in ("hello", "!kcx help", "I said !kc help yesterday", "   "):
        assert bot_lines(await transcript.say(text)) == []


async def test_a_100kb_message_is_refused_in_one_line(transcript: Transcript) -> None:
    lines = bot_lines(await transcript.say("!kc post Big | " + "x" * 100_000))
    assert lines == ["[m2] bot: That message is too long (100,015 characters); the limit is 20,000."]
    assert "No posts yet" in await transcript.say("!kc recent")


async def test_a_100kb_chat_message_is_ignored(transcript: Transcript) -> None:
    assert bot_lines(await transcript.say("y" * 100_000)) == []


async def test_odd_unicode_is_stored_and_shown_sanely(transcript: Transcript) -> None:
    title = "Ko\u200bffie \u202ecilbup\u202c ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301"
    reply = await transcript.say(f"!kc post {title} | body \u0000 with NUL")
    assert "Saved #1 “Koffie cilbup ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 é”" in reply
    assert "#1 Koffie cilbup" in await transcript.say("!kc search koffie")


async def test_member_without_the_role_is_refused(transcript: Transcript) -> None:
    await transcript.say("!kc post Anna's | text", as_user="anna")
    assert bot_lines(await transcript.say("!kc remove #1", as_user="piet")) == [
        "[m4] bot: Only the author of #1 or a manager can remove it."
    ]


async def test_a_failing_command_reports_without_a_traceback(transcript: Transcript, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_args: object, **_kwargs: object) -> list[object]:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(transcript.bot.repos.archive, "recent", broken)
    output = await transcript.say("!kc recent")
    assert bot_lines(output) == [
        "[m2] bot: Sorry, something went wrong handling `!kc recent`. It has been logged; please try again."
    ]
    assert "Traceback" not in output and "fire" not in output
    assert "Saved #1" in await transcript.say("!kc post Still | working")
