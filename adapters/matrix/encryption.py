"""End-to-end encryption's upkeep for a Matrix client (matrix-nio with a
crypto store): keys, which members' devices are trusted, and room keys
re-sent to members' devices that ask for them.

Trust policy (``matrix.trust``):

* ``"first-use"``: a member's device is trusted the first time the bot sees
  it, and its keys are pinned then (nio keeps the first signing key of a
  device and ignores a different one later, so a device whose keys change is
  not trusted again). Trusted devices that are in the room get a room key
  they ask for, if it is one of the bot's own.
* ``"none"``: no device is trusted; answers are still encrypted for every
  device in the room (members must be able to read them), but no room key is
  ever re-sent on request.

Both are used by the bot's adapter and by the tests' member clients (a
person's client, too, answers its own devices' requests).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from nio import AsyncClient, RoomKeyRequest
from nio.crypto.olm_machine import KeyShareError
from nio.exceptions import EncryptionError, OlmTrustError

log = logging.getLogger(__name__)

Trust = Literal["first-use", "none"]


async def keep_keys(client: AsyncClient, trust: Trust = "first-use") -> None:
    """Encryption's upkeep after a sync (nothing without a crypto store):
    upload one-time keys when they run low, learn members' devices (trusting
    new ones under ``"first-use"``), claim keys for new sessions, send the
    room keys waiting for devices."""
    if client.olm is None:
        return
    if client.should_upload_keys:
        await client.keys_upload()
    await learn_devices(client, trust)
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()


async def learn_devices(client: AsyncClient, trust: Trust) -> None:
    """Ask the homeserver for the devices nio wants to know (new members,
    changed device lists) and, under ``"first-use"``, trust the new ones."""
    if client.should_query_keys:
        await client.keys_query()
        if trust == "first-use":
            trust_new_devices(client)


def trust_new_devices(client: AsyncClient) -> int:
    """Trust every device seen for the first time (trust on first use); how many."""
    own = client.device_id
    trusted = 0
    for device in client.device_store:
        if device.deleted or device.id == own or device.verified or device.blacklisted or device.ignored:
            continue
        client.verify_device(device)
        trusted += 1
    return trusted


async def answer_key_requests(client: AsyncClient, to_device_events: list[Any], trust: Trust) -> int:
    """Re-send room keys that members' trusted devices asked for (a new
    device, or one that missed the key): only keys of the bot's own
    sessions, only to a device of someone who is in that room now (joined,
    not only invited). nio answers the account's own devices by itself;
    these are the others. How many were answered."""
    if client.olm is None or trust == "none":
        return 0
    answered = 0
    for request in to_device_events:
        if not isinstance(request, RoomKeyRequest) or request.sender == client.user_id:
            continue
        if await _share_key(client, request):
            answered += 1
    if answered:
        await client.send_to_device_messages()
    return answered


async def _share_key(client: AsyncClient, request: RoomKeyRequest) -> bool:
    olm = client.olm
    assert olm is not None
    room = client.rooms.get(request.room_id)
    ours = request.sender_key == olm.account.identity_keys["curve25519"]
    member = room is not None and request.sender in room.users and request.sender not in room.invited_users
    if not member or not ours:
        log.info("Matrix: not sharing key %s with %s: %s", request.session_id, request.sender,
                 "not our session" if not ours else "not in that room")
        return False
    # nio's forwarding (find the session, check the device is trusted, encrypt
    # the key for it over Olm) is written for the account's own devices; the
    # checks that it may go to this member were made above.
    for attempt in range(2):
        try:
            olm.share_with_ourselves(request)
            return True
        except EncryptionError:  # no Olm session with that device yet: claim one, then again
            if attempt == 0:
                await client.keys_claim({request.sender: [request.requesting_device_id]})
        except (KeyShareError, OlmTrustError) as refused:
            log.info("Matrix: not sharing key %s with %s: %s", request.session_id, request.sender, refused)
            return False
    log.warning("Matrix: no Olm session with %s's device %s; key %s not shared", request.sender,
                request.requesting_device_id, request.session_id)
    return False
