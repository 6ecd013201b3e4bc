"""The "new coffee table" modal: `/kc` alone or `/kc event new` opens it.

Its fields are checked before the submission is acknowledged, so a past or
unreadable date comes back as an error under the date field, as Slack
users expect, instead of as a message afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.readers import Readers
from bot.commands.args import ArgError, parse_capacity
from bot.dates import WhenProblem, iso_example, parse_when
from bot.messages import say, say_text
from bot.richtext import plain_inline
from bot.timefmt import format_when

CALLBACK_ID = "kc_event_new"
FIELDS = ("title", "date", "time", "place", "capacity")


def event_form_view(channel_id: str, language: str) -> dict[str, Any]:
    """The modal in the member's language, remembering the channel it was opened from."""

    def label(key: str) -> str:
        return say_text(language, f"form.{key}")

    def text_input(block_id: str, label: str, *, optional: bool = False, hint: str = "") -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value"}
        if hint:
            element["placeholder"] = {"type": "plain_text", "text": hint}
        return {"type": "input", "block_id": block_id, "optional": optional,
                "label": {"type": "plain_text", "text": label}, "element": element}

    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"channel": channel_id}),
        "title": {"type": "plain_text", "text": label("heading")},
        "submit": {"type": "plain_text", "text": label("submit")},
        "close": {"type": "plain_text", "text": label("cancel")},
        "blocks": [
            text_input("title", label("title")),
            {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": label("date")},
             "element": {"type": "datepicker", "action_id": "value"}},
            {"type": "input", "block_id": "time", "label": {"type": "plain_text", "text": label("time")},
             "element": {"type": "timepicker", "action_id": "value"}},
            text_input("place", label("place")),
            text_input("capacity", label("seats"), optional=True, hint=label("seats_hint")),
        ],
    }


@dataclass(frozen=True)
class EventFormInput:
    """What was filled in, and where it came from."""

    channel: str
    values: dict[str, str]

    def command_text(self) -> str:
        """The same form as a typed command: ``event new <title> | <when> | <where> [| <seats>]``."""
        parts = [self.values["title"], f"{self.values['date']} {self.values['time']}", self.values["place"]]
        if self.values.get("capacity"):
            parts.append(self.values["capacity"])
        return "event new " + " | ".join(p.replace("|", "/") for p in parts)


def read_submission(view: dict[str, Any]) -> EventFormInput:
    """The values of a submitted modal, by field."""
    state = view.get("state", {}).get("values", {})
    values: dict[str, str] = {}
    for field in FIELDS:
        element = state.get(field, {}).get("value", {})
        raw = element.get("value") or element.get("selected_date") or element.get("selected_time") or ""
        values[field] = " ".join(str(raw).split())
    metadata = json.loads(view.get("private_metadata") or "{}")
    return EventFormInput(str(metadata.get("channel", "")), values)


def field_errors(form: EventFormInput, readers: Readers, now: datetime) -> dict[str, str]:
    """Errors by field (block id) for Slack to show under the fields, in the
    member's language; the date read the community's way. Empty when fine."""
    errors: dict[str, str] = {}
    timezone, language = readers.timezone, readers.language
    for field in ("title", "place"):
        if not form.values.get(field):
            errors[field] = say_text(language, "arg.missing", name=say_text(language, f"form.{field}"))
    when_text = f"{form.values.get('date', '')} {form.values.get('time', '')}".strip()
    when = parse_when(when_text, timezone, now, readers.community_language)
    if isinstance(when, WhenProblem):
        shown = format_when(when.moment, timezone, language, None, with_year=True) if when.moment else when_text
        errors["date"] = say_text(language, f"when.{when.reason}", text=when_text, shown=shown,
                                  example=say_text(language, "example.when"), iso=iso_example(now))
    if form.values.get("capacity"):
        try:
            parse_capacity(form.values["capacity"])
        except ArgError as problem:
            errors["capacity"] = "".join(plain_inline(piece) for piece in say(language, problem.key, **problem.values))
    return errors
