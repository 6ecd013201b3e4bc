"""A member's Matrix client for the end-to-end tests: sends what a person
sends and reads what a person's client shows. Not a test module."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteInfo,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)

from adapters.matrix.adapter import keep_keys

Predicate = Callable[[dict[str, Any]], bool]


class MemberClient:
    """One registered user, logged in with an access token."""

    def __init__(self, base_url: str, user_id: str, access_token: str, *, crypto_store: Path | None = None) -> None:
        self.user_id = user_id
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

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        response = await self.client.room_send(room_id, "m.reaction", content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

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

    async def settle(self, seconds: float = 1.5) -> None:
        """Keep syncing for a while (to be sure nothing more arrives)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.sync_once(timeout_ms=300)
            await asyncio.sleep(0)


def from_bot(bot_user: str, text: str) -> Predicate:
    """A message from the bot whose plain body contains ``text``."""

    def match(source: dict[str, Any]) -> bool:
        body = source.get("content", {}).get("body", "")
        return source.get("sender") == bot_user and source.get("type") == "m.room.message" and text in body

    return match
