"""The real bolt app, through our adapter, against the local fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from adapters.readers import readers_of
from adapters.runtime import running_core
from adapters.slack.adapter import HTTP_PATH, SlackAdapter
from bot.app import Bot
from bot.config import Settings
from storage.engine import sqlite_url_for_path
from tests.adapters.matrix.synapse_server import free_port
from tests.adapters.slack.fake_slack import (
    FakeSlack,
    block_action,
    message_event,
    reaction_event,
    sign,
    slash_command,
    view_submission,
)
from tests.conftest import FakeClock

ORGANIZER, MEMBER, OTHER, CHANNEL = "U0ORGANIZ1", "U0MEMBER01", "U0OTHER001", "C0KOFFIE01"
SECRET = "signing-secret"


@asynccontextmanager
async def slack_bot(fake: FakeSlack, db_path: Path, *, mode: str = "socket", port: int = 0,
                    database: str | None = None) -> AsyncIterator[tuple[Bot, SlackAdapter]]:
    settings = Settings.model_validate({
        "bot": {"database": database or sqlite_url_for_path(db_path)},
        "communities": [{"name": "Kenniscafé", "managers": [ORGANIZER], "rooms": ["*"]}],
        "slack": {"enabled": True, "mode": mode, "bot_token": "xoxb-test", "app_token": "xapp-test",
                  "signing_secret": SECRET, "api_url": fake.api_url, "http_port": port or 3000},
    })
    clock = FakeClock()
    async with running_core(settings, clock) as core:
        adapter = SlackAdapter(settings.slack, core.bot.handle, readers_of(core.bot), clock,
                               http_host="127.0.0.1")
        core.attach(adapter)
        await adapter.start()
        try:
            yield core.bot, adapter
        finally:
            await adapter.stop()


def posted_text(call: Any) -> str:
    """The plain fallback text of a message the bot posted."""
    return str(call.args.get("text", ""))


async def test_slash_command_buttons_reaction_and_modal(fake: FakeSlack, tmp_path: Path) -> None:
    async with slack_bot(fake, tmp_path / "s.db"):
        await fake.wait_connected()
        envelope = await fake.push("slash_commands", slash_command(
            "event new Koffietafel | 2026-12-11 09:30 | Winkwaves | 2", ORGANIZER, CHANNEL))
        _, ack_seconds = await fake.wait_for_ack(envelope)
        assert ack_seconds < 3
        announcement = await fake.wait_for_call("chat.postMessage", lambda c: "E1 Koffietafel" in posted_text(c))
        assert "2 seats" in posted_text(announcement)
        actions = next(b for b in announcement.args["blocks"] if b["type"] == "actions")
        assert [e["action_id"] for e in actions["elements"]] == ["kc_join", "kc_leave"]
        ts = _ts_of(fake)

        # Join by button: an ephemeral answer to the presser, and the seat count
        # updated in place, both through the press's response_url.
        pressed = await fake.push("interactive", block_action("kc_join", "1", MEMBER, CHANNEL, ts,
                                                              response_url=fake.response_url))
        await fake.wait_for_ack(pressed)
        ephemeral = await fake.wait_for_call("response_url", lambda c: c.args.get("response_type") == "ephemeral")
        assert "You're in for E1 (1/2)." in ephemeral.args["text"] and not ephemeral.args.get("replace_original")
        updated = await fake.wait_for_call("response_url", lambda c: c.args.get("replace_original") is True)
        assert "1 of 2 seats left" in posted_text(updated) and updated.path == ephemeral.path

        # ✅ on the announcement signs up too.
        await fake.push("events_api", reaction_event("reaction_added", "white_check_mark", OTHER, CHANNEL, ts))
        second = await fake.wait_for_call("chat.postEphemeral", lambda c: c.args["user"] == OTHER)
        assert "You're in for E1 (2/2)." in second.args["text"]

        # The modal: `/kc` alone opens it; a past date comes back as a field error.
        opened = await fake.push("slash_commands", slash_command("", ORGANIZER, CHANNEL))
        await fake.wait_for_ack(opened)
        view = (await fake.wait_for_call("views.open")).args["view"]
        metadata = view["private_metadata"]
        past = await fake.push("interactive", view_submission("kc_event_new", _form("2020-01-01"), ORGANIZER, metadata))
        ack, _ = await fake.wait_for_ack(past)
        assert ack["payload"]["response_action"] == "errors"
        assert "is in the past" in ack["payload"]["errors"]["date"]
        good = await fake.push("interactive", view_submission("kc_event_new", _form("2026-12-18"), ORGANIZER, metadata))
        ack, _ = await fake.wait_for_ack(good)
        assert "payload" not in ack or not ack["payload"]
        await fake.wait_for_call("chat.postMessage", lambda c: "E2 Lunchtafel — Fri 18 Dec 12:00" in posted_text(c))

        # A member who chose Dutch gets the form, and its errors, in Dutch (the community is English).
        chose = await fake.push("slash_commands", slash_command("me language nl", OTHER, CHANNEL,
                                                                response_url=fake.response_url))
        await fake.wait_for_ack(chose)
        await fake.wait_for_call("response_url", lambda c: "Vanaf nu schrijf ik je in het Nederlands." in posted_text(c))
        opened = await fake.push("slash_commands", slash_command("", OTHER, CHANNEL))
        await fake.wait_for_ack(opened)
        dutch = await fake.wait_for_call("views.open", lambda c: c.args["view"]["title"]["text"] == "Nieuwe koffietafel")
        empty = await fake.push("interactive", view_submission("kc_event_new", _form("2020-01-01"), OTHER,
                                                               dutch.args["view"]["private_metadata"]))
        ack, _ = await fake.wait_for_ack(empty)
        assert "ligt in het verleden" in ack["payload"]["errors"]["date"]


def _ts_of(fake: FakeSlack) -> str:
    for (channel, ts), message in fake.messages.items():
        if channel == CHANNEL and "E1 Koffietafel" in json.dumps(message):
            return ts
    raise AssertionError("announcement not stored")


def _form(date: str) -> dict[str, Any]:
    return {
        "title": {"value": {"type": "plain_text_input", "value": "Lunchtafel"}},
        "date": {"value": {"type": "datepicker", "selected_date": date}},
        "time": {"value": {"type": "timepicker", "selected_time": "12:00"}},
        "place": {"value": {"type": "plain_text_input", "value": "Kantine"}},
        "capacity": {"value": {"type": "plain_text_input", "value": "8"}},
    }


async def test_a_retried_event_is_handled_once(fake: FakeSlack, tmp_path: Path) -> None:
    async with slack_bot(fake, tmp_path / "r.db"):
        await fake.wait_connected()
        event = message_event("!kc post Eenmalig | only once", MEMBER, CHANNEL, "1700000001.000100",
                              event_id="Ev0RETRY01")
        for attempt in range(3):
            envelope = await fake.push("events_api", event, retry_attempt=attempt,
                                       retry_reason="timeout" if attempt else "")
            await fake.wait_for_ack(envelope)
        await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c))
        await asyncio.sleep(0.5)
    assert len([c for c in fake.calls_to("chat.postMessage") if "Saved #" in posted_text(c)]) == 1


async def test_a_429_is_retried_after_retry_after_and_delivered_once(fake: FakeSlack, tmp_path: Path) -> None:
    async with slack_bot(fake, tmp_path / "429.db"):
        await fake.wait_connected()
        fake.fail_next("chat.postMessage", times=1, retry_after=1)
        began = time.monotonic()
        await fake.push("slash_commands", slash_command("post Druk | veel verkeer", MEMBER, CHANNEL))
        await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c), timeout=10)
        waited = time.monotonic() - began
    assert len(fake.rejected) == 1
    assert len([c for c in fake.calls_to("chat.postMessage") if "Saved #1" in posted_text(c)]) == 1
    assert waited >= 1.0  # it waited as Retry-After said


async def test_user_text_cannot_ping_the_channel(fake: FakeSlack, tmp_path: Path) -> None:
    async with slack_bot(fake, tmp_path / "esc.db"):
        await fake.wait_connected()
        # Slack's own markup typed by a member arrives as markup, and escaped
        # markup as escaped text: neither may come back as a ping.
        await fake.push("slash_commands", slash_command("post <!channel> hi &lt;!here&gt; | <@U0MEMBER01>",
                                                        MEMBER, CHANNEL))
        saved = await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c))
    blocks = json.dumps(saved.args["blocks"])
    assert "@channel hi &lt;!here&gt;" in blocks  # read as text, shown as text
    assert "<!channel>" not in blocks and "<!here>" not in blocks and "<@U0MEMBER01>" not in blocks
    assert "<!" not in saved.args["text"]


async def test_http_mode_verifies_signatures(fake: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    async with slack_bot(fake, tmp_path / "http.db", mode="http", port=port):
        url = f"http://127.0.0.1:{port}{HTTP_PATH}"
        body = urllib.parse.urlencode(slash_command("post Via HTTP | signed", MEMBER, CHANNEL)).encode()
        now = int(time.time())
        async with aiohttp.ClientSession() as http:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            async with http.post(url, data=body, headers={**headers, **sign(body, "wrong", now)}) as bad:
                assert bad.status == 401
            stale = now - 6 * 60
            async with http.post(url, data=body, headers={**headers, **sign(body, SECRET, stale)}) as old:
                assert old.status == 401
            assert fake.calls_to("chat.postMessage") == []
            async with http.post(url, data=body, headers={**headers, **sign(body, SECRET, now)}) as good:
                assert good.status == 200
        await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1 “Via HTTP”" in posted_text(c))


async def test_bookmark_reaction_archives_the_message(fake: FakeSlack, tmp_path: Path) -> None:
    fake.users[MEMBER] = {"display_name": "anna"}
    tip_ts = "1700000100.000100"
    fake.messages[(CHANNEL, tip_ts)] = {"type": "message", "user": MEMBER, "ts": tip_ts,
                                         "text": "Tip: de koffie op de vierde is beter #koffie"}
    async with slack_bot(fake, tmp_path / "bm.db"):
        await fake.wait_connected()
        await fake.push("events_api", reaction_event("reaction_added", "bookmark", OTHER, CHANNEL, tip_ts))
        saved = await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c))
        await fake.push("slash_commands", slash_command("show #1", OTHER, CHANNEL))
        shown = await fake.wait_for_call("chat.postMessage", lambda c: "#1 Tip: de koffie" in posted_text(c))
    assert "“Tip: de koffie op de vierde is beter” · #koffie" in posted_text(saved)
    assert "— by anna" in posted_text(shown)


async def test_slash_commands_are_answered_in_channels_the_bot_is_not_in(fake: FakeSlack, tmp_path: Path) -> None:
    stranger = "C0NOTJOIN1"
    fake.not_in_channel.add(stranger)
    async with slack_bot(fake, tmp_path / "nic.db"):
        await fake.wait_connected()
        await fake.push("slash_commands", slash_command("events", MEMBER, stranger, response_url=fake.response_url))
        answer = await fake.wait_for_call("response_url", lambda c: "No coffee tables planned" in posted_text(c))
        assert answer.args["response_type"] == "in_channel"
        # A post wants to be a real message (reactions on it count): where the bot
        # may not post, it still answers, and says how to invite it.
        await fake.push("slash_commands", slash_command("post Hier | niet lid", MEMBER, stranger,
                                                        response_url=fake.response_url))
        saved = await fake.wait_for_call("response_url", lambda c: "Saved #1" in posted_text(c))
        await fake.push("slash_commands", slash_command("help", MEMBER, stranger, response_url=fake.response_url))
        await fake.wait_for_call("response_url", lambda c: "Commands" in posted_text(c))
    assert "Invite me with /invite" in posted_text(saved)
    assert not [key for key in fake.messages if key[0] == stranger]  # nothing could be posted there
    assert len([c for c in fake.calls if c.method == "response_url" and "Saved #1" in posted_text(c)]) == 1


async def test_a_replayed_slash_command_runs_once(fake: FakeSlack, tmp_path: Path) -> None:
    async with slack_bot(fake, tmp_path / "replay.db"):
        await fake.wait_connected()
        command = slash_command("post Eén keer | ook bij herhaling", MEMBER, CHANNEL)
        for _ in range(3):
            await fake.wait_for_ack(await fake.push("slash_commands", command))
        await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c))
        await asyncio.sleep(0.5)
    assert len([c for c in fake.calls_to("chat.postMessage") if "Saved #" in posted_text(c)]) == 1


async def test_slack_escaping_is_decoded_on_the_way_in(fake: FakeSlack, tmp_path: Path) -> None:
    fake.users[MEMBER] = {"display_name": "anna"}
    async with slack_bot(fake, tmp_path / "esc-in.db"):
        await fake.wait_connected()
        text = ("!kc post R&amp;D &lt;tips&gt; | zie <https://x.org/?a=1&amp;b=2|de slides> "
                "met dank aan <@U0MEMBER01>")
        await fake.push("events_api", message_event(text, MEMBER, CHANNEL, "1700000200.000100"))
        saved = await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c))
        await fake.push("slash_commands", slash_command("show #1", OTHER, CHANNEL))
        shown = await fake.wait_for_call("chat.postMessage", lambda c: "#1 R&amp;D" in posted_text(c))
    assert "Saved #1 “R&amp;D &lt;tips&gt;” · 1 link" in posted_text(saved)  # shown as R&D <tips>
    body = json.dumps(shown.args["blocks"])
    assert "de slides (<https://x.org/?a=1&amp;b=2>)" in body and "met dank aan @anna" in body
    assert "&amp;amp;" not in body


async def test_a_signed_slash_command_replayed_over_http_runs_once(fake: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    async with slack_bot(fake, tmp_path / "replay-http.db", mode="http", port=port):
        url = f"http://127.0.0.1:{port}{HTTP_PATH}"
        body = urllib.parse.urlencode(slash_command("post Eén keer | ook over HTTP", MEMBER, CHANNEL)).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET, int(time.time()))}
        async with aiohttp.ClientSession() as http:
            for _ in range(3):  # the same signed request, within Slack's five-minute window
                async with http.post(url, data=body, headers=headers) as answer:
                    assert answer.status == 200
        await fake.wait_for_call("chat.postMessage", lambda c: "Saved #1" in posted_text(c))
        await asyncio.sleep(0.5)
    assert len([c for c in fake.calls_to("chat.postMessage") if "Saved #" in posted_text(c)]) == 1


async def test_two_processes_on_one_database_share_the_slack_events(
    fake: FakeSlack, tmp_path: Path, postgres_url: str
) -> None:
    """Two bots on one PostgreSQL database, each with its own Socket Mode
    connection, as two processes would be: Slack spreads the events over
    both, and sends a retried event to either. Every event is answered,
    once, and the posts are numbered without a gap or a double."""
    async with slack_bot(fake, tmp_path / "a.db", database=postgres_url), \
            slack_bot(fake, tmp_path / "b.db", database=postgres_url):
        await fake.wait_connected(clients=2)
        pushed = []
        for n in range(6):
            event = message_event(f"!kc post Gedeeld {n} | spread over two", MEMBER, CHANNEL,
                                  f"1700000100.{n:06d}", event_id=f"Ev0SHARED{n}")
            for attempt in range(2):  # the first try to one, Slack's retry to the other
                pushed.append(await fake.push("events_api", event, retry_attempt=attempt,
                                              retry_reason="timeout" if attempt else "", connection=(n + attempt) % 2))
        for envelope in pushed:
            await fake.wait_for_ack(envelope)
        for n in range(6):
            await fake.wait_for_call("chat.postMessage", lambda c, n=n: f"“Gedeeld {n}”" in posted_text(c))
        await asyncio.sleep(0.5)
    saved = sorted(posted_text(c) for c in fake.calls_to("chat.postMessage") if "Saved #" in posted_text(c))
    assert len(saved) == 6
    assert sorted(text.split()[1] for text in saved) == [f"#{n}" for n in range(1, 7)]
