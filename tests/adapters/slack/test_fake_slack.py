"""The fake Slack works with the real slack-sdk and slack-bolt."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.fake_slack import (
    BOT_USER_ID,
    FakeSlack,
    reaction_event,
    sign,
    slash_command,
    view_submission,
)


def web_client(fake: FakeSlack, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.api_url, **kwargs)


async def test_post_message_is_answered_and_recorded(fake: FakeSlack) -> None:
    client = web_client(fake)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await client.chat_postMessage(channel="C1", text="hello", blocks=blocks)
    second = await client.chat_postMessage(channel="C1", text="again")

    assert first["ok"] and first["channel"] == "C1"
    assert first["message"]["text"] == "hello" and first["message"]["bot_id"] == fake.bot_id
    assert float(second["ts"]) > float(first["ts"])
    [call, _] = fake.calls_to("chat.postMessage")
    assert call.token == "xoxb-test"
    assert call.args["blocks"] == blocks
    assert (await fake.wait_for_call("chat.postMessage", lambda c: c.args["text"] == "again")).args[
        "channel"
    ] == "C1"

    updated = await client.chat_update(channel="C1", ts=first["ts"], text="edited")
    assert fake.messages[("C1", first["ts"])]["text"] == "edited" == updated["text"]
    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel="C1", ts="1.000000", text="x")
    assert missing.value.response["error"] == "message_not_found"


async def test_other_methods_answer_with_slack_shapes(fake: FakeSlack) -> None:
    client = web_client(fake)
    fake.users["U1"] = {"real_name": "Ann de Vries", "display_name": "ann"}

    auth = await client.auth_test()
    assert (auth["user_id"], auth["team_id"], auth["bot_id"]) == (
        BOT_USER_ID,
        fake.team_id,
        fake.bot_id,
    )
    ann = (await client.users_info(user="U1"))["user"]
    assert (ann["real_name"], ann["profile"]["display_name"]) == ("Ann de Vries", "ann")
    assert (await client.users_info(user="U2"))["user"]["profile"]["display_name"] == "U2"
    dm = (await client.conversations_open(users="U1"))["channel"]["id"]
    assert dm.startswith("D")
    assert (await client.conversations_info(channel=dm))["channel"]["is_im"] is True
    assert (await client.chat_postEphemeral(channel="C1", user="U1", text="psst"))["message_ts"]

    view = {
        "type": "modal",
        "callback_id": "new",
        "title": {"type": "plain_text", "text": "New"},
        "blocks": [],
    }
    opened = (await client.views_open(trigger_id="t.1", view=view))["view"]
    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    assert (
        updated["view"]["id"] == opened["id"]
        and fake.calls_to("views.open")[0].args["view"] == view
    )

    upload = await client.files_upload_v2(
        channel="C1", content="BEGIN:VCALENDAR", filename="e.ics", title="Event"
    )
    assert upload["file"]["title"] == "Event"
    assert list(fake.uploads.values()) == [b"BEGIN:VCALENDAR"]

    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("pins.add", json={"channel": "C1"})
    assert unknown.value.response["error"] == "unknown_method"
    assert fake.calls_to("pins.add")
    fake.error_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as not_found:
        await client.chat_postMessage(channel="C9", text="x")
    assert not_found.value.response["error"] == "channel_not_found"


async def test_rate_limited_post_is_retried_and_delivered_once(fake: FakeSlack) -> None:
    client = web_client(fake, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    fake.fail_next("chat.postMessage", retry_after=0)

    started = time.monotonic()
    response = await client.chat_postMessage(channel="C1", text="announce")

    assert response["ok"]
    assert time.monotonic() - started < 1.5  # Retry-After 0 + the SDK's random 0..1 s
    assert [c.args["text"] for c in fake.rejected] == ["announce"]
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert len(fake.messages) == 1


async def test_rate_limit_without_retry_handler_raises(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as error:
        await web_client(fake).chat_postMessage(channel="C1", text="x")
    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "7"
    assert error.value.response["error"] == "ratelimited"
    assert fake.calls_to("chat.postMessage") == []


@pytest.fixture
async def bolt(fake: FakeSlack) -> AsyncIterator[tuple[AsyncApp, AsyncSocketModeHandler]]:
    app = AsyncApp(client=web_client(fake))
    handler = AsyncSocketModeHandler(app, app_token="xapp-test")
    yield app, handler
    await handler.close_async()  # type: ignore[no-untyped-call]


async def test_bolt_socket_mode_slash_command_is_handled_and_acked(
    fake: FakeSlack, bolt: tuple[AsyncApp, AsyncSocketModeHandler]
) -> None:
    app, handler = bolt
    seen: list[dict[str, Any]] = []

    @app.command("/kc")
    async def kc(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        seen.append(command)
        await respond("working on it")
        await client.chat_postMessage(
            channel=command["channel_id"], text=f"you said {command['text']}"
        )

    await handler.connect_async()  # type: ignore[no-untyped-call]
    await fake.wait_connected()
    connect = fake.calls_to("apps.connections.open")[0]
    assert connect.token == "xapp-test"

    payload = slash_command("help", "U1", "C1", response_url=fake.response_url)
    envelope_id = await fake.push("slash_commands", payload)
    ack, seconds = await fake.wait_for_ack(envelope_id)

    assert ack == {"envelope_id": envelope_id}
    assert seconds < 3
    posted = await fake.wait_for_call("chat.postMessage")
    assert posted.args["text"] == "you said help"
    assert seen[0]["user_id"] == "U1"
    assert (await fake.wait_for_call("response_url")).args["text"] == "working on it"
    assert fake.calls_to("auth.test")  # bolt authorizes lazily, on the first request


async def test_bolt_ack_payloads_and_events(
    fake: FakeSlack, bolt: tuple[AsyncApp, AsyncSocketModeHandler]
) -> None:
    app, handler = bolt
    reactions: list[str] = []

    @app.view("new_event")
    async def submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        title = view["state"]["values"]["title"]["input"]["value"]
        await ack(response_action="errors", errors={"date": f"{title}: date is in the past"})

    @app.event("reaction_added")
    async def reacted(event: dict[str, Any]) -> None:
        reactions.append(event["reaction"])

    await handler.connect_async()  # type: ignore[no-untyped-call]
    payload = view_submission("new_event", {"title": {"input": "Repair café"}}, "U1")
    ack, _ = await fake.wait_for_ack(await fake.push("interactive", payload))
    assert ack["payload"] == {
        "response_action": "errors",
        "errors": {"date": "Repair café: date is in the past"},
    }

    event = reaction_event("reaction_added", "white_check_mark", "U1", "C1", "1700000000.000100")
    ack, _ = await fake.wait_for_ack(
        await fake.push("events_api", event, retry_attempt=1, retry_reason="timeout")
    )
    assert "payload" not in ack
    for _ in range(100):
        if reactions:
            break
        await asyncio.sleep(0.01)
    assert reactions == ["white_check_mark"]


async def test_reconnects_after_disconnect_message(
    fake: FakeSlack, bolt: tuple[AsyncApp, AsyncSocketModeHandler]
) -> None:
    _, handler = bolt
    await handler.connect_async()  # type: ignore[no-untyped-call]
    await fake.wait_connected()
    await fake.send_disconnect()
    await fake.wait_for_call("apps.connections.open", since=1)
    for _ in range(100):
        if fake.connections_opened == 2 and fake.connected:
            break
        await asyncio.sleep(0.01)
    assert fake.connections_opened == 2 and fake.connected


def test_sign_matches_slack_sdk_verifier() -> None:
    body = b"token=x&command=%2Fkc&text=help"
    now = int(time.time())
    headers = sign(body, "s3cret", now)
    assert SignatureVerifier("s3cret").is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
