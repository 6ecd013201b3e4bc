"""The Slack adapter on slack-bolt's AsyncApp: Socket Mode by default, HTTP
mode (signatures verified) by config.

Every command, action and view is acknowledged first and worked on after,
so Slack's 3 seconds are never at risk; retried events are dropped by the
core's inbound deduplication on their ``event_id``; 429 answers are retried
after Retry-After by slack-sdk's rate-limit retry handler.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.modal import CALLBACK_ID, event_form_view, field_errors, read_submission
from adapters.slack.render import message_args
from adapters.slack.translate import (
    PLATFORM,
    actor,
    button_action,
    message_event,
    reaction_event,
    room,
    slash_command,
)
from bot.config import SlackSettings
from bot.incoming import (
    Incoming,
    MessageReceived,
    MessageRef,
    QuotedMessage,
    ReactionAdded,
    RoomRef,
)
from bot.ports import Clock
from bot.richtext import Document, render_plain
from bot.services.archive import BOOKMARK

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 5
HTTP_PATH = "/slack/events"
_MODAL_TEXTS = {"", "event new", "event nieuw"}

CommunityOf = Callable[[RoomRef], tuple[str, str] | None]  # room → (time zone, language)


class SlackAdapter:
    """Connects the core to one Slack workspace; implements the Messenger port."""

    platform = PLATFORM

    def __init__(self, settings: SlackSettings, handle: Callable[[Incoming], Awaitable[None]],
                 community_of: CommunityOf, clock: Clock, *, http_host: str = "0.0.0.0") -> None:
        self.settings = settings
        self._handle = handle
        self._community_of = community_of
        self._clock = clock
        self._http_host = http_host
        self.client = AsyncWebClient(
            token=settings.bot_token, base_url=settings.api_url or "https://slack.com/api/",
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
        )
        http = settings.mode == "http"
        self.app = AsyncApp(client=self.client, signing_secret=settings.signing_secret,
                            request_verification_enabled=http)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._names: dict[str, str] = {}
        self._threads: dict[str, str] = {}  # message ts → thread ts, to answer in the thread
        self._stopping = asyncio.Event()
        self._work: set[asyncio.Task[None]] = set()
        self._register()

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Connect Socket Mode, or start the HTTP endpoint."""
        if self.settings.mode == "http":
            server = AsyncSlackAppServer(port=self.settings.http_port, path=HTTP_PATH, app=self.app,
                                         host=self._http_host)
            self._runner = web.AppRunner(server.web_app)
            await self._runner.setup()
            await web.TCPSite(self._runner, self._http_host, self.settings.http_port).start()
        else:
            self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token, web_client=self.client)
            await self._socket.connect_async()

    async def run(self) -> None:
        """Serve until :meth:`stop` (bolt's own tasks do the work)."""
        await self._stopping.wait()

    async def stop(self) -> None:
        """Stop taking requests; let the work already acknowledged finish."""
        self._stopping.set()
        if self._socket is not None:
            await self._socket.close_async()
        if self._runner is not None:
            await self._runner.cleanup()
        await asyncio.gather(*self._work, return_exceptions=True)

    async def close(self) -> None:
        """Nothing more to release (the Web API client has no open session)."""

    # -- Messenger port ----------------------------------------------------

    async def send(self, room_ref: RoomRef, doc: Document, *, in_reply_to: MessageRef | None = None) -> MessageRef:
        """Post blocks with a text fallback; in the thread when the message was."""
        thread = self._threads.get(in_reply_to.message_id) if in_reply_to else None
        response = await self.client.chat_postMessage(channel=room_ref.room_id, thread_ts=thread, **message_args(doc))
        return MessageRef(room(str(response["channel"])), str(response["ts"]))

    async def send_direct(self, user_id: str, doc: Document) -> MessageRef | None:
        """A DM in the user's direct conversation with the bot."""
        opened = await self.client.conversations_open(users=user_id)
        return await self.send(room(str(opened["channel"]["id"])), doc)

    async def send_private(self, room_ref: RoomRef, user_id: str, doc: Document) -> None:
        """An ephemeral message: only that user sees it, in the channel."""
        await self.client.chat_postEphemeral(channel=room_ref.room_id, user=user_id, **message_args(doc))

    async def update(self, ref: MessageRef, doc: Document) -> None:
        """Replace a bot message (announcements after a sign-up)."""
        await self.client.chat_update(channel=ref.room.room_id, ts=ref.message_id, **message_args(doc))

    async def send_file(self, room_ref: RoomRef, filename: str, content: bytes, mimetype: str,
                        caption: Document) -> MessageRef:
        """Upload a file into the channel with the caption as its comment."""
        response = await self.client.files_upload_v2(channel=room_ref.room_id, content=content, filename=filename,
                                                     initial_comment=render_plain(caption))
        file_id = str((response.get("files") or [{}])[0].get("id", filename))
        return MessageRef(room_ref, f"file:{file_id}")

    # -- listeners -----------------------------------------------------------

    def _register(self) -> None:
        self.app.command("/kc")(self._on_command)
        self.app.action(re.compile("^kc_"))(self._on_action)
        self.app.view(CALLBACK_ID)(self._on_view)
        self.app.event("message")(self._on_message)
        self.app.event("reaction_added")(self._on_reaction)
        self.app.event("reaction_removed")(self._on_reaction)

    def _after_ack(self, work: Awaitable[None]) -> None:
        """Run ``work`` once the listener returned: bolt only sends the ack
        when the listener is done, and Slack allows 3 seconds for it."""
        task = asyncio.ensure_future(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if str(body.get("text", "")).strip().lower() in _MODAL_TEXTS:
            # trigger_id expires in 3 s: open the modal right away.
            self._after_ack(self._open_form(body))
        else:
            self._after_ack(self._deliver(slash_command(body)))

    async def _open_form(self, body: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=body["trigger_id"], view=event_form_view(body["channel_id"]))

    async def _deliver(self, event: Incoming) -> None:
        if isinstance(event, MessageReceived):
            event = await self._named(event)
        elif isinstance(event, ReactionAdded) and event.emoji == BOOKMARK:
            event = replace(event, target_message=await self._quoted(event.target))
        await self._handle(event)

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        pressed = button_action(body)
        if pressed is not None:
            self._after_ack(self._deliver(pressed))

    async def _on_view(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = read_submission(view)
        community = self._community_of(room(form.channel))
        timezone, language = community or ("UTC", "en")
        errors = field_errors(form, timezone, language, self._clock.now())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        user = body.get("user", {})
        self._after_ack(self._deliver(MessageReceived(
            sender=actor(str(user.get("id")), user.get("name")),
            ref=MessageRef(room(form.channel), f"view:{view.get('id', '')}"),
            text=form.command_text(),
            explicit_command=True,
        )))

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        message = message_event(event, body.get("event_id"))
        if message is None:
            return
        if message.thread_root is not None:
            self._threads[message.ref.message_id] = message.thread_root.message_id
        self._after_ack(self._deliver(message))

    async def _on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        reaction = reaction_event(event, body.get("event_id"))
        if reaction is not None:
            self._after_ack(self._deliver(reaction))

    async def _quoted(self, target: MessageRef) -> QuotedMessage | None:
        """The text and author of a message, for archiving it with 🔖."""
        try:
            found = await self.client.conversations_history(channel=target.room.room_id, latest=target.message_id,
                                                            inclusive=True, limit=1)
        except Exception:  # noqa: BLE001 - without the text there is nothing to archive; say so in the log
            log.warning("Slack: cannot read message %s to archive it", target.message_id)
            return None
        messages = found.get("messages") or []
        if not messages or messages[0].get("ts") != target.message_id or "user" not in messages[0]:
            return None
        user_id = str(messages[0]["user"])
        return QuotedMessage(target, actor(user_id, await self._name(user_id)), str(messages[0].get("text", "")))

    async def _named(self, message: MessageReceived) -> MessageReceived:
        """The message with its sender's display name."""
        name = await self._name(message.sender.user_id)
        return replace(message, sender=actor(message.sender.user_id, name)) if name else message

    async def _name(self, user_id: str) -> str | None:
        """A user's display name, looked up once."""
        if user_id not in self._names:
            try:
                info = await self.client.users_info(user=user_id)
            except Exception:  # noqa: BLE001 - a name is a nicety; the user id will do
                log.warning("Slack: no profile for %s", user_id)
                return None
            user = info["user"]
            self._names[user_id] = (user.get("profile", {}).get("display_name") or user.get("real_name")
                                    or user.get("name") or user_id)
        return self._names[user_id]
