"""Slack's shapes in and out: payloads to neutral events, documents to Block Kit."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.readers import Readers
from adapters.slack.modal import EventFormInput, field_errors
from adapters.slack.render import message_args, render_blocks
from adapters.slack.translate import (
    button_action,
    emoji_of,
    message_event,
    reaction_event,
    slash_command,
)
from bot.incoming import ReactionAdded, ReactionRemoved
from bot.richtext import Bold, Button, Buttons, Text, document, paragraph


def test_user_text_cannot_mention_anyone() -> None:
    args = message_args(document(paragraph("Saved ", Bold((Text("#1"),)), " “<!channel> hi <@U123> & <!here>”")))
    text = args["blocks"][0]["text"]["text"]
    assert text == "Saved *#1* “&lt;!channel&gt; hi &lt;@U123&gt; &amp; &lt;!here&gt;”"
    assert "<!" not in args["text"] and "<@" not in args["text"]


def test_buttons_become_an_actions_block() -> None:
    blocks = render_blocks(document(paragraph("E1"), Buttons((Button("Join", "join", "1"), Button("Leave", "leave", "1")))))
    assert blocks[1] == {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Join"}, "action_id": "kc_join", "value": "1"},
        {"type": "button", "text": {"type": "plain_text", "text": "Leave"}, "action_id": "kc_leave", "value": "1"},
    ]}


def test_slash_command_is_an_explicit_command() -> None:
    message = slash_command({"text": "join E3", "user_id": "U1", "user_name": "anna", "channel_id": "C1",
                             "trigger_id": "t1"})
    assert (message.text, message.explicit_command, message.sender.user_id, message.ref.room.room_id) == (
        "join E3", True, "U1", "C1")


def test_messages_threads_and_bot_messages() -> None:
    reply = message_event({"type": "message", "user": "U1", "channel": "C1", "ts": "2.0", "thread_ts": "1.0",
                           "text": "Mooi!"}, "Ev1")
    assert reply is not None and reply.thread_root is not None and reply.thread_root.message_id == "1.0"
    assert reply.event_id == "Ev1"
    assert message_event({"type": "message", "bot_id": "B1", "channel": "C1", "ts": "3.0", "text": "x"}, "Ev2") is None
    assert message_event({"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "4"}, "Ev3") is None


def test_reactions_by_slack_name() -> None:
    added = reaction_event({"type": "reaction_added", "user": "U1", "reaction": "white_check_mark",
                            "item": {"type": "message", "channel": "C1", "ts": "1.0"}}, "Ev1")
    removed = reaction_event({"type": "reaction_removed", "user": "U1", "reaction": "bookmark",
                              "item": {"type": "message", "channel": "C1", "ts": "1.0"}}, "Ev2")
    assert isinstance(added, ReactionAdded) and added.emoji == "✅"
    assert isinstance(removed, ReactionRemoved) and removed.emoji == "🔖"
    assert emoji_of("+1::skin-tone-2") == "👍" and emoji_of("custom_thing") == ":custom_thing:"


def test_button_press() -> None:
    pressed = button_action({"type": "block_actions", "user": {"id": "U1", "name": "anna"}, "trigger_id": "t",
                             "channel": {"id": "C1"}, "message": {"ts": "9.0"},
                             "actions": [{"action_id": "kc_join", "value": "3", "action_ts": "1"}]})
    assert pressed is not None
    assert (pressed.action, pressed.value, pressed.message.message_id) == ("join", "3", "9.0")


def test_modal_errors_name_the_field() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    past = EventFormInput("C1", {"title": "Koffie", "date": "2026-11-01", "time": "09:30", "place": "Utrecht",
                                 "capacity": "0"})
    errors = field_errors(past, Readers("Europe/Amsterdam", "en", "en"), now)
    assert set(errors) == {"date", "capacity"}
    assert "is in the past" in errors["date"]
    fine = EventFormInput("C1", {"title": "Koffie", "date": "2026-12-11", "time": "09:30", "place": "Utrecht",
                                 "capacity": "12"})
    assert field_errors(fine, Readers("Europe/Amsterdam", "en", "en"), now) == {}
    untitled = EventFormInput("C1", {"title": "", "date": "12-01-2026", "time": "09:30", "place": "Utrecht"})
    # Read the community's way (English: month first, so 1 December, not 12 January), answered in the member's Dutch.
    assert field_errors(untitled, Readers("Europe/Amsterdam", "en", "nl"), now) == {"title": "Titel ontbreekt."}
    assert fine.command_text() == "event new Koffie | 2026-12-11 09:30 | Utrecht | 12"


def test_slack_markup_becomes_the_text_a_person_typed() -> None:
    from adapters.slack.translate import mentioned_users, plain_text

    typed = ("R&amp;D &lt;tips&gt; by <@U0MEMBER01> in <#C0KOFFIE01|koffie>: "
             "<https://x.org/?a=1&amp;b=2|de slides>, <https://y.org/> and <mailto:a@b.nl|a@b.nl> <!here>")
    assert mentioned_users(typed) == ["U0MEMBER01"]
    assert plain_text(typed, {"U0MEMBER01": "anna"}) == (
        "R&D <tips> by @anna in #koffie: de slides (https://x.org/?a=1&b=2), https://y.org/ and a@b.nl @here")
    assert plain_text("&amp;lt; stays", {}) == "&lt; stays"
