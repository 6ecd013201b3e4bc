"""Encrypted Matrix rooms, against a real Synapse: members whose clients
encrypt, as Element does by default, are understood and answered, read the
answers and the bot's DMs, and are told in plain words when the bot could
not read them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nio import MegolmEvent
from nio.exceptions import EncryptionError

from tests.adapters.matrix.harness import (
    Account,
    another_device,
    devices_of,
    joined,
    matrix_bot,
    member,
    register,
)
from tests.adapters.matrix.member_client import MemberClient, client_api, from_bot
from tests.conftest import FakeClock

UNREADABLE = "I couldn't read your message"


async def raw_events(synapse: Any, account: Account, room: str) -> list[dict[str, Any]]:
    """The room's events as the homeserver keeps them (encrypted ones undecrypted)."""
    found = await client_api(synapse.base_url, account.token, "GET", f"rooms/{room}/messages?dir=b&limit=50")
    return list(found["chunk"])


async def encrypted_room_with_bot(anna: MemberClient, bot_id: str, *others: str) -> str:
    room = await anna.create_room(invite=[bot_id, *others], encrypted=True)
    await anna.wait_for(joined(bot_id))
    return room


def said_in(room: str, client: MemberClient, bot_id: str, text: str) -> list[str]:
    """The rooms where ``client`` read ``text`` from the bot (decrypted)."""
    return [room_id for room_id, source in client.seen if from_bot(bot_id, text)(source) and room_id != room]


async def test_in_an_encrypted_room_posts_joins_and_check_reactions_are_answered_and_read(
        synapse: Any, tmp_path: Path) -> None:
    bot, anna_account, piet_account = register(synapse, "kcbot"), register(synapse, "anna"), register(synapse, "piet")
    clock = FakeClock(datetime.now(UTC))
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [anna_account.user_id], clock,
                          crypto_store=tmp_path / "bot-crypto") as (core, adapter), \
            member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna, \
            member(synapse, piet_account, crypto_store=tmp_path / "piet-crypto") as piet:
        room = await encrypted_room_with_bot(anna, bot.user_id, piet_account.user_id)
        await piet.wait_for(joined(piet_account.user_id))  # its client accepts the invitation
        await anna.send(room, "!kc post Geheime koffie | alleen voor ons #koffie")
        (saved,) = await anna.wait_for(from_bot(bot.user_id, "Saved #1"))
        assert "Geheime koffie" in saved["content"]["body"]
        assert adapter.client.rooms[room].encrypted

        await anna.send(room, "!kc event new Koffietafel | 2030-01-11 09:30 | Winkwaves | 2")
        (announcement,) = await anna.wait_for(from_bot(bot.user_id, "E1 Koffietafel"))
        await anna.send(room, "!kc join E1")
        await anna.wait_for(from_bot(bot.user_id, "You're in for E1 (1/2)."))
        # Element encrypts reactions in encrypted rooms; the answer to one is a DM.
        await piet.react(room, announcement["event_id"], "✅", encrypted=True)
        await piet.wait_for(from_bot(bot.user_id, "You're in for E1 (2/2)."))

        clock.current = datetime(2030, 1, 11, 8, 30, tzinfo=UTC) - timedelta(hours=24)
        assert await core.bot.send_due_reminders() == 1
        reminder = "Reminder: E1 Koffietafel starts in 24 h"
        await anna.wait_for(from_bot(bot.user_id, reminder), count=2)  # in the room, and by DM
        await piet.wait_for(from_bot(bot.user_id, reminder), count=2)

    (anna_dm,) = set(said_in(room, anna, bot.user_id, reminder))
    (piet_dm,) = set(said_in(room, piet, bot.user_id, reminder))
    assert piet_dm in said_in(room, piet, bot.user_id, "You're in for E1 (2/2).")
    # On the wire everything was encrypted: the room and both direct rooms.
    for account, room_id in ((anna_account, room), (anna_account, anna_dm), (piet_account, piet_dm)):
        said = [(e["sender"], e["type"]) for e in await raw_events(synapse, account, room_id)
                if e["type"] in ("m.room.message", "m.room.encrypted", "m.reaction")]
        assert (bot.user_id, "m.room.encrypted") in said, room_id
        assert all(kind == "m.room.encrypted" for _, kind in said), (room_id, said)
    assert len(await devices_of(synapse, anna_account, bot.user_id)) == 1


async def test_a_member_whose_app_does_not_encrypt_gets_plain_direct_messages(synapse: Any, tmp_path: Path) -> None:
    """Encryption on, but Kees's app has no encryption keys (an old client, a
    bridge): his DM room is not encrypted, or he could not read it."""
    bot, kees_account = register(synapse, "kcbot"), register(synapse, "kees")
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [kees_account.user_id],
                          crypto_store=tmp_path / "bot-crypto"), member(synapse, kees_account) as kees:
        room = await kees.create_room(invite=[bot.user_id])
        await kees.wait_for(joined(bot.user_id))
        await kees.send(room, "!kc event new Koffietafel | 2030-01-11 09:30 | Winkwaves | 2")
        (announcement,) = await kees.wait_for(from_bot(bot.user_id, "E1 Koffietafel"))
        await kees.react(room, announcement["event_id"], "✅")
        await kees.wait_for(from_bot(bot.user_id, "You're in for E1 (1/2)."))
    (dm,) = said_in(room, kees, bot.user_id, "You're in for E1")
    kinds = {e["type"] for e in await raw_events(synapse, kees_account, dm) if e["sender"] == bot.user_id}
    assert "m.room.message" in kinds and "m.room.encrypted" not in kinds and "m.room.encryption" not in kinds


async def first_run(synapse: Any, tmp_path: Path, bot: Account, anna: MemberClient) -> tuple[str, str]:
    """The bot's first run (crypto store in tmp_path/bot-crypto): Anna opens
    an encrypted room with it and posts #1. The room and the bot's device."""
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [], crypto_store=tmp_path / "bot-crypto") \
            as (_, adapter):
        room = await encrypted_room_with_bot(anna, bot.user_id)
        await anna.send(room, "!kc post Eerste | x")
        await anna.wait_for(from_bot(bot.user_id, "Saved #1"))
        return room, str(adapter.client.device_id)


async def test_after_a_restart_the_bot_reads_on_with_the_same_device(synapse: Any, tmp_path: Path) -> None:
    bot, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    store = tmp_path / "bot-crypto"
    async with member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna:
        room, device = await first_run(synapse, tmp_path, bot, anna)
        await anna.send(room, "!kc post Tijdens de herstart | x")
        async with matrix_bot(synapse, tmp_path / "kc.db", bot, [], crypto_store=store) as (_, adapter):
            assert adapter.client.device_id == device
            await anna.wait_for(from_bot(bot.user_id, "Saved #2"))
            await anna.send(room, "!kc post Na de herstart | x")
            await anna.wait_for(from_bot(bot.user_id, "Saved #3"))
            await anna.settle(2.0)
    assert await devices_of(synapse, anna_account, bot.user_id) == {device}
    assert len(anna.seen_from(bot.user_id, "Saved #1")) == 1
    assert not anna.seen_from(bot.user_id, UNREADABLE)


async def test_a_lost_crypto_store_brings_no_old_command_back(synapse: Any, tmp_path: Path) -> None:
    """The sync position is in the database: a bot whose keys are gone logs
    in as a new device and answers what comes next, not what came before."""
    bot, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    store = tmp_path / "bot-crypto"
    async with member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna:
        room, old_device = await first_run(synapse, tmp_path, bot, anna)
        await anna.send(room, "!kc post Tweede | x")  # while the bot is away
        shutil.rmtree(store)
        async with matrix_bot(synapse, tmp_path / "kc.db", bot, [], crypto_store=store) as (_, adapter):
            assert adapter.client.device_id != old_device
            adapter.undecrypted.wait_seconds = 3.0
            # "Tweede" was encrypted for the old device: its sender is told.
            await anna.wait_for(from_bot(bot.user_id, UNREADABLE), timeout=60)
            # Her app shares a room key with the new device; she sends again.
            await anna.hold_back_room_key(room)
            await anna.release_room_key(room)
            await anna.send(room, "!kc post Tweede | x")
            await anna.wait_for(from_bot(bot.user_id, "Saved #2"), timeout=60)
            await anna.settle(2.0)
    assert len(anna.seen_from(bot.user_id, "Saved #1")) == 1
    assert len(anna.seen_from(bot.user_id, "Saved #")) == 2


async def test_a_message_whose_key_comes_late_is_answered_when_it_comes(synapse: Any, tmp_path: Path) -> None:
    bot, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [], crypto_store=tmp_path / "bot-crypto") \
            as (_, adapter), member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna:
        room = await encrypted_room_with_bot(anna, bot.user_id)
        await anna.hold_back_room_key(room)
        await anna.send(room, "!kc post Sleutel later | x")
        await anna.settle(3.0)
        assert len(adapter.undecrypted) == 1 and not anna.seen_from(bot.user_id, "Saved #")
        await anna.release_room_key(room)
        await anna.wait_for(from_bot(bot.user_id, "Saved #1 “Sleutel later”"), timeout=60)
        await anna.settle(2.0)
        assert len(adapter.undecrypted) == 0
    assert not anna.seen_from(bot.user_id, UNREADABLE)


async def test_a_message_whose_key_never_comes_gets_one_plain_line(synapse: Any, tmp_path: Path) -> None:
    bot, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [], crypto_store=tmp_path / "bot-crypto") \
            as (_, adapter), member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna:
        adapter.undecrypted.wait_seconds = 3.0
        room = await encrypted_room_with_bot(anna, bot.user_id)
        await anna.hold_back_room_key(room)  # and never sends it
        first = await anna.send(room, "!kc post Onleesbaar | x")
        await anna.send(room, "!kc help")
        (line,) = await anna.wait_for(from_bot(bot.user_id, UNREADABLE), timeout=60)
        await anna.settle(5.0)
        assert len(adapter.undecrypted) == 0
    assert len(anna.seen_from(bot.user_id, UNREADABLE)) == 1
    assert line["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == first
    assert "Settings → Security & Privacy" in line["content"]["body"]
    assert "Traceback" not in line["content"]["body"] and "went wrong" not in line["content"]["body"]
    assert not anna.seen_from(bot.user_id, "Saved #")


async def test_room_keys_go_to_members_new_devices_but_not_to_strangers(synapse: Any, tmp_path: Path) -> None:
    """Anna's new phone missed the key of the bot's answer and asks for it:
    the bot re-sends it (her device, in the room, trusted on first use). Bob,
    who is not in the room, asks for the same key and gets nothing."""
    bot, anna_account, bob_account = register(synapse, "kcbot"), register(synapse, "anna"), register(synapse, "bob")
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [], crypto_store=tmp_path / "bot-crypto"), \
            member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna:
        room = await encrypted_room_with_bot(anna, bot.user_id)
        await anna.send(room, "!kc post Voor later | x")
        (answer,) = await anna.wait_for(from_bot(bot.user_id, "Saved #1"))
        async with another_device(synapse, anna_account, tmp_path / "phone-crypto") as phone, \
                member(synapse, bob_account, crypto_store=tmp_path / "bob-crypto") as bob:
            await phone.sync_once()
            sealed = await sealed_event(synapse, anna_account, room, answer["event_id"])
            await bob.sync_once()
            await bob.ask_for_key(sealed)
            await phone.ask_for_key(sealed)
            opened = None
            for _ in range(40):
                await phone.sync_once(timeout_ms=500)
                try:
                    opened = phone.client.decrypt_event(sealed)
                    break
                except EncryptionError:  # not yet: the key is on its way
                    continue
            await bob.settle(2.0)
            bob_has_it = bob.client.olm is not None and bob.client.olm.inbound_group_store.get(
                room, sealed.sender_key, sealed.session_id) is not None
    assert opened is not None and "Saved #1" in getattr(opened, "body", "")
    assert not bob_has_it


async def sealed_event(synapse: Any, account: Account, room: str, event_id: str) -> MegolmEvent:
    """An event as the homeserver holds it: still encrypted."""
    event = MegolmEvent.from_dict(await client_api(synapse.base_url, account.token, "GET",
                                                   f"rooms/{room}/event/{event_id}"))
    assert isinstance(event, MegolmEvent)
    event.room_id = room
    return event
