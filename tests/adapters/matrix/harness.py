"""What the Matrix end-to-end tests share: accounts on the test Synapse,
the bot running against it, and members' clients. Not a test module."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient, LoginResponse

from adapters.matrix.adapter import MatrixAdapter
from adapters.runtime import Core, running_core
from bot.config import Settings
from bot.ports import Clock, SystemClock
from storage.engine import sqlite_url_for_path
from storage.repositories.adapter_state import SqlAdapterState
from tests.adapters.matrix.member_client import MemberClient, client_api

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    user_id: str
    token: str


def register(synapse: Any, prefix: str) -> Account:
    user_id, token = synapse.register(f"{prefix}-{uuid.uuid4().hex[:8]}", PASSWORD)
    return Account(user_id, token)


@asynccontextmanager
async def matrix_bot(synapse: Any, db_path: Path, bot: Account, managers: list[str],
                     clock: Clock | None = None, *, homeserver: str | None = None,
                     allowed_inviters: list[str] | None = None,
                     secrets: Callable[[list[str]], None] | None = None,
                     crypto_store: Path | None = None) -> AsyncIterator[tuple[Core, MatrixAdapter]]:
    """The bot, logged in with its password, syncing and delivering in the background."""
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(db_path), "commands_per_minute": 0},
        "communities": [{"name": "Kenniscafé", "managers": managers, "rooms": ["*"]}],
        "matrix": {"enabled": True, "homeserver": homeserver or synapse.base_url, "user_id": bot.user_id,
                   "password": PASSWORD,
                   "allowed_inviters": [synapse.server_name] if allowed_inviters is None else allowed_inviters},
    })
    clock = clock or SystemClock()
    async with running_core(settings, clock) as core:
        adapter = MatrixAdapter(settings.matrix, core.bot.handle, SqlAdapterState(core.db, clock), secrets=secrets,
                                crypto_store=crypto_store)
        await adapter.start()
        core.attach(adapter)
        task = asyncio.create_task(adapter.run())
        try:
            yield core, adapter
        finally:
            await adapter.stop()
            await asyncio.wait_for(task, 10)
            await adapter.close()


@asynccontextmanager
async def member(synapse: Any, account: Account, *, crypto_store: Path | None = None) -> AsyncIterator[MemberClient]:
    client = MemberClient(synapse.base_url, account.user_id, account.token, crypto_store=crypto_store)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def another_device(synapse: Any, account: Account, crypto_store: Path) -> AsyncIterator[MemberClient]:
    """The member on a new device of theirs (a new login, as on a new phone), encrypting."""
    login = AsyncClient(synapse.base_url, account.user_id)
    response = await login.login(PASSWORD, device_name="new phone")
    await login.close()
    assert isinstance(response, LoginResponse), response
    async with member(synapse, Account(account.user_id, response.access_token), crypto_store=crypto_store) as client:
        yield client


async def devices_of(synapse: Any, asking: Account, user_id: str) -> set[str]:
    """A user's devices with encryption keys, as other members' apps see them."""
    found = await client_api(synapse.base_url, asking.token, "POST", "keys/query", {"device_keys": {user_id: []}})
    return set(found["device_keys"].get(user_id, {}))


def joined(user_id: str) -> Any:
    return lambda s: (s.get("type") == "m.room.member" and s.get("state_key") == user_id
                      and s.get("content", {}).get("membership") == "join")


async def room_with_bot(anna: MemberClient, bot_id: str, *, encrypted: bool = False) -> str:
    room_id = await anna.create_room(invite=[bot_id], encrypted=encrypted)
    await anna.wait_for(joined(bot_id))
    return room_id


def body(source: dict[str, Any]) -> str:
    return str(source.get("content", {}).get("body", ""))
