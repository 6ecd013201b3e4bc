"""The test Synapse works: it answers, and two nio clients can talk through it."""

from __future__ import annotations

import asyncio
import time

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from tests.adapters.matrix.synapse_server import MatrixUserFactory, SynapseServer


def test_server_answers_versions(synapse: SynapseServer) -> None:
    assert synapse.base_url.startswith("http://127.0.0.1:")
    assert synapse.server_name == "localhost"
    answer = synapse.request("GET", "/_matrix/client/versions")
    assert "v1.1" in answer["versions"]


def test_registered_user_is_admin_only_when_asked(
    synapse: SynapseServer, matrix_user: MatrixUserFactory
) -> None:
    admin, member = matrix_user("admin", admin=True), matrix_user("member")
    assert admin.user_id == f"@{admin.localpart}:localhost"
    whoami = synapse.request("GET", "/_matrix/client/v3/account/whoami",
                             access_token=member.access_token)
    assert whoami["user_id"] == member.user_id
    path = f"/_synapse/admin/v2/users/{member.user_id}"
    assert synapse.request("GET", path, access_token=admin.access_token)["admin"] is False
    with pytest.raises(RuntimeError, match="403"):
        synapse.request("GET", path, access_token=member.access_token)


def _client(synapse: SynapseServer, user_id: str) -> AsyncClient:
    config = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
    return AsyncClient(synapse.base_url, user_id, config=config)


async def test_two_nio_clients_talk_through_synapse(
    synapse: SynapseServer, matrix_user: MatrixUserFactory
) -> None:
    alice_user, bob_user = matrix_user("alice"), matrix_user("bob")
    alice, bob = _client(synapse, alice_user.user_id), _client(synapse, bob_user.user_id)
    try:
        assert isinstance(await alice.login(alice_user.password), LoginResponse)
        assert isinstance(await bob.login(bob_user.password), LoginResponse)

        created = await alice.room_create(name="Kenniscafé test")
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        assert isinstance(await alice.room_invite(room_id, bob.user_id), RoomInviteResponse)
        assert isinstance(await bob.join(room_id), JoinResponse)

        first = await bob.sync(timeout=0)
        assert isinstance(first, SyncResponse), first
        assert room_id in first.rooms.join

        sent = await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "hallo <b>Bob</b>"}
        )
        assert isinstance(sent, RoomSendResponse), sent

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            answer = await bob.sync(timeout=1000)  # since bob.next_batch
            assert isinstance(answer, SyncResponse), answer
            room = answer.rooms.join.get(room_id)
            events = room.timeline.events if room is not None else []
            texts = [e for e in events if isinstance(e, RoomMessageText)]
            if texts:
                assert [(e.sender, e.body, e.event_id) for e in texts] == [
                    (alice.user_id, "hallo <b>Bob</b>", sent.event_id)
                ]
                return
            await asyncio.sleep(0)
        pytest.fail("bob never saw alice's message")
    finally:
        await alice.close()
        await bob.close()
