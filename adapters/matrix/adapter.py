"""The Matrix adapter: a matrix-nio client that syncs, translates and delivers.

Position (rule 8): the sync token is saved after the events of a sync were
handled, so a crash replays at most that sync (and inbound deduplication by
event id drops what was already answered). On first start the bot takes the
current position without handling history. A ``limited`` timeline (more
events than the sync returned) is paged back to the previous position, so no
command of a burst is lost.

No single event stops the bot: an event whose handling fails keeps the
position where it is and the sync is tried again; after
:data:`EVENT_ATTEMPTS` failures the event is logged as given up and skipped.

Delivery: every message is sent with a transaction id made from its outbox
row, so when a send is retried (a lost response, a crash before the row was
marked sent) the homeserver recognises it and does not post it twice.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EnableEncryptionBuilder,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    ReactionEvent,
    RedactionEvent,
    RoomCreateResponse,
    RoomGetEventResponse,
    RoomGetStateEventResponse,
    RoomKeyRequestResponse,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)

from adapters.matrix.encryption import answer_key_requests, keep_keys, learn_devices
from adapters.matrix.render import fits_in_event, message_content
from adapters.matrix.translate import (
    PLATFORM,
    actor,
    edited_message,
    inviter_allowed,
    message_ref,
    relations,
    reply_relation,
    strip_reply_fallback,
    text_message,
)
from adapters.matrix.undecrypted import UndecryptedMessages, Waiting
from adapters.startup import StartupError
from bot.config import MatrixSettings
from bot.incoming import (
    Actor,
    Incoming,
    MessageRef,
    MessageRemoved,
    MessageUnreadable,
    QuotedMessage,
    ReactionAdded,
    ReactionRemoved,
)
from bot.outgoing import DeliveryFailed, Kind, Outgoing, Queued
from bot.paging import paginate
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
# Tries at handling one event before it is given up (logged) and skipped.
EVENT_ATTEMPTS = 3
# Rooms with lazily loaded members: display names of senders without the
# whole member list; the timeline limit stays the server's default (100).
SYNC_FILTER: dict[str, Any] = {"room": {"state": {"lazy_load_members": True}, "timeline": {"lazy_load_members": True}}}
FIRST_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 0}}}
_TOKEN_KEY = "matrix:next_batch"
_LOGIN_KEY = "matrix:login"
# Error answers that will come again however often a request is repeated…
_PERMANENT_STATUSES = range(400, 500)
# …except these: a rate limit passes, and a lost login is the operator's to fix.
_NOT_PERMANENT_CODES = ("M_LIMIT_EXCEEDED", "M_UNKNOWN_TOKEN")


class MatrixAdapter:
    """Connects the core to one Matrix account; implements the Messenger port."""

    platform = PLATFORM

    def __init__(self, settings: MatrixSettings, handle: Callable[[Incoming], Awaitable[object]],
                 state: SqlAdapterState, *, secrets: Callable[[list[str]], None] | None = None,
                 crypto_store: Path | None = None) -> None:
        assert settings.homeserver and settings.user_id
        self.settings = settings
        self._secrets = secrets or (lambda values: None)
        self.user_id = settings.user_id
        self._handle = handle
        self._state = state
        # nio hands 429s and connection errors back at once instead of
        # retrying inside one call: the sync loop and the outbox's deliverer
        # back off themselves, so a retry never blocks other rooms and every
        # wait shows in the logs and in `kenniscafe outbox`.
        # With a crypto store the account reads and writes encrypted rooms; its
        # keys live there across restarts. The sync position does not (it is in
        # the database), so a lost store never brings old commands back.
        self._config = AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0, store_sync_tokens=False,
                                         encryption_enabled=crypto_store is not None)
        if crypto_store is not None:
            crypto_store.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._crypto_store = str(crypto_store or "")
        self.client = self._new_client(settings.device_id or "")
        self.undecrypted = UndecryptedMessages(state)
        self._token: str | None = None
        self._stopping = asyncio.Event()
        self._poll: asyncio.Task[Any] | None = None
        self._handling: asyncio.Task[bool] | None = None
        self._event_failures: dict[str, int] = {}
        self.backfilled = 0  # events recovered from limited timelines (for logs and tests)
        self.given_up: list[str] = []  # events skipped after EVENT_ATTEMPTS failures

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Log in (reusing the stored device), and take the sync position.
        A homeserver that cannot be reached, or refuses the login, stops the
        start with one line saying so."""
        try:
            await self._login()
            self._token = await self._state.get(_TOKEN_KEY)
            if self._token is None:
                # First start: skip history; only invites waiting now are looked at.
                first = _expect(await self.client.sync(timeout=0, sync_filter=FIRST_SYNC_FILTER, full_state=True),
                                SyncResponse, "the first sync")
                await self._on_invites(first)
                await self._save_position(first.next_batch)
            await keep_keys(self.client, self.settings.trust)
            await self.undecrypted.load()
        except (ClientError, TimeoutError) as error:
            raise StartupError(f"the Matrix homeserver {self.settings.homeserver} is unreachable: "
                               f"{error or type(error).__name__}") from error
        except MatrixRequestFailed as error:
            raise StartupError(f"{error} (homeserver {self.settings.homeserver}, user {self.user_id})") from error

    async def run(self) -> None:
        """Sync and handle until :meth:`stop`; errors back off with jitter.
        Nothing that goes wrong with one sync or one event ends this loop."""
        failures = 0
        while not self._stopping.is_set():
            try:
                self._poll = asyncio.ensure_future(
                    self.client.sync(timeout=self._sync_timeout_ms(), sync_filter=SYNC_FILTER, since=self._token)
                )
                response = _expect(await self._poll, SyncResponse, f"syncing with {self.settings.homeserver}")
                self._poll = None
                await keep_keys(self.client, self.settings.trust)
                await answer_key_requests(self.client, response.to_device_events, self.settings.trust)
                # Shielded: stopping lets the events in hand finish.
                self._handling = asyncio.ensure_future(self._on_sync(response))
                complete = await asyncio.shield(self._handling)
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except (MatrixRequestFailed, ClientError, TimeoutError) as error:
                complete = False
                log.warning("Matrix: %s", error if isinstance(error, MatrixRequestFailed)
                            else f"{self.settings.homeserver} unreachable: {error!r}")
            except Exception:
                complete = False
                log.exception("Matrix: handling a sync failed; trying it again")
            finally:
                self._poll = None
                self._handling = None
            if complete:
                failures = 0
                continue
            failures += 1
            delay = min(60.0, 2.0 ** min(failures, 6)) * random.uniform(0.5, 1.0)
            log.info("Matrix: next sync in %.1f s", delay)
            await self._sleep(delay)

    async def stop(self) -> None:
        """Cancel the long-poll (not wait it out); the events in hand finish."""
        self._stopping.set()
        if self._poll is not None:
            self._poll.cancel()
        if self._handling is not None:
            await asyncio.gather(self._handling, return_exceptions=True)

    async def close(self) -> None:
        """Release the HTTP session."""
        await self.client.close()

    # -- Messenger port ----------------------------------------------------

    async def deliver(self, message: Queued) -> list[MessageRef]:
        """Send a stored message: HTML plus plain text, as a reply (in its
        thread) where it answers one, in several events when it is too long
        for one. Each event's transaction id comes from the outbox row, so a
        repeated attempt is dropped by the homeserver. Matrix has neither
        ephemeral messages nor quiet edits: private answers are DMs, updates
        are skipped (`event E3` shows the seats)."""
        outgoing = message.message
        if outgoing.kind == Kind.UPDATE:
            return []
        if outgoing.kind in (Kind.DIRECT, Kind.PRIVATE):
            assert outgoing.user_id is not None
            room_id = await self._direct_room(outgoing.user_id)
        else:
            assert outgoing.room_id is not None
            room_id = outgoing.room_id
        refs = []
        for number, page in enumerate(paginate(outgoing.doc, fits_in_event)):
            content = message_content(page)
            relation = _relation(outgoing, first=number == 0)
            if relation is not None:
                content["m.relates_to"] = relation
            refs.append(await self._send_content(room_id, content, f"kc{message.id}.{number}"))
        if outgoing.attachment is not None:
            refs.append(await self._send_file(room_id, outgoing, f"kc{message.id}.file"))
        return refs

    # -- sync handling -----------------------------------------------------

    async def _on_sync(self, response: SyncResponse) -> bool:
        """Handle a sync's invites and events, rooms side by side; save the
        position only when every event is done. False when an event should
        be tried again (the position stays, the same sync comes back)."""
        await self._on_invites(response)
        rooms = [self._on_room(room_id, info) for room_id, info in response.rooms.join.items()]
        if not all(await asyncio.gather(*rooms)):
            return False
        await self._save_position(response.next_batch)
        await self._on_keys_come_or_not()
        return True

    async def _on_keys_come_or_not(self) -> None:
        """Messages that waited for their key: handled when it has come;
        past their wait, their sender is told (once per missing key)."""
        for waiting in self.undecrypted.readable(self._has_key):
            log.info("Matrix: the key for %s in %s came; handling it now", waiting.event_id, waiting.room_id)
            await self._after_waiting(waiting, self._on_event_come(waiting))
        for waiting in self.undecrypted.given_up():
            log.warning("Matrix: no key came for %s from %s in %s; telling them", waiting.event_id,
                        waiting.sender, waiting.room_id)
            await self._after_waiting(waiting, self._handle(MessageUnreadable(
                self._actor(waiting.room_id, waiting.sender), message_ref(waiting.room_id, waiting.event_id),
                event_id=waiting.event_id)))

    def _has_key(self, waiting: Waiting) -> bool:
        olm = self.client.olm
        return olm is not None and olm.inbound_group_store.get(
            waiting.room_id, waiting.sender_key, waiting.session_id) is not None

    async def _on_event_come(self, waiting: Waiting) -> None:
        """Fetch a message whose key came (nio decrypts it) and handle it."""
        fetched = await self.client.room_get_event(waiting.room_id, waiting.event_id)
        event = _expect(fetched, RoomGetEventResponse, f"fetching {waiting.event_id}").event
        if isinstance(event, MegolmEvent):
            raise MatrixRequestFailed(f"Matrix: {waiting.event_id} is still unreadable with the key that came")
        await self._on_event(waiting.room_id, event)

    async def _after_waiting(self, waiting: Waiting, handling: Awaitable[object]) -> None:
        """Handle a message that waited, then forget it; if handling fails it
        waits on (tried again after the next sync)."""
        try:
            await handling
        except Exception:
            log.exception("Matrix: handling %s, which waited for its key, failed; trying again later",
                          waiting.event_id)
            return
        await self.undecrypted.forget(waiting)

    def _sync_timeout_ms(self) -> int:
        """The long-poll's length: shorter while a waiting message falls due."""
        due = self.undecrypted.seconds_to_next_due()
        return SYNC_TIMEOUT_MS if due is None else min(SYNC_TIMEOUT_MS, int(due * 1000) + 100)

    async def _on_room(self, room_id: str, info: Any) -> bool:
        events = list(info.timeline.events)
        if info.timeline.limited and self._token is not None:
            events = await self._backfill(room_id, info.timeline.prev_batch) + events
        for event in events:
            event_id = str(getattr(event, "event_id", "?"))
            try:
                await self._on_event(room_id, event)
            except Exception:
                failures = self._event_failures.get(event_id, 0) + 1
                if failures < EVENT_ATTEMPTS:
                    self._event_failures[event_id] = failures
                    log.exception("Matrix: handling %s in %s failed (try %d of %d)", event_id, room_id,
                                  failures, EVENT_ATTEMPTS)
                    return False  # this room stops here, in order; the sync is tried again
                self._event_failures.pop(event_id, None)
                self.given_up.append(event_id)
                log.exception("Matrix: giving up on %s in %s after %d tries", event_id, room_id, failures)
            else:
                self._event_failures.pop(event_id, None)
        return True

    async def _backfill(self, room_id: str, prev_batch: str | None) -> list[Any]:
        """The events a limited timeline left out, oldest first, back to our position."""
        older: list[Any] = []
        start = prev_batch
        while start:
            page = await self.client.room_messages(room_id, start=start, end=self._token,
                                                   direction=MessageDirection.back, limit=BACKFILL_PAGE)
            if not isinstance(page, RoomMessagesResponse):
                raise MatrixRequestFailed(f"Matrix: reading back {room_id} failed: {page}")
            if not page.chunk:
                break
            older.extend(page.chunk)
            self.backfilled += len(page.chunk)
            if page.end is None or page.end == start:
                break
            start = page.end
        return list(reversed(older))

    async def _on_event(self, room_id: str, event: Any) -> None:
        if isinstance(event, RoomMemberEvent):
            await self._on_membership(room_id, event)
            return
        if getattr(event, "sender", None) == self.user_id:
            return
        if isinstance(event, RoomMessageText):
            await self._on_message(room_id, event)
        elif isinstance(event, MegolmEvent):
            await self._on_undecrypted(room_id, event)
        elif isinstance(event, ReactionEvent):
            await self._on_reaction(room_id, event)
        elif isinstance(event, RedactionEvent):
            await self._on_redaction(room_id, event)

    async def _on_message(self, room_id: str, event: RoomMessageText) -> None:
        edit = edited_message(room_id, event.source, self._display_name(room_id, event.sender))
        if edit is not None:
            await self._handle(edit)
            return
        related = relations(event.source.get("content", {}))
        reply_to = await self._quoted(room_id, related.reply_to) if related.reply_to else None
        await self._handle(text_message(room_id, event.source, self._display_name(room_id, event.sender), reply_to))

    async def _on_undecrypted(self, room_id: str, event: MegolmEvent) -> None:
        """An encrypted message whose key the bot lacks: kept until the key
        comes (the sender's app may send it late), and asked of the account's
        other sessions, as nio does; see adapters/matrix/undecrypted.py."""
        if not await self.undecrypted.keep(room_id, event):
            return
        log.info("Matrix: cannot read %s from %s in %s yet; asking for its key", event.event_id, event.sender, room_id)
        if event.session_id in self.client.outgoing_key_requests:
            return  # asked already, for an earlier message of the same key
        try:
            response: object = await self.client.request_room_key(event)
        except (ClientError, TimeoutError) as error:
            response = error
        if not isinstance(response, RoomKeyRequestResponse):  # it may still come unasked
            log.warning("Matrix: asking for the key of %s failed: %r", event.event_id, response)

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
        if remembered is None:  # a message taken back, not a reaction we saw
            await self._handle(MessageRemoved(sender=self._actor(room_id, event.sender),
                                              target=message_ref(room_id, event.redacts), event_id=event.event_id))
            return
        reaction = json.loads(remembered)
        await self._handle(ReactionRemoved(
            sender=self._actor(room_id, reaction["sender"]), target=message_ref(room_id, reaction["target"]),
            emoji=reaction["key"], event_id=event.event_id,
        ))
        await self._state.delete(key)

    async def _on_invites(self, response: SyncResponse) -> None:
        """Join rooms the configured people or servers invite us to; decline
        every other invite without joining (a room where we may not even
        speak must cost us nothing)."""
        for room_id, info in response.rooms.invite.items():
            inviter = next(
                (e.sender for e in info.invite_state
                 if isinstance(e, InviteMemberEvent) and e.state_key == self.user_id and e.membership == "invite"),
                None,
            )
            try:
                if inviter is not None and inviter_allowed(inviter, self.settings.allowed_inviters):
                    log.info("Matrix: joining %s, invited by %s: %s", room_id, inviter, await self.client.join(room_id))
                else:
                    log.warning("Matrix: declining the invite to %s from %s (not in allowed_inviters)",
                                room_id, inviter)
                    await self.client.room_leave(room_id)
            except (ClientError, TimeoutError) as error:
                log.warning("Matrix: could not answer the invite to %s: %r", room_id, error)

    async def _on_membership(self, room_id: str, event: RoomMemberEvent) -> None:
        """A member who leaves their direct room with us gets a new one with
        the next DM (a message to a room they left would never reach them)."""
        if event.membership not in ("leave", "ban") or event.state_key == self.user_id:
            return
        key = f"matrix:dm:{event.state_key}"
        if await self._state.get(key) == room_id:
            log.info("Matrix: %s left the direct room %s; the next DM opens a new one", event.state_key, room_id)
            await self._state.delete(key)
            await self.client.room_leave(room_id)

    # -- sending -----------------------------------------------------------

    async def _send_content(self, room_id: str, content: dict[str, Any], tx_id: str) -> MessageRef:
        await self._know_room(room_id)
        response = await self._request(self.client.room_send(
            room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True))
        if not isinstance(response, RoomSendResponse):
            raise delivery_failure(response, f"sending to {room_id}")
        return message_ref(room_id, response.event_id)

    async def _send_file(self, room_id: str, outgoing: Outgoing, tx_id: str) -> MessageRef:
        file = outgoing.attachment
        assert file is not None
        upload, _ = await self._request(self.client.upload(
            io.BytesIO(file.content), content_type=file.mimetype, filename=file.filename, filesize=len(file.content)))
        if not isinstance(upload, UploadResponse):
            raise delivery_failure(upload, f"uploading {file.filename}")
        content = {"msgtype": "m.file", "body": file.filename, "url": upload.content_uri,
                   "info": {"mimetype": file.mimetype, "size": len(file.content)}}
        return await self._send_content(room_id, content, tx_id)

    async def _direct_room(self, user_id: str) -> str:
        """The direct room with ``user_id``: the one opened before while they
        are still in it, else a new one (encrypted when their app encrypts)."""
        key = f"matrix:dm:{user_id}"
        room_id = await self._state.get(key)
        if room_id is not None and await self._still_with_us(room_id, user_id):
            return room_id
        if room_id is not None:
            log.info("Matrix: %s is no longer in %s; opening a new direct room", user_id, room_id)
            await self._request(self.client.room_leave(room_id))
        encrypted = self._encrypting and await self._encrypts(user_id)
        created = await self._request(self.client.room_create(
            is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat,
            initial_state=[EnableEncryptionBuilder().as_dict()] if encrypted else []))
        if not isinstance(created, RoomCreateResponse):
            raise delivery_failure(created, f"opening a direct room with {user_id}")
        await self._state.set(key, created.room_id)
        if self._encrypting:
            # Known before its first sync, so the first message can be encrypted for the invitee.
            room = self.client.rooms.setdefault(created.room_id, MatrixRoom(created.room_id, self.user_id, encrypted))
            room.add_member(user_id, None, None, invited=True)
        return str(created.room_id)

    async def _encrypts(self, user_id: str) -> bool:
        """Whether ``user_id`` has a device that can read encrypted messages
        (what their apps published on the homeserver)."""
        assert self.client.olm is not None
        devices = self.client.olm.device_store.active_user_devices
        if not any(devices(user_id)):
            self.client.olm.users_for_key_query.add(user_id)
            await self._request(learn_devices(self.client, self.settings.trust))
        return any(devices(user_id))

    async def _know_room(self, room_id: str) -> None:
        """Make sure nio knows a room before sending to it with encryption on
        (it refuses rooms it has not synced: after a restart or a take-over
        the sync starts from the saved position, not with every room's state)."""
        if not self._encrypting or room_id in self.client.rooms:
            return
        found = await self._request(self.client.room_get_state_event(room_id, "m.room.encryption"))
        encrypted = isinstance(found, RoomGetStateEventResponse)
        if not encrypted and getattr(found, "status_code", None) != "M_NOT_FOUND":
            raise delivery_failure(found, f"reading the state of {room_id}")
        if encrypted:
            self.client.encrypted_rooms.add(room_id)
        # The members are read by nio before the first encrypted send (members_synced is false).
        self.client.rooms.setdefault(room_id, MatrixRoom(room_id, self.user_id, encrypted))

    async def _still_with_us(self, room_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is in (or invited to) a direct room of ours: as
        the synced room state shows (a leave in the sync being handled is
        already in it), else as the homeserver says."""
        room = self.client.rooms.get(room_id)
        if room is not None and (user_id in room.users or user_id in room.invited_users):
            return True
        found = await self._request(self.client.room_get_state_event(room_id, "m.room.member", user_id))
        if isinstance(found, RoomGetStateEventResponse):
            membership = found.content.get("membership")
            if membership == "invite" and self._encrypting:
                await self._know_room(room_id)  # an invitee is no joined member: nio must be told
                self.client.rooms[room_id].add_member(user_id, None, None, invited=True)
            return membership in ("join", "invite")
        failure = delivery_failure(found, f"checking {room_id}")
        if not failure.permanent:
            raise failure
        return False  # the room or the membership is gone, or we are not in it

    async def _request(self, call: Awaitable[T]) -> T:
        """A request whose connection errors become retryable delivery failures."""
        try:
            return await call
        except (ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"Matrix: {self.settings.homeserver} unreachable: {error!r}",
                                 permanent=False) from error

    # -- helpers -----------------------------------------------------------

    async def _login(self) -> None:
        stored = await self._state.get(_LOGIN_KEY)
        if self.settings.access_token:
            device_id = self.settings.device_id or "kenniscafe"
            if self._encrypting:
                # Keys belong to the token's own device: ask the server which it is.
                self.client.access_token = self.settings.access_token
                device_id = str(_expect(await self.client.whoami(), WhoamiResponse, "asking who we are").device_id)
            self.client.restore_login(self.user_id, device_id, self.settings.access_token)
            if self._keys_lost():
                log.warning("Matrix: no crypto store for device %s here; if that device had keys before, "
                            "encrypted rooms will not work: configure a password instead of the access token "
                            "(the bot then opens a new device when its keys are lost)", device_id)
            return
        if stored is not None:
            saved = json.loads(stored)
            self._secrets([saved["access_token"]])
            self.client.restore_login(self.user_id, saved["device_id"], saved["access_token"])
            if not self._keys_lost():
                return
            # The device's keys are not here (the store was lost, or this
            # process runs on another machine than the one before): a device
            # cannot get new identity keys, so the bot logs in as a new one.
            log.warning("Matrix: the crypto store of device %s is not in %s; logging in as a new device",
                        saved["device_id"], self._crypto_store)
            await self.client.close()
            self.client = self._new_client("")
        response = _expect(await self.client.login(self.settings.password or "", device_name="Kenniscafé bot"),
                           LoginResponse, "logging in")
        self._secrets([response.access_token])
        # Kept so a restart reuses this device instead of creating another.
        await self._state.set(_LOGIN_KEY, json.dumps(
            {"device_id": response.device_id, "access_token": response.access_token}))

    @property
    def _encrypting(self) -> bool:
        return bool(self._config.encryption_enabled)

    def _new_client(self, device_id: str) -> AsyncClient:
        assert self.settings.homeserver
        return AsyncClient(self.settings.homeserver, self.user_id, device_id=device_id, config=self._config,
                           store_path=self._crypto_store)

    def _keys_lost(self) -> bool:
        """Whether this device's crypto store was just made anew (its keys
        were never uploaded from here)."""
        return self.client.olm is not None and not self.client.olm.account.shared

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
                             strip_reply_fallback(body) if has_reply else body, from_bot=event.sender == self.user_id)

    def _display_name(self, room_id: str, user_id: str) -> str | None:
        room = self.client.rooms.get(room_id)
        name = room.user_name(user_id) if room is not None else None
        return str(name) if name else None

    def _actor(self, room_id: str, user_id: str) -> Actor:
        return actor(user_id, self._display_name(room_id, user_id))

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


def delivery_failure(response: object, what: str) -> DeliveryFailed:
    """A homeserver's error answer as a delivery failure: rate limits, server
    errors and unknown answers are worth retrying (after ``retry_after_ms``
    when given); other 4xx errors (forbidden, not found, too large) are not."""
    code = getattr(response, "status_code", None)
    status = getattr(getattr(response, "transport_response", None), "status", None)
    retry_ms = getattr(response, "retry_after_ms", None)
    reason = f"Matrix: {what} failed: {response}"
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        return DeliveryFailed(reason, permanent=False, retry_after=retry_ms / 1000 if retry_ms else None)
    permanent = status in _PERMANENT_STATUSES and code not in _NOT_PERMANENT_CODES
    return DeliveryFailed(reason, permanent=permanent)


def _relation(outgoing: Outgoing, *, first: bool) -> dict[str, Any] | None:
    """How a page of a message relates to others: the first page answers the
    message it replies to (in its thread); later pages stay in the thread."""
    if first and outgoing.reply_to is not None and outgoing.reply_to.startswith("$"):
        return reply_relation(outgoing.reply_to, outgoing.thread_root)
    if outgoing.thread_root is not None:
        return {"rel_type": "m.thread", "event_id": outgoing.thread_root}
    return None
