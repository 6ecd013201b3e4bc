"""A small local fake of Slack for the Slack adapter tests.

``FakeSlack`` is an aiohttp server on 127.0.0.1 (free port) that plays both
sides of Slack the bot talks to:

* the **Web API** under ``/api/<method>`` (point slack_sdk at it with
  ``AsyncWebClient(base_url=fake.api_url)`` -- note the trailing slash in
  ``api_url``: slack_sdk joins URLs with ``urljoin``), answering with the JSON
  shapes Slack documents, recording every call, and able to answer 429;
* **Socket Mode**: ``apps.connections.open`` hands out
  ``ws://127.0.0.1:<port>/socket-mode``; the fake says ``hello`` on connect,
  pushes envelopes with :meth:`FakeSlack.push` and reads the client's acks
  with :meth:`FakeSlack.wait_for_ack`.

It also accepts file uploads (``files.getUploadURLExternal`` hands out an
``/upload/<file_id>`` URL on the fake) and ``response_url`` posts
(:attr:`FakeSlack.response_url`), and has payload builders
(:func:`slash_command`, :func:`block_action`, :func:`view_submission`,
:func:`message_event`, :func:`reaction_event`) and :func:`sign` for bolt's
HTTP mode.

Shapes follow docs.slack.dev: the Events API wrapper (``event_callback`` with
``event_id``/``event_time``/``authorizations``), the slash command fields,
``block_actions``/``view_submission`` interaction payloads, the Socket Mode
``hello``/``disconnect`` messages and envelopes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self, TypeVar

from aiohttp import WSCloseCode, WSMsgType, web

TEAM_ID = "T0KC"
TEAM_DOMAIN = "kenniscafe"
API_APP_ID = "A0KC"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"

# Form fields Slack takes as JSON-encoded strings; decoded when recorded.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata"})
_NOT_SET_URL = "http://127.0.0.1:1/response-url-not-set"

_ids = itertools.count(1)
_T = TypeVar("_T")


def _next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):08X}"


@dataclass
class Call:
    """One request the fake received: a Web API call (``method`` is e.g.
    ``"chat.postMessage"``), a ``"response_url"`` post or an ``"upload"``."""

    method: str
    args: dict[str, Any]
    token: str | None = None
    http_method: str = "POST"
    path: str = ""
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Envelope:
    envelope_id: str
    type: str
    pushed_at: float
    ack: dict[str, Any] | None = None
    acked_at: float | None = None


class FakeSlack:
    """The fake Slack server. Use as ``async with FakeSlack() as fake:``.

    State the tests may read or fill:

    * ``calls`` -- delivered Web API calls (and response_url posts/uploads);
      ``rejected`` -- calls answered 429 by :meth:`fail_next`;
    * ``users`` / ``channels`` -- ``{id: {...}}`` merged into ``users.info`` /
      ``conversations.info`` answers (``real_name``/``display_name`` default
      to the id); ``not_in_channel`` -- channels the bot is not in (posting
      there fails with ``not_in_channel``, as Slack does);
    * ``messages`` -- ``{(channel, ts): message}`` posted through the API;
      ``views`` -- ``{view_id: view}``; ``uploads`` -- ``{file_id: bytes}``.
    """

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        api_app_id: str = API_APP_ID,
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.api_app_id = api_app_id
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        # Channels the bot was never invited to: posting there answers not_in_channel.
        self.not_in_channel: set[str] = set()
        self.connections_opened = 0
        self.client_messages: list[dict[str, Any]] = []
        self._ts = itertools.count(1)
        self._failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._envelopes: dict[str, _Envelope] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }

    # -- lifecycle --------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port on 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._web_api)
        app.router.add_get("/socket-mode", self._socket_mode)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{name}", self._response_url)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close open Socket Mode connections and stop the server."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for slack_sdk clients; ends in ``/`` (required)."""
        return f"{self.base_url}/api/"

    @property
    def ws_url(self) -> str:
        """The Socket Mode URL ``apps.connections.open`` hands out."""
        return f"ws://127.0.0.1:{self._port}/socket-mode"

    @property
    def response_url(self) -> str:
        """A ``response_url`` for payload builders; posts are recorded as
        calls with method ``"response_url"``."""
        return f"{self.base_url}/response/{_next_id('R')}"

    # -- recording and waiting -------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Delivered calls of ``method`` (not the 429-rejected ones)."""
        return [c for c in self.calls if c.method == method]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        # Generous: on a loaded two-core CI machine a round trip has taken over 5 s.
        timeout: float = 15,
        *,
        since: int = 0,
    ) -> Call:
        """The first delivered call of ``method`` (from ``calls[since:]``)
        matching ``predicate``, waiting for it up to ``timeout`` seconds.
        Pass ``since=len(fake.calls)`` to ignore calls made before."""

        def find() -> Call | None:
            for call in self.calls[since:]:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            return None

        return await self._wait(find, timeout, f"a {method} call")

    def fail_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429,
        ``Retry-After: retry_after`` and ``{"ok": false, "error": "ratelimited"}``
        (slack_sdk reads the header as an int and sleeps it plus up to 1 s)."""
        body = {"ok": False, "error": "ratelimited"}
        headers = {"Retry-After": str(retry_after)}
        self._failures.setdefault(method, []).extend([(429, body, headers)] * times)

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 200 and
        ``{"ok": false, "error": error}`` (recorded as delivered)."""
        body = {"ok": False, "error": error}
        self._failures.setdefault(method, []).extend([(200, body, {})] * times)

    async def _wait(self, find: Callable[[], _T | None], timeout: float, what: str) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := find()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"fake Slack saw no {what} within {timeout}s")
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass
        return found

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _record(self, call: Call, *, rejected: bool = False) -> None:
        (self.rejected if rejected else self.calls).append(call)
        self._notify()

    # -- Web API ------------------------------------------------------------

    async def _web_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        args[key] = value.file.read()
                    elif isinstance(value, str):
                        args[key] = value
                    else:
                        args[key] = bytes(value)
        for key in _JSON_FIELDS & args.keys():
            if isinstance(args[key], str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    pass
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
        call = Call(method, args, token, request.method, request.path)

        pending = self._failures.get(method)
        if pending:
            status, body, headers = pending.pop(0)
            self._record(call, rejected=status == 429)
            return web.json_response(body, status=status, headers=headers)
        self._record(call)
        return web.json_response(self._answer(method, args, token), headers=self._headers(method))

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        if not token:
            return {"ok": False, "error": "not_authed"}
        app_token = token.startswith("xapp-")
        if app_token != (method == "apps.connections.open"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return handler(args)

    def _headers(self, method: str) -> dict[str, str]:
        if method == "auth.test":
            return {"x-oauth-scopes": "chat:write,commands,im:write,reactions:read,users:read"}
        return {}

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + next(self._ts) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id ``conversations.open`` gives for ``user_id``."""
        return f"D{user_id}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Kenniscafé",
            "user": "kenniscafe",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.api_app_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        if channel[0] in "UW":
            channel = self.dm_channel(channel)
        ts = self._next_ts()
        message = self._message(args, ts)
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel", ""), args.get("ts", "")
        old = self.messages.get((channel, ts))
        if old is None:
            return {"ok": False, "error": "message_not_found"}
        message = {**old, **self._message(args, ts), "edited": {"user": self.bot_user_id}}
        self.messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if args["channel"] in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if len(users) != 1:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel: dict[str, Any] = {"id": self.dm_channel(users[0])}
        if str(args.get("return_im")) in ("1", "true", "True"):
            channel.update({"is_im": True, "user": users[0]})
        return {"ok": True, "channel": channel}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(args.get("channel", ""))
        if not channel_id:
            return {"ok": False, "error": "channel_not_found"}
        is_im = channel_id.startswith("D")
        channel: dict[str, Any] = {
            "id": channel_id,
            "name": channel_id,
            "is_channel": not is_im,
            "is_group": False,
            "is_im": is_im,
            "is_private": is_im,
            "is_archived": False,
            "is_member": True,
            "context_team_id": self.team_id,
        }
        if is_im:
            channel["user"] = channel_id[1:]
        channel.update(self.channels.get(channel_id, {}))
        return {"ok": True, "channel": channel}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Messages of a channel (those the bot posted or a test stored in
        ``messages``), newest first, up to ``latest`` (inclusive if asked)."""
        channel = str(args.get("channel", ""))
        latest = str(args.get("latest", "9999999999.999999"))
        inclusive = str(args.get("inclusive")) in ("1", "true", "True")
        found = sorted(
            (message for (where, ts), message in self.messages.items()
             if where == channel and (float(ts) < float(latest) or (inclusive and ts == latest))),
            key=lambda message: float(message["ts"]), reverse=True,
        )
        return {"ok": True, "messages": found[: int(args.get("limit", 100))], "has_more": False}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        extra = self.users.get(user_id, {})
        real_name = extra.get("real_name", user_id)
        display_name = extra.get("display_name", user_id)
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": extra.get("name", user_id.lower()),
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/Amsterdam",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "is_admin": False,
            "is_bot": user_id == self.bot_user_id,
            "updated": 1700000000,
        }
        user.update({k: v for k, v in extra.items() if k not in ("real_name", "display_name")})
        user["profile"] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "team": self.team_id,
        }
        return {"ok": True, "user": user}

    def _stored_view(self, view: dict[str, Any], view_id: str, root: str) -> dict[str, Any]:
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": _next_id("H"),
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": root,
            "previous_view_id": None,
            "app_id": self.api_app_id,
            "bot_id": self.bot_id,
            **view,
        }
        self.views[view_id] = stored
        return stored

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not args.get("trigger_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        view_id = _next_id("V")
        return {"ok": True, "view": self._stored_view(view, view_id, view_id)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        old = self.views.get(str(args.get("view_id", "")))
        if old is None and args.get("external_id"):
            old = next(
                (v for v in self.views.values() if v["external_id"] == args["external_id"]), None
            )
        if old is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != old["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return {"ok": True, "view": self._stored_view(view, old["id"], old["root_view_id"])}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not args.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = _next_id("F")
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        if any(f.get("id") not in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        channel = args.get("channel_id") or args.get("channels")
        return {
            "ok": True,
            "files": [
                {
                    "id": f["id"],
                    "title": f.get("title") or f["id"],
                    "size": len(self.uploads[f["id"]]),
                    "channels": [channel] if channel else [],
                }
                for f in files
            ],
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.ws_url}

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.uploads[file_id] = data
        self._record(
            Call("upload", {"file_id": file_id, "size": len(data)}, None, "POST", request.path)
        )
        return web.Response(text=f"OK - {len(data)}")

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else {}
        self._record(Call("response_url", body, None, "POST", request.path))
        return web.Response(text="ok")

    # -- Socket Mode ------------------------------------------------------

    async def _socket_mode(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=1.0)  # autoping answers the SDK's pings
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections_opened += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {
                    "host": "fake-slack",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.api_app_id},
            }
        )
        self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_client_message(json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._sockets.remove(ws)
            self._notify()
        return ws

    def _on_client_message(self, message: dict[str, Any]) -> None:
        self.client_messages.append(message)
        envelope = self._envelopes.get(str(message.get("envelope_id")))
        if envelope is not None and envelope.ack is None:
            envelope.ack, envelope.acked_at = message, time.monotonic()
        self._notify()

    @property
    def connected(self) -> bool:
        """Whether a Socket Mode client is connected now."""
        return bool(self._sockets)

    async def wait_connected(self, timeout: float = 5, *, clients: int = 1) -> None:
        """Wait until ``clients`` Socket Mode clients are connected (and got ``hello``)."""
        await self._wait(lambda: True if len(self._sockets) >= clients else None, timeout,
                         f"{clients} Socket Mode connection(s)")

    async def push(
        self,
        envelope_type: Literal["slash_commands", "interactive", "events_api"],
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool | None = None,
        connection: int = -1,
    ) -> str:
        """Send an envelope to a connected client (the newest, unless
        ``connection`` picks another by its place in the order they
        connected); its envelope_id.

        ``accepts_response_payload`` defaults to Slack's: true for slash
        commands and view submissions / block suggestions. ``retry_attempt``
        and ``retry_reason`` are only sent for ``events_api`` (as Slack does)."""
        await self.wait_connected()
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or payload.get("type") in (
                "view_submission",
                "block_suggestion",
            )
        envelope_id = _next_id("env-")
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            message.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        self._envelopes[envelope_id] = _Envelope(envelope_id, envelope_type, time.monotonic())
        await self._sockets[connection].send_json(message)
        return envelope_id

    async def wait_for_ack(
        self, envelope_id: str, timeout: float = 3
    ) -> tuple[dict[str, Any], float]:
        """The client's ack of ``envelope_id`` (``{"envelope_id", "payload"?}``)
        and the seconds from :meth:`push` to the ack."""
        envelope = self._envelopes[envelope_id]
        ack = await self._wait(lambda: envelope.ack, timeout, f"ack for {envelope_id}")
        assert envelope.acked_at is not None
        return ack, envelope.acked_at - envelope.pushed_at

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every connected client
        (slack_sdk then calls ``apps.connections.open`` and reconnects)."""
        for ws in list(self._sockets):
            await ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}}
            )


# -- payload builders ------------------------------------------------------


def _user(user_id: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def slash_command(
    text: str,
    user_id: str,
    channel_id: str,
    command: str = "/kc",
    trigger_id: str | None = None,
    *,
    response_url: str = _NOT_SET_URL,
    team_id: str = TEAM_ID,
    channel_name: str | None = None,
) -> dict[str, Any]:
    """A slash command payload (Socket Mode ``slash_commands`` envelope)."""
    return {
        "token": "verification-token",
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name
        or ("directmessage" if channel_id.startswith("D") else channel_id),
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _next_id("trigger."),
    }


def block_action(
    action_id: str,
    value: str,
    user_id: str,
    channel_id: str,
    message_ts: str,
    *,
    block_id: str = "actions",
    trigger_id: str | None = None,
    response_url: str = _NOT_SET_URL,
    message: dict[str, Any] | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button pressed on a message."""
    return {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id or _next_id("trigger."),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id},
        "message": message
        or {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "", "ts": message_ts},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]],
    user_id: str,
    private_metadata: str = "",
    *,
    view_id: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A ``view_submission`` payload. ``values`` is Slack's
    ``{block_id: {action_id: {...}}}``; a plain string leaf becomes
    ``{"type": "plain_text_input", "value": s}`` (give dicts such as
    ``{"type": "datepicker", "selected_date": "2026-12-01"}`` for pickers)."""
    state = {
        block: {
            action: ({"type": "plain_text_input", "value": v} if isinstance(v, str) else dict(v))
            for action, v in actions.items()
        }
        for block, actions in values.items()
    }
    view_id = view_id or _next_id("V")
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "verification-token",
        "trigger_id": _next_id("trigger."),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": _next_id("H"),
            "title": {"type": "plain_text", "text": "Kenniscafé"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "close": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": API_APP_ID,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def _event_callback(event: dict[str, Any], event_id: str | None, team_id: str) -> dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or _next_id("Ev"),
        "event_time": int(float(event["event_ts"])),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": _next_id("4-ctx"),
    }


def message_event(
    text: str,
    user: str,
    channel: str,
    ts: str,
    thread_ts: str | None = None,
    event_id: str | None = None,
    *,
    team_id: str = TEAM_ID,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An Events API ``message`` event (``events_api`` envelope payload);
    ``thread_ts`` makes it a thread reply, ``extra`` adds event fields."""
    event: dict[str, Any] = {
        "type": "message",
        "client_msg_id": _next_id("msg-"),
        "user": user,
        "text": text,
        "ts": ts,
        "team": team_id,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im" if channel.startswith("D") else "channel",
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event.update(extra or {})
    return _event_callback(event, event_id, team_id)


def reaction_event(
    kind: Literal["reaction_added", "reaction_removed"],
    reaction: str,
    user: str,
    channel: str,
    item_ts: str,
    event_id: str | None = None,
    *,
    item_user: str = BOT_USER_ID,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """An Events API ``reaction_added``/``reaction_removed`` event on a
    message (``reaction`` is Slack's name, e.g. ``white_check_mark``)."""
    event = {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": item_ts},
        "event_ts": f"{time.time():.6f}",
    }
    return _event_callback(event, event_id, team_id)


def sign(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """Slack's request-signing headers for an HTTP-mode request ``body``:
    ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` with ``secret``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": str(timestamp)}
