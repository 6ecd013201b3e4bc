"""A member's Matrix client for the end-to-end tests: sends what a person
sends and reads what a person's client shows. Not a test module."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteInfo,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)

from adapters.matrix.encryption import keep_keys

Predicate = Callable[[dict[str, Any]], bool]


class MemberClient:
    """One registered user, logged in with an access token."""

    def __init__(self, base_url: str, user_id: str, access_token: str, *, crypto_store: Path | None = None) -> None:
        self.user_id = user_id
        self.base_url = base_url
        self._held: dict[str, list[dict[str, Any]]] = {}  # room keys held back, by room
        # With a crypto store: a client that encrypts, like Element.
        config = AsyncClientConfig(encryption_enabled=crypto_store is not None, store_sync_tokens=False)
        if crypto_store is not None:
            crypto_store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(base_url, user_id, config=config, store_path=str(crypto_store or ""))
        self._encrypting = crypto_store is not None
        self._token = access_token
        if not self._encrypting:
            self.client.restore_login(user_id, "TESTDEVICE", access_token)
        self._since: str | None = None
        self.seen: list[tuple[str, dict[str, Any]]] = []  # (room id, event source), in arrival order

    async def start(self) -> None:
        """Take the current position; join whatever we are invited to later."""
        if self._encrypting:
            # Device keys must be uploaded for the device the token belongs to.
            self.client.access_token = self._token
            who = await self.client.whoami()
            assert isinstance(who, WhoamiResponse), who
            self.client.restore_login(self.user_id, str(who.device_id), self._token)
        response = await self.client.sync(timeout=0, sync_filter={"room": {"timeline": {"limit": 0}}})
        assert isinstance(response, SyncResponse), response
        self._since = response.next_batch

    async def close(self) -> None:
        await self.client.close()

    async def create_room(self, invite: list[str], *, encrypted: bool = False) -> str:
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        created = await self.client.room_create(invite=invite, initial_state=state if encrypted else [])
        assert isinstance(created, RoomCreateResponse), created
        return str(created.room_id)

    async def join(self, room_id: str) -> None:
        await self.client.join(room_id)

    async def send(self, room_id: str, text: str, relates_to: dict[str, Any] | None = None,
                   new_content: dict[str, Any] | None = None) -> str:
        """Send a plain message as a person's client does; its event id."""
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if relates_to is not None:
            content["m.relates_to"] = relates_to
        if new_content is not None:
            content["m.new_content"] = new_content
        response = await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def edit(self, room_id: str, event_id: str, text: str) -> str:
        """Edit one of our messages as Element does (``m.replace``)."""
        return await self.send(room_id, f"* {text}", relates_to={"rel_type": "m.replace", "event_id": event_id},
                               new_content={"msgtype": "m.text", "body": text})

    async def react(self, room_id: str, event_id: str, key: str, *, encrypted: bool = False) -> str:
        """React as Element does; ``encrypted``: in an encrypted room, where
        Element encrypts reactions too (nio's room_send sends them in clear)."""
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        if encrypted:
            assert self.client.olm is not None
            if not self.client.rooms[room_id].members_synced:
                await self.client.joined_members(room_id)
            if self.client.olm.should_share_group_session(room_id):
                await self.client.share_group_session(room_id, ignore_unverified_devices=True)
            kind, sealed = self.client.encrypt(room_id, "m.reaction", content)
            return str((await self._put(f"rooms/{room_id}/send/{kind}/{uuid.uuid4().hex}", sealed))["event_id"])
        response = await self.client.room_send(room_id, "m.reaction", content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def hold_back_room_key(self, room_id: str) -> None:
        """Start a new room key in ``room_id`` and prepare its hand-out to
        the room's devices, but do not send it (as when it is delayed, or the
        app shares only with verified sessions): what follows is unreadable
        to the others until :meth:`release_room_key`."""
        olm = self.client.olm
        assert olm is not None
        if not self.client.rooms[room_id].members_synced:
            await self.client.joined_members(room_id)
        olm.users_for_key_query.update(self.client.rooms[room_id].users)  # their devices as they are now
        await self.client.keys_query()
        missing = self.client.get_missing_sessions(room_id)
        if missing:
            await self.client.keys_claim(missing)
        olm.create_outbound_group_session(room_id)
        users = list(self.client.rooms[room_id].users)
        self._held[room_id] = [hand_out for _, hand_out in
                               olm.share_group_session_parallel(room_id, users, ignore_unverified_devices=True)]
        olm.outbound_group_sessions[room_id].shared = True

    async def release_room_key(self, room_id: str) -> None:
        """Send the room key held back by :meth:`hold_back_room_key`."""
        for hand_out in self._held.pop(room_id):
            await self._put(f"sendToDevice/m.room.encrypted/{uuid.uuid4().hex}", hand_out)

    async def ask_for_key(self, event: MegolmEvent) -> None:
        """Ask for the key of an event we cannot read, as Element does: from
        our own devices and from the device that sent it; and take the key
        from that sender (nio takes forwarded keys from our own devices only)."""
        olm = self.client.olm
        assert olm is not None and self.client.device_id is not None
        await self.client.request_room_key(event)
        to_sender = event.as_key_request(event.sender, self.client.device_id, device_id=event.device_id)
        await self._put(f"sendToDevice/{to_sender.type}/{uuid.uuid4().hex}", to_sender.as_dict())
        own_devices_only = olm._should_accept_forward

        def also_from_the_sender(sender: str, sender_key: str, forwarded: Any) -> bool:
            from_creator = forwarded.source.get("content", {}).get("sender_key") == sender_key
            return own_devices_only(sender, sender_key, forwarded) or (
                from_creator and forwarded.session_id in olm.outgoing_key_requests)

        olm._should_accept_forward = also_from_the_sender

    async def _put(self, path: str, content: dict[str, Any]) -> dict[str, Any]:
        assert self.client.access_token
        return await client_api(self.base_url, self.client.access_token, "PUT", path, content)

    async def redact(self, room_id: str, event_id: str) -> None:
        await self.client.room_redact(room_id, event_id)

    async def sync_once(self, timeout_ms: int = 1000) -> None:
        """One sync: record new timeline events, accept invitations (DM rooms)."""
        response = await self.client.sync(timeout=timeout_ms, since=self._since,
                                          sync_filter={"room": {"timeline": {"limit": 500}}})
        assert isinstance(response, SyncResponse), response
        previous, self._since = self._since, response.next_batch
        await keep_keys(self.client)
        for room_id, info in response.rooms.invite.items():
            if isinstance(info, InviteInfo):
                await self.client.join(room_id)
        for room_id, joined in response.rooms.join.items():
            events = [e.source for e in joined.timeline.events]
            if joined.timeline.limited:
                # The server caps a sync's timeline (100): page back for the rest, as clients do.
                events = await self._older(room_id, joined.timeline.prev_batch, previous) + events
            self.seen.extend((room_id, source) for source in events)

    async def _older(self, room_id: str, start: str | None, until: str | None) -> list[dict[str, Any]]:
        older: list[dict[str, Any]] = []
        while start:
            page = await self.client.room_messages(room_id, start=start, end=until, limit=100)
            if not isinstance(page, RoomMessagesResponse) or not page.chunk:
                break
            older.extend(e.source for e in page.chunk)
            if page.end is None or page.end == start:
                break
            start = page.end
        return list(reversed(older))

    async def wait_for(self, predicate: Predicate, timeout: float = 30.0, count: int = 1) -> list[dict[str, Any]]:
        """Sync until ``count`` events match (those seen before included)."""
        deadline = time.monotonic() + timeout
        while True:
            matched = [source for _, source in self.seen if predicate(source)]
            if len(matched) >= count:
                return matched
            if time.monotonic() > deadline:
                shown = [s.get("content", {}).get("body") for _, s in self.seen[-15:]]
                raise AssertionError(f"{self.user_id}: only {len(matched)}/{count} matching events; last: {shown}")
            await self.sync_once()

    def seen_from(self, bot_user: str, text: str) -> list[dict[str, Any]]:
        """What the bot said so far that contains ``text``."""
        return [source for _, source in self.seen if from_bot(bot_user, text)(source)]

    async def settle(self, seconds: float = 1.5) -> None:
        """Keep syncing for a while (to be sure nothing more arrives)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.sync_once(timeout_ms=300)
            await asyncio.sleep(0)


async def client_api(base_url: str, token: str, method: str, path: str,
                     body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to the homeserver's client API, as ``token``'s user; its JSON answer."""
    async with aiohttp.ClientSession() as http, http.request(
            method, f"{base_url}/_matrix/client/v3/{path}", json=body,
            headers={"Authorization": f"Bearer {token}"}) as response:
        answer: dict[str, Any] = await response.json()
    assert response.status == 200, answer
    return answer


def from_bot(bot_user: str, text: str) -> Predicate:
    """A message from the bot whose plain body contains ``text``."""

    def match(source: dict[str, Any]) -> bool:
        body = source.get("content", {}).get("body", "")
        return source.get("sender") == bot_user and source.get("type") == "m.room.message" and text in body

    return match
