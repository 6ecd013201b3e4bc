"""A hostile world: wrong, huge and malicious input gets one clear answer,
never a crash, never silence, never a markup or mention injection."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.matrix.render import render_html
from adapters.runtime import Core, running_core
from adapters.slack.render import message_args
from bot.config import Settings
from bot.incoming import Actor, MessageReceived, MessageRef, RoomRef
from bot.outgoing import Kind, Queued
from tests.conftest import FakeClock, Transcript, console_on
from tests.fakes import RecordingMessenger

INTERNAL_ERROR = "something went wrong"


def bot_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "] bot" in line]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("!kc event edit E1 capacity abc", '"abc" is not a capacity; give a whole number from 1 to 10,000'),
        ("!kc event edit E1 capacity 0", '"0" is not a capacity'),
        ("!kc event edit E1 capacity -1", '"-1" is not a capacity'),
        ("!kc event edit E1 capacity 12345678901234567890", "is not a capacity"),
        ("!kc event edit E1 capacity ²", '"²" is not a capacity'),
        ("!kc event new Borrel | 2030-01-01 17:00 | Café | ²", '"²" is not a capacity'),
        ("!kc event new Borrel | 2030-01-01 17:00 | Café | 99999999999999999999", "is not a capacity"),
        ("!kc event new Borrel | 2030-01-01 17:00 | Café | 5 | 6", 'Unexpected "6"'),
        ("!kc event new A | 2030-01-01 17:00 | B | 5 | from E1 | x", "That is 6 parts between |"),
        ("!kc event new " + "T" * 201 + " | 2030-01-01 17:00 | B", "<title> is 201 characters long; the limit is 200"),
        ("!kc event new T | 2030-01-01 17:00 | " + "W" * 300, "<where> is 300 characters long"),
        ("!kc event cancel E1 " + "r" * 501, "<reason> is 501 characters long; the limit is 500"),
        ("!kc post " + "x" * 250, "The title is 250 characters long; the limit is 200. Put the rest after a |"),
        ("!kc search " + " ".join(f"w{i}" for i in range(11)), "Search for at most 10 words"),
        ("!kc recent #" + "t" * 60, "is not a tag"),
        ("!kc show #١٢", "is not a post id"),
        ("!kc stats ²", '"²" is not a number of weeks'),
        ("!kc stats 27", "from 1 to 26"),
        ("!kc me interests " + ", ".join(f"t{i}" for i in range(11)), "At most 10 topics"),
        ("!kc who " + "w" * 51, "<topic> is 51 characters long; the limit is 50"),
        ("!kc role @nobody manager", 'I don\'t know "@nobody"'),
        ("!kc role rene boss", "member, organizer or manager"),
        ("!kc " + "x " * 15_000, "That message is too long"),
    ],
)
async def test_bad_arguments_get_their_reason_and_the_usage(transcript: Transcript, typed: str, expected: str) -> None:
    await transcript.say("!kc event new Koffie | 2030-01-11 09:30 | Utrecht | 5")
    lines = bot_lines(await transcript.say(typed))
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert INTERNAL_ERROR not in lines[0]


async def test_user_text_is_stored_clean(transcript: Transcript) -> None:
    typed = "!kc post Evil\u202e\u0000title\ud800 | body \x1b[2J and \x07 bell"
    await transcript.say(typed)
    shown = await transcript.say("!kc show #1")
    assert "#1 Eviltitle\ufffd — by rene" in shown  # bidi override and NUL gone, lone surrogate replaced
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "body [2J and  bell" in shown


async def test_the_console_never_writes_a_raw_control_character(transcript: Transcript) -> None:
    out = await transcript.say("clear the screen: \x1b[2J\x1b[H and ring \x07")
    assert "\x1b" not in out and "\x07" not in out
    assert "clear the screen: ^[[2J^[[H and ring ^G" in out


async def test_the_bots_own_messages_are_not_archived(transcript: Transcript) -> None:
    await transcript.say("!kc help")
    bot_message = transcript.ref_of("Commands (type")
    answer = await transcript.say(f"/reply {bot_message} !kc save")
    assert "I don't archive my own messages" in answer
    assert "No posts yet" in await transcript.say("!kc recent")


async def test_a_table_that_started_can_no_longer_be_changed(tmp_path: Path) -> None:
    clock = FakeClock()  # Saturday 28 Nov 2026, 11:00 Amsterdam
    async with console_on(tmp_path / "started.db", clock=clock) as console:
        await console.say("!kc event new Koffie | 2026-11-28 12:00 | Utrecht | 5")
        await console.say("!kc join E1", as_user="anna")
        clock.advance(timedelta(hours=1, minutes=5))
        for typed, user in (("!kc leave E1", "anna"), ("!kc event edit E1 title Thee", "rene"),
                            ("!kc event close E1", "rene"), ("!kc event cancel E1 te laat", "rene")):
            (line,) = bot_lines(await console.say(typed, as_user=user))
            assert "E1 has already started: sign-ups and changes are over." in line, typed
        assert "Going (1/5): anna" in await console.say("!kc event E1")


async def test_joining_a_cancelled_table_you_were_on_says_it_is_cancelled(transcript: Transcript) -> None:
    await transcript.say("!kc event new Koffie | 2030-01-11 09:30 | Utrecht | 5")
    await transcript.say("!kc join E1", as_user="anna")
    await transcript.say("!kc event cancel E1", as_user="rene")
    assert "E1 has been cancelled." in await transcript.say("!kc join E1", as_user="anna")


# -- every command line, whatever it holds -------------------------------------

_NASTY = ["\ud800", "\udfff", "\x00", "\u202e", "\u2066", "\x1b[2J", "|", "||||||", "#", "#tag", "@rene", "@",
          "E1", "#1", "e999999999", "<b>x</b>", "<img src=x onerror=alert(1)>", "<!channel>", "<@U0123ABCD>",
          "<#C0123ABCD>", "&amp;", "&lt;", "javascript:alert(1)", "https://example.org/a?b=<c>&d", "\n", "\t",
          "²", "-1", "0", "99999999999999999999", "unlimited", "2030-01-01 10:00", "morgen 10:00", "🏳️‍🌈", "\u0301"]
# What each slot of a command takes when it is filled correctly.
_VALID = {
    "post": ["#1", "1", "#2", "#999"],
    "event": ["E1", "e1", "1", "E2", "E999"],
    "field": ["title", "when", "where", "capacity", "waar", "plaats", "seats", "tijd"],
    "when": ["2030-01-01 10:00", "friday 9:30", "morgen 10:00", "2020-01-01 10:00", "yesterday", "soon"],
    "capacity": ["1", "3", "10000", "10001", "unlimited", "0", "-1", "²"],
    "tag": ["#koffie", "#a", "#" + "t" * 60],
    "member": ["@rene", "@anna", "@nobody", "piet\u202e"],
    "role": ["member", "organizer", "manager", "organiser", "admin"],
    "code": ["ABCD-EFGH", "abcdefgh", "0000-0000"],
    "weeks": ["1", "4", "26", "27", "0", "-3", "²", "99999999999999999999"],
}
_GRAMMAR = {
    "help": ["", "{text}", "event new", "post"], "post": ["{text} | {text} {tag}", "{text}", "| {text}"],
    "save": ["{tag}", ""], "show": ["{post}", "{post} {text}"], "comment": ["{post} {text}", "{post}"],
    "search": ["{text}", "{text} {tag} {member}", "{member}"], "recent": ["", "{tag}", "{tag} {tag}"],
    "tags": [""], "remove": ["{post}"], "events": ["", "{text}"], "event": ["{event}", "{event} {text}"],
    "event new": ["{text} | {when} | {text}", "{text} | {when} | {text} | {capacity}",
                  "{text} | {when} | {text} | {capacity} | from {event}", "{text}|{text}|{text}|{text}|{text}|{text}"],
    "event again": ["{event} {when}", "{event}"], "event edit": ["{event} {field} {text}", "{event} {field} {when}",
                                                                 "{event} {field} {capacity}", "{event} {field}"],
    "event cancel": ["{event}", "{event} {text}"], "event close": ["{event}"], "event open": ["{event}"],
    "join": ["{event}"], "leave": ["{event}"], "interested": ["{event}"], "ics": ["{event}"],
    "digest": ["", "preview"], "digest on": [""], "digest off": [""], "aanmelden": ["{event}"],
    "zoek": ["{text}"], "jion": ["{event}"], "": ["{text}"],
    "role": ["{member} {role}", "{member}", "{text} {role}"], "roles": ["", "{text}"], "me": ["", "{text}"],
    "me interests": ["{text}", "{text}, {text}"], "me expertise": ["{text}", "-"], "whois": ["{member}", "{text}"],
    "who": ["{text}", "{tag}"], "pair on": [""], "pair off": [""], "pair status": ["", "{text}"],
    "link": ["", "{code}", "{text}"], "unlink": ["", "{text}"], "stats": ["", "{weeks}"],
    "event noshow": ["{event} {member}", "{event} {member} undo", "{event} {text}"], "export": ["", "{text}"],
    "forget": ["{member}", "{text}"], "me forget": ["", "confirm", "{text}"],
}
_SLOT = re.compile(r"\{(\w+)\}")


@st.composite
def command_lines(draw: st.DrawFn, verb: str) -> str:
    """``!kc <verb> <arguments>``: each slot of the verb's shape filled with a
    valid value or with anything at all (Unicode, surrogates, NUL, markup)."""
    if draw(st.integers(0, 30)) == 0:
        return f"!kc {verb} " + draw(st.sampled_from(["x", "<", "&", "\ud800"])) * 100_000  # a 100 KB line
    shape = draw(st.sampled_from(_GRAMMAR[verb]))

    def fill(match: re.Match[str]) -> str:
        slot = match.group(1)
        if slot != "text" and draw(st.booleans()):
            return draw(st.sampled_from(_VALID[slot]))
        return " ".join(draw(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(_NASTY)), max_size=4)))

    return " ".join(part for part in ("!kc", verb, _SLOT.sub(fill, shape)) if part)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            assert name == "href" and tag == "a", (tag, name)
            assert value is not None and value.startswith(("https://", "http://", "mailto:")), value


_SLACK_MARKUP = re.compile(r"<([^>]*)>")


def check_renderings(row: Queued) -> None:
    """The reply renders as Matrix HTML with only our own markup, and as
    Slack mrkdwn with no mention, channel ping or disguised link."""
    parser = _Tags()
    parser.feed(render_html(row.message.doc))
    assert set(parser.tags) <= {"strong", "code", "a", "br", "ul", "li"}, parser.tags
    args = message_args(row.message.doc)
    texts = [args["text"], *(b["text"]["text"] for b in args["blocks"] if b["type"] == "section")]
    for text in texts:
        for inner in _SLACK_MARKUP.findall(text):
            assert inner.startswith(("http://", "https://")) and "|" not in inner, inner


_ids = itertools.count(1)


async def one_reply(core: Core, messenger: RecordingMessenger, line: str, user: str) -> None:
    stored = await core.bot.handle(MessageReceived(Actor("console", user, user), MessageRef(
        RoomRef("console", "console"), f"fuzz{next(_ids)}"), line, event_id=f"fuzz-{next(_ids)}"))
    # The answer: in the room, or privately to the one who asked (a link code).
    replies = [row for row in stored if row.message.kind in (Kind.ROOM, Kind.PRIVATE)]
    assert len(replies) == 1, (line[:200], replies)
    (reply,) = replies
    await core.deliverer.settled([row.id for row in stored])
    texts = [text for _, text in messenger.sent[-len(stored):]]
    assert not any(INTERNAL_ERROR in text.lower() for text in texts), (line[:200], texts)
    check_renderings(reply)


@asynccontextmanager
async def fuzz_core(url: str) -> AsyncIterator[tuple[Core, RecordingMessenger]]:
    settings_ = Settings.model_validate({"bot": {"database": url, "commands_per_minute": 0},
                                         "communities": [{"name": "K", "managers": ["rene"], "rooms": ["console"]}]})
    async with running_core(settings_, FakeClock()) as core:
        messenger = RecordingMessenger("console")
        core.attach(messenger)
        yield core, messenger


EXAMPLES_PER_VERB = 40


def test_any_command_line_gets_exactly_one_clear_reply(database_url: str) -> None:
    """Every verb's arguments, fuzzed: mostly by a manager (who may use every
    command), sometimes by a member or a name with a bidi override."""
    with asyncio.Runner() as runner:
        context = fuzz_core(database_url)
        core, messenger = runner.run(context.__aenter__())
        try:
            runner.run(one_reply(core, messenger, "!kc event new Koffie | 2030-01-11 09:30 | Utrecht | 3", "rene"))
            runner.run(one_reply(core, messenger, "!kc post Bestaand | er is een post", "anna"))
            users = st.sampled_from(["rene", "rene", "rene", "anna", "piet\u202e"])
            for verb in sorted(_GRAMMAR):

                @settings(max_examples=EXAMPLES_PER_VERB, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
                @given(line=command_lines(verb), user=users)
                def check(line: str, user: str) -> None:
                    runner.run(one_reply(core, messenger, line, user))

                check()
        finally:
            runner.run(context.__aexit__(None, None, None))
