"""The Slack adapter on slack-bolt's AsyncApp: Socket Mode by default, HTTP
mode (signatures verified) by config.

Inbound: Events API events (messages, reactions) are handled before they are
acknowledged — the handling only decides and stores, in milliseconds — so
when the process dies first, Slack delivers the event again; retried events
are dropped by the core's inbound deduplication on their ``event_id``. Slash
commands, button presses and form submissions are acknowledged first (Slack
never retries those, and the 3 seconds must not be at risk) and deduplicated
by their ``trigger_id``.

Outbound (:meth:`SlackAdapter.deliver`): answers to slash commands and
buttons go through the request's ``response_url``, which works in channels
the bot was never invited to; everything else through the Web API. 429s are
retried after Retry-After and connection errors once by slack-sdk's retry
handlers; what still fails goes back to the outbox's deliverer, which
retries transient failures with backoff and records permanent ones.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import ClientError, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.readers import Readers, ReadersOf
from adapters.slack.modal import CALLBACK_ID, event_form_view, field_errors, read_submission
from adapters.slack.render import fits_in_message, message_args
from adapters.slack.translate import (
    PLATFORM,
    actor,
    button_action,
    mentioned_users,
    message_event,
    plain_text,
    reaction_event,
    room,
    slash_command,
)
from adapters.startup import StartupError
from bot.config import SlackSettings
from bot.incoming import (
    Incoming,
    MessageReceived,
    MessageRef,
    QuotedMessage,
    ReactionAdded,
)
from bot.messages import DEFAULT_LANGUAGE, say_text
from bot.outgoing import DeliveryFailed, Kind, Outgoing, Queued
from bot.paging import paginate
from bot.ports import Clock
from bot.richtext import Document, paragraph, render_plain
from bot.services.archive import BOOKMARK

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 5
CONNECTION_RETRIES = 2
HTTP_PATH = "/slack/events"
# Events are acknowledged once handled; a handling slower than this is
# acknowledged anyway (Slack allows 3 s) and finishes afterwards.
EVENT_ACK_SECONDS = 2.5
# Requests handled at once. Handling is database work, which one writer at a
# time does anyway; more at once would only crowd the event loop, and the
# acknowledgements of a burst of requests would wait behind it.
HANDLING_AT_ONCE = 4
_MODAL_TEXTS = {"", "event new", "event nieuw"}
# Slack errors worth retrying; every other error would come back unchanged.
_TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
                     "invalid_auth", "not_authed", "account_inactive", "token_revoked", "team_added_to_org"}
# The bot may not post here: it was never invited (or the channel is gone).
_NOT_HERE = {"not_in_channel", "channel_not_found", "is_archived"}



def _retry_handlers() -> list[AsyncRetryHandler]:
    return [AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES)]


class SlackAdapter:
    """Connects the core to one Slack workspace; implements the Messenger port."""

    platform = PLATFORM

    def __init__(self, settings: SlackSettings, handle: Callable[[Incoming], Awaitable[object]],
                 readers_of: ReadersOf, clock: Clock, *, http_host: str = "0.0.0.0") -> None:
        self.settings = settings
        self._handle = handle
        self._readers_of = readers_of
        self._clock = clock
        self._http_host = http_host
        self.client = AsyncWebClient(
            token=settings.bot_token, base_url=settings.api_url or "https://slack.com/api/",
            retry_handlers=_retry_handlers(),
        )
        http = settings.mode == "http"
        # process_before_response: an event is acknowledged after its
        # listener returned (see _on_event), not before it ran.
        self.app = AsyncApp(client=self.client, signing_secret=settings.signing_secret,
                            request_verification_enabled=http, process_before_response=True)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._names: dict[str, str] = {}
        self._stopping = asyncio.Event()
        self._work: set[asyncio.Task[None]] = set()
        self._handling = asyncio.Semaphore(HANDLING_AT_ONCE)
        self._register()

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Check the bot token, then connect Socket Mode or start the HTTP
        endpoint; a token Slack refuses stops the start with one line."""
        try:
            await self.client.auth_test()
        except SlackApiError as error:
            raise StartupError(f"Slack refused the bot token ({_error_code(error) or error})") from error
        except (ClientError, TimeoutError) as error:
            raise StartupError(f"Slack's API at {self.settings.api_url} is unreachable: {error!r}") from error
        if self.settings.mode == "http":
            server = AsyncSlackAppServer(port=self.settings.http_port, path=HTTP_PATH, app=self.app,
                                         host=self._http_host)
            self._runner = web.AppRunner(server.web_app)
            await self._runner.setup()
            await web.TCPSite(self._runner, self._http_host, self.settings.http_port).start()
        else:
            self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token, web_client=self.client)
            try:
                await self._socket.connect_async()
            except SlackApiError as error:
                raise StartupError(f"Slack refused the app token ({_error_code(error) or error})") from error

    async def run(self) -> None:
        """Serve until :meth:`stop` (bolt's own tasks do the work)."""
        await self._stopping.wait()

    async def stop(self) -> None:
        """Stop taking requests; let the work already acknowledged finish."""
        self._stopping.set()
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.gather(*self._work, return_exceptions=True)

    async def close(self) -> None:
        """Nothing more to release (the Web API client has no open session)."""

    # -- Messenger port ----------------------------------------------------

    async def deliver(self, message: Queued) -> list[MessageRef]:
        """Send a stored message, mapping Slack's errors to retryable or permanent failures."""
        outgoing = message.message
        try:
            if outgoing.kind == Kind.UPDATE:
                await self._update(outgoing)
                return []
            if outgoing.kind == Kind.DIRECT:
                assert outgoing.user_id is not None
                return await self._post_direct(outgoing.user_id, outgoing)
            if outgoing.kind == Kind.PRIVATE:
                await self._post_private(outgoing)
                return []
            return await self._post_in_room(outgoing)
        except SlackApiError as error:
            raise slack_failure(error) from error
        except (ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"Slack unreachable: {error!r}", permanent=False) from error

    async def _post_in_room(self, outgoing: Outgoing) -> list[MessageRef]:
        """A public answer. To a slash command it goes through its
        response_url (shown with the command, in any channel) unless it
        stands for a post or event: then it is posted, so reactions on it
        can be counted, falling back to the response_url where the bot may
        not post."""
        assert outgoing.room_id is not None
        if outgoing.reply_handle is not None and outgoing.anchor is None and outgoing.attachment is None:
            await self._respond(outgoing.reply_handle, outgoing.doc, in_channel=True)
            return []
        try:
            refs = await self._post_pages(outgoing.room_id, outgoing)
            if outgoing.attachment is not None:
                refs.append(await self._upload(outgoing.room_id, outgoing))
            return refs
        except SlackApiError as error:
            if _error_code(error) not in _NOT_HERE or outgoing.reply_handle is None:
                raise
            readers = await self._readers_of(room(outgoing.room_id), outgoing.user_id)
            language = readers.language if readers else DEFAULT_LANGUAGE
            doc = Document((*outgoing.doc.blocks, paragraph(say_text(language, "slack.not_in_channel"))))
            await self._respond(outgoing.reply_handle, doc, in_channel=True)
            return []

    async def _post_pages(self, channel: str, outgoing: Outgoing) -> list[MessageRef]:
        refs = []
        for page in paginate(outgoing.doc, fits_in_message):
            response = await self.client.chat_postMessage(channel=channel, thread_ts=outgoing.thread_root,
                                                          **message_args(page))
            refs.append(MessageRef(room(str(response["channel"])), str(response["ts"])))
        return refs

    async def _post_private(self, outgoing: Outgoing) -> None:
        """Only the user sees it: the response_url's ephemeral answer, else an
        ephemeral message, else (the bot is not in the channel) a DM."""
        assert outgoing.user_id is not None and outgoing.room_id is not None
        if outgoing.reply_handle is not None:
            await self._respond(outgoing.reply_handle, outgoing.doc, in_channel=False)
            return
        for page in paginate(outgoing.doc, fits_in_message):
            try:
                await self.client.chat_postEphemeral(channel=outgoing.room_id, user=outgoing.user_id,
                                                     **message_args(page))
            except SlackApiError as error:
                if _error_code(error) not in (*_NOT_HERE, "user_not_in_channel"):
                    raise
                await self._post_direct(outgoing.user_id, replace(outgoing, doc=page))

    async def _post_direct(self, user_id: str, outgoing: Outgoing) -> list[MessageRef]:
        opened = await self.client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        refs = await self._post_pages(channel, replace(outgoing, thread_root=None))
        if outgoing.attachment is not None:
            refs.append(await self._upload(channel, outgoing))
        return refs

    async def _update(self, outgoing: Outgoing) -> None:
        """Replace an announcement: through the button's response_url when
        there is one (it works wherever the button was), else chat.update."""
        if outgoing.reply_handle is not None:
            await self._respond(outgoing.reply_handle, outgoing.doc, replace_original=True)
            return
        assert outgoing.room_id is not None and outgoing.target is not None
        await self.client.chat_update(channel=outgoing.room_id, ts=outgoing.target, **message_args(outgoing.doc))

    async def _upload(self, channel: str, outgoing: Outgoing) -> MessageRef:
        file = outgoing.attachment
        assert file is not None
        response = await self.client.files_upload_v2(channel=channel, content=file.content, filename=file.filename,
                                                     initial_comment=render_plain(outgoing.doc))
        file_id = str((response.get("files") or [{}])[0].get("id", file.filename))
        return MessageRef(room(channel), f"file:{file_id}")

    async def _respond(self, url: str, doc: Document, *, in_channel: bool = False,
                       replace_original: bool = False) -> None:
        """Answer through a response_url (valid 30 minutes, five answers)."""
        hook = AsyncWebhookClient(url, retry_handlers=_retry_handlers())
        for number, page in enumerate(paginate(doc, fits_in_message)):
            response = await hook.send(
                **message_args(page), response_type="in_channel" if in_channel else "ephemeral",
                replace_original=replace_original and number == 0,
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise DeliveryFailed(f"Slack response_url answered {response.status_code}", permanent=False,
                                     retry_after=_retry_after(response.headers))
            if response.status_code != 200:
                raise DeliveryFailed(f"Slack response_url answered {response.status_code}: {response.body}",
                                     permanent=True)

    # -- listeners -----------------------------------------------------------

    def _register(self) -> None:
        self.app.command("/kc")(self._on_command)
        self.app.action(re.compile("^kc_"))(self._on_action)
        self.app.view(CALLBACK_ID)(self._on_view)
        self.app.event("message")(self._on_message)
        self.app.event("reaction_added")(self._on_reaction)
        self.app.event("reaction_removed")(self._on_reaction)

    def _in_background(self, work: Awaitable[None]) -> asyncio.Task[None]:
        """Run ``work`` beside the listener; stop() waits for it."""
        task = asyncio.ensure_future(work)
        self._work.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._work.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack: handling a request failed", exc_info=task.exception())

    async def _on_event(self, event: Incoming) -> None:
        """Handle an Events API event, then let bolt acknowledge it. If the
        handling fails, the listener fails and the event is not
        acknowledged: Slack delivers it again."""
        task = self._in_background(self._deliver(event))
        try:
            await asyncio.wait_for(asyncio.shield(task), EVENT_ACK_SECONDS)
        except TimeoutError:
            log.info("Slack: acknowledging %s before its handling finished", event.event_id)

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if str(body.get("text", "")).strip().lower() in _MODAL_TEXTS:
            # trigger_id expires in 3 s: open the modal right away.
            self._in_background(self._open_form(body))
        else:
            self._in_background(self._deliver(slash_command(body)))

    async def _open_form(self, body: dict[str, Any]) -> None:
        readers = await self._readers_of(room(body["channel_id"]), body.get("user_id"))
        language = readers.language if readers else DEFAULT_LANGUAGE
        await self.client.views_open(trigger_id=body["trigger_id"], view=event_form_view(body["channel_id"], language))

    async def _deliver(self, event: Incoming) -> None:
        async with self._handling:
            if isinstance(event, MessageReceived):
                event = await self._named(event)
            elif isinstance(event, ReactionAdded) and event.emoji == BOOKMARK:
                event = replace(event, target_message=await self._quoted(event.target))
            await self._handle(event)

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        pressed = button_action(body)
        if pressed is not None:
            self._in_background(self._deliver(pressed))

    async def _on_view(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = read_submission(view)
        user = body.get("user", {})
        readers = await self._readers_of(room(form.channel), user.get("id"))
        errors = field_errors(form, readers or Readers("UTC", DEFAULT_LANGUAGE, DEFAULT_LANGUAGE), self._clock.now())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        trigger = body.get("trigger_id")
        self._in_background(self._deliver(MessageReceived(
            sender=actor(str(user.get("id")), user.get("name")),
            ref=MessageRef(room(form.channel), f"view:{view.get('id', '')}"),
            text=form.command_text(),
            event_id=f"view:{trigger}" if trigger else None,
            explicit_command=True,
        )))

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        message = message_event(event, body.get("event_id"))
        if message is not None:
            await self._on_event(message)

    async def _on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        reaction = reaction_event(event, body.get("event_id"))
        if reaction is not None:
            await self._on_event(reaction)

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
        text = await self._plain(str(messages[0].get("text", "")))
        return QuotedMessage(target, actor(user_id, await self._name(user_id)), text,
                             from_bot=bool(messages[0].get("bot_id")))

    async def _named(self, message: MessageReceived) -> MessageReceived:
        """The message with its sender's display name, and its text as typed
        (Slack's escaping and markup decoded, mentions by name)."""
        name = await self._name(message.sender.user_id)
        named = replace(message, sender=actor(message.sender.user_id, name)) if name else message
        return replace(named, text=await self._plain(message.text))

    async def _plain(self, text: str) -> str:
        names = {user: await self._name(user) or user for user in mentioned_users(text)}
        return plain_text(text, names)

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


def _error_code(error: SlackApiError) -> str:
    return str((error.response.get("error") if error.response is not None else None) or "")


def _retry_after(headers: Any) -> float | None:
    values = headers.get("Retry-After") or headers.get("retry-after") if headers else None
    value = values[0] if isinstance(values, list) else values
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def slack_failure(error: SlackApiError) -> DeliveryFailed:
    """A Web API error as a delivery failure: rate limits, Slack's own
    trouble and a broken token are retried (after Retry-After when given);
    anything else (not in channel, no such user, bad request) is permanent."""
    code = _error_code(error)
    status = error.response.status_code if error.response is not None else 0
    reason = f"Slack: {code or status}"
    if code == "ratelimited" or status == 429:
        headers = error.response.headers if error.response is not None else {}
        return DeliveryFailed(reason, permanent=False, retry_after=_retry_after(headers))
    return DeliveryFailed(reason, permanent=not (code in _TRANSIENT_ERRORS or status >= 500))
