"""Encrypted Matrix rooms (issue 15), against a real Synapse: members whose
clients encrypt, as Element does by default, are understood and answered,
and read the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.matrix.harness import matrix_bot, member, register
from tests.adapters.matrix.member_client import from_bot


async def test_a_post_in_an_encrypted_room_is_answered_and_the_answer_decrypted(synapse: Any, tmp_path: Path) -> None:
    bot, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with matrix_bot(synapse, tmp_path / "kc.db", bot, [anna_account.user_id],
                          crypto_store=tmp_path / "bot-crypto") as (_core, adapter), \
            member(synapse, anna_account, crypto_store=tmp_path / "anna-crypto") as anna:
        room = await anna.create_room(invite=[bot.user_id], encrypted=True)
        await anna.wait_for(lambda s: s.get("type") == "m.room.member" and s.get("state_key") == bot.user_id
                            and s.get("content", {}).get("membership") == "join")
        await anna.send(room, "!kc post Geheime koffie | alleen voor ons #koffie")
        answers = await anna.wait_for(from_bot(bot.user_id, "Saved #1"))
        assert "Geheime koffie" in answers[0]["content"]["body"]
        assert adapter.client.rooms[room].encrypted
        # On the wire, both the command and the answer were encrypted.
        async with aiohttp.ClientSession() as http, http.get(
                f"{synapse.base_url}/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=20",
                headers={"Authorization": f"Bearer {anna_account.token}"}) as response:
            raw = (await response.json())["chunk"]
        said = [(e["sender"], e["type"]) for e in raw if e["type"] in ("m.room.message", "m.room.encrypted")]
        assert (bot.user_id, "m.room.encrypted") in said and (anna_account.user_id, "m.room.encrypted") in said
        assert all(kind == "m.room.encrypted" for _, kind in said)
