"""The Matrix adapter: a matrix-nio client that syncs, translates and replies.

Position (rule 8): the sync token is saved after the events of a sync were
handled, so a crash replays at most that sync (and inbound deduplication by
event id drops what was already answered). On first start the bot takes the
current position without handling history. A ``limited`` timeline (more
events than the sync returned) is paged back to the previous position, so no
command of a burst is lost.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MessageDirection,
    ReactionEvent,
    RedactionEvent,
    RoomCreateResponse,
    RoomGetEventResponse,
    RoomMessagesResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

from adapters.matrix.render import message_content
from adapters.matrix.translate import (
    PLATFORM,
    actor,
    inviter_allowed,
    message_ref,
    relations,
    reply_relation,
    strip_reply_fallback,
    text_message,
)
from bot.config import MatrixSettings
from bot.incoming import (
    Actor,
    Incoming,
    MessageRef,
    QuotedMessage,
    ReactionAdded,
    ReactionRemoved,
    RoomRef,
)
from bot.richtext import Document, document, paragraph
from storage.repositories.adapter_state import SqlAdapterState

log = logging.getLogger(__name__)
T = TypeVar("T")


class MatrixRequestFailed(Exception):
    """The homeserver answered a request with an error."""


def _expect(response: object, kind: type[T], what: str) -> T:
    """``response`` if it is the success type, else a clear error."""
    if not isinstance(response, kind):
        raise MatrixRequestFailed(f"Matrix: {what} failed: {response}")
    return response

SYNC_TIMEOUT_MS = 30_000
BACKFILL_PAGE = 100
# Rooms with lazily loaded members: display names of senders without the
# whole member list; the timeline limit stays the server's default (100).
SYNC_FILTER: dict[str, Any] = {"room": {"state": {"lazy_load_members": True}, "timeline": {"lazy_load_members": True}}}
FIRST_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 0}}}
_TOKEN_KEY = "matrix:next_batch"
_LOGIN_KEY = "matrix:login"


class MatrixAdapter:
    """Connects the core to one Matrix account; implements the Messenger port."""

    platform = PLATFORM

    def __init__(self, settings: MatrixSettings, handle: Callable[[Incoming], Awaitable[None]],
                 state: SqlAdapterState) -> None:
        assert settings.homeserver and settings.user_id
        self.settings = settings
        self.user_id = settings.user_id
        self._handle = handle
        self._state = state
        # nio retries 429s itself after the server's retry_after_ms, and
        # timeouts with backoff: never spinning, never giving up on a reply.
        config = AsyncClientConfig(max_limit_exceeded=None, max_timeouts=None, backoff_factor=0.5,
                                   max_timeout_retry_wait_time=30, store_sync_tokens=False)
        self.client = AsyncClient(settings.homeserver, settings.user_id, device_id=settings.device_id or "",
                                  config=config)
        self._token: str | None = None
        self._threads: dict[str, str] = {}  # event id → thread root, to reply in the thread
        self._stopping = asyncio.Event()
        self._poll: asyncio.Task[Any] | None = None
        self.backfilled = 0  # events recovered from limited timelines (for logs and tests)

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Log in (reusing the stored device), and take the sync position."""
        await self._login()
        self._token = await self._state.get(_TOKEN_KEY)
        if self._token is None:
            # First start: skip history; only invites waiting now are looked at.
            first = _expect(await self.client.sync(timeout=0, sync_filter=FIRST_SYNC_FILTER, full_state=True),
                            SyncResponse, "the first sync")
            await self._on_invites(first)
            await self._save_position(first.next_batch)

    async def run(self) -> None:
        """Sync and handle until :meth:`stop`; errors back off with jitter."""
        failures = 0
        while not self._stopping.is_set():
            try:
                self._poll = asyncio.ensure_future(
                    self.client.sync(timeout=SYNC_TIMEOUT_MS, sync_filter=SYNC_FILTER, since=self._token)
                )
                response = await self._poll
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            finally:
                self._poll = None
            if not isinstance(response, SyncResponse):
                failures += 1
                delay = min(60.0, 2.0 ** min(failures, 6)) * random.uniform(0.5, 1.0)
                log.warning("Matrix sync failed (%s); retrying in %.1f s", response, delay)
                await self._sleep(delay)
                continue
            failures = 0
            await self._on_sync(response)

    async def stop(self) -> None:
        """Cancel the long-poll (not wait it out); the event in hand finishes."""
        self._stopping.set()
        if self._poll is not None:
            self._poll.cancel()

    async def close(self) -> None:
        """Release the HTTP session."""
        await self.client.close()

    # -- Messenger port ----------------------------------------------------

    async def send(self, room: RoomRef, doc: Document, *, in_reply_to: MessageRef | None = None) -> MessageRef:
        """Post ``doc`` as HTML plus plain text, as a reply (in its thread) when asked."""
        content = message_content(doc)
        if in_reply_to is not None:
            content["m.relates_to"] = reply_relation(in_reply_to.message_id, self._threads.get(in_reply_to.message_id))
        return await self._send_content(room.room_id, content)

    async def send_direct(self, user_id: str, doc: Document) -> MessageRef | None:
        """A DM in the direct room with ``user_id`` (created on first use)."""
        room_id = await self._direct_room(user_id)
        if room_id is None:
            return None
        return await self._send_content(room_id, message_content(doc))

    async def send_private(self, room: RoomRef, user_id: str, doc: Document) -> None:
        """Matrix has no ephemeral messages: a DM."""
        await self.send_direct(user_id, doc)

    async def update(self, ref: MessageRef, doc: Document) -> None:
        """Not done on Matrix: an edit notifies the room again; `event E3` shows the seats."""

    async def send_file(self, room: RoomRef, filename: str, content: bytes, mimetype: str,
                        caption: Document) -> MessageRef:
        """Upload a file and post it after its caption."""
        await self.send(room, caption)
        upload, _ = await self.client.upload(io.BytesIO(content), content_type=mimetype, filename=filename,
                                             filesize=len(content))
        upload = _expect(upload, UploadResponse, f"uploading {filename}")
        file_content = {"msgtype": "m.file", "body": filename, "url": upload.content_uri,
                        "info": {"mimetype": mimetype, "size": len(content)}}
        return await self._send_content(room.room_id, file_content)

    # -- sync handling -----------------------------------------------------

    async def _on_sync(self, response: SyncResponse) -> None:
        await self._on_invites(response)
        rooms = [self._on_room(room_id, info) for room_id, info in response.rooms.join.items()]
        await asyncio.gather(*rooms)
        await self._save_position(response.next_batch)

    async def _on_room(self, room_id: str, info: Any) -> None:
        events = list(info.timeline.events)
        if info.timeline.limited and self._token is not None:
            events = await self._backfill(room_id, info.timeline.prev_batch) + events
        for event in events:
            try:
                await self._on_event(room_id, event)
            except Exception:
                log.exception("Matrix: handling %s in %s failed", getattr(event, "event_id", "?"), room_id)

    async def _backfill(self, room_id: str, prev_batch: str | None) -> list[Any]:
        """The events a limited timeline left out, oldest first, back to our position."""
        older: list[Any] = []
        start = prev_batch
        while start:
            page = await self.client.room_messages(room_id, start=start, end=self._token,
                                                   direction=MessageDirection.back, limit=BACKFILL_PAGE)
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            older.extend(page.chunk)
            self.backfilled += len(page.chunk)
            if page.end is None or page.end == start:
                break
            start = page.end
        return list(reversed(older))

    async def _on_event(self, room_id: str, event: Any) -> None:
        if getattr(event, "sender", None) == self.user_id:
            return
        if isinstance(event, RoomMessageText):
            await self._on_message(room_id, event)
        elif isinstance(event, ReactionEvent):
            await self._on_reaction(room_id, event)
        elif isinstance(event, RedactionEvent):
            await self._on_redaction(room_id, event)

    async def _on_message(self, room_id: str, event: RoomMessageText) -> None:
        related = relations(event.source.get("content", {}))
        if related.thread_root:
            self._threads[event.event_id] = related.thread_root
        reply_to = await self._quoted(room_id, related.reply_to) if related.reply_to else None
        await self._handle(text_message(room_id, event.source, self._display_name(room_id, event.sender), reply_to))

    async def _on_reaction(self, room_id: str, event: ReactionEvent) -> None:
        # Remembered so that its redaction, which carries no content, can be undone.
        await self._state.set(f"matrix:reaction:{event.event_id}", json.dumps(
            {"room": room_id, "target": event.reacts_to, "key": event.key, "sender": event.sender}))
        quoted = await self._quoted(room_id, event.reacts_to) if event.key.startswith("🔖") else None
        await self._handle(ReactionAdded(
            sender=self._actor(room_id, event.sender), target=message_ref(room_id, event.reacts_to),
            emoji=event.key, event_id=event.event_id, target_message=quoted,
        ))

    async def _on_redaction(self, room_id: str, event: RedactionEvent) -> None:
        key = f"matrix:reaction:{event.redacts}"
        remembered = await self._state.get(key)
        if remembered is None:
            return  # not a reaction we saw
        reaction = json.loads(remembered)
        await self._state.delete(key)
        await self._handle(ReactionRemoved(
            sender=self._actor(room_id, reaction["sender"]), target=message_ref(room_id, reaction["target"]),
            emoji=reaction["key"], event_id=event.event_id,
        ))

    async def _on_invites(self, response: SyncResponse) -> None:
        for room_id, info in response.rooms.invite.items():
            inviter = next(
                (e.sender for e in info.invite_state
                 if isinstance(e, InviteMemberEvent) and e.state_key == self.user_id and e.membership == "invite"),
                None,
            )
            joined = await self.client.join(room_id)
            if isinstance(joined, JoinError):
                log.warning("Matrix: could not join %s: %s", room_id, joined)
                continue
            if inviter is not None and inviter_allowed(inviter, self.settings.allowed_inviters):
                log.info("Matrix: joined %s, invited by %s", room_id, inviter)
                continue
            # Politely explain, then leave: we only serve configured communities.
            await self._send_content(room_id, message_content(document(paragraph(
                "Thanks for the invitation! I only join rooms when invited by the people or servers "
                "my configuration allows, so I'm leaving again."))))
            await self.client.room_leave(room_id)

    # -- helpers -----------------------------------------------------------

    async def _login(self) -> None:
        stored = await self._state.get(_LOGIN_KEY)
        if self.settings.access_token:
            self.client.restore_login(self.user_id, self.settings.device_id or "kenniscafe",
                                      self.settings.access_token)
        elif stored is not None:
            saved = json.loads(stored)
            self.client.restore_login(self.user_id, saved["device_id"], saved["access_token"])
        else:
            response = _expect(await self.client.login(self.settings.password or "", device_name="Kenniscafé bot"),
                               LoginResponse, "logging in")
            # Kept so a restart reuses this device instead of creating another.
            await self._state.set(_LOGIN_KEY, json.dumps(
                {"device_id": response.device_id, "access_token": response.access_token}))

    async def _save_position(self, token: str) -> None:
        self._token = token
        await self._state.set(_TOKEN_KEY, token)

    async def _quoted(self, room_id: str, event_id: str) -> QuotedMessage | None:
        response = await self.client.room_get_event(room_id, event_id)
        if not isinstance(response, RoomGetEventResponse):
            return None
        event = response.event
        body = getattr(event, "body", None)
        if not isinstance(body, str):
            return None
        has_reply = relations(event.source.get("content", {})).reply_to is not None
        return QuotedMessage(message_ref(room_id, event_id), self._actor(room_id, event.sender),
                             strip_reply_fallback(body) if has_reply else body)

    def _display_name(self, room_id: str, user_id: str) -> str | None:
        room = self.client.rooms.get(room_id)
        name = room.user_name(user_id) if room is not None else None
        return str(name) if name else None

    def _actor(self, room_id: str, user_id: str) -> Actor:
        return actor(user_id, self._display_name(room_id, user_id))

    async def _send_content(self, room_id: str, content: dict[str, Any]) -> MessageRef:
        response = await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
        sent = _expect(response, RoomSendResponse, f"sending to {room_id}")
        return message_ref(room_id, sent.event_id)

    async def _direct_room(self, user_id: str) -> str | None:
        key = f"matrix:dm:{user_id}"
        room_id = await self._state.get(key)
        if room_id is not None:
            return room_id
        created = await self.client.room_create(is_direct=True, invite=[user_id],
                                                preset=RoomPreset.trusted_private_chat)
        if not isinstance(created, RoomCreateResponse):
            log.warning("Matrix: no direct room with %s: %s", user_id, created)
            return None
        await self._state.set(key, created.room_id)
        return str(created.room_id)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

