"""Delivery on Matrix against a real Synapse, with faults: lost responses,
refused sends, failing events, members who left their DM room, messages
too long for one event, a flooded room."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.incoming import Incoming, MessageReceived
from tests.adapters.matrix.fault_proxy import FaultProxy
from tests.adapters.matrix.harness import body, joined, matrix_bot, member, register, room_with_bot
from tests.adapters.matrix.member_client import MemberClient, from_bot


def bot_messages(client: MemberClient, bot_id: str, text: str, room: str | None = None) -> list[dict[str, Any]]:
    return [s for r, s in client.seen if from_bot(bot_id, text)(s) and (room is None or r == room)]


async def test_a_send_whose_answer_was_lost_is_seen_once(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with FaultProxy(synapse.base_url) as proxy, \
            matrix_bot(synapse, tmp_path / "lost.db", bot_account, [], homeserver=proxy.base_url), \
            member(synapse, anna_account) as anna:
        room = await room_with_bot(anna, bot_account.user_id)
        proxy.lose_responses(1)
        await anna.send(room, "!kc post Eén keer | ook als het antwoord zoekraakt")
        await anna.wait_for(from_bot(bot_account.user_id, "Saved #1"))
        await anna.settle(3.0)  # the retry after the 502 has come and gone
    assert len(bot_messages(anna, bot_account.user_id, "Saved #1")) == 1
    sends = [p for p in proxy.forwarded_sends if "/send/" in p]
    assert len(sends) >= 2 and sends[0] == sends[1]  # sent again, with the same transaction id


async def test_replies_refused_for_ten_seconds_arrive_afterwards_once_each(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with FaultProxy(synapse.base_url) as proxy, \
            matrix_bot(synapse, tmp_path / "outage.db", bot_account, [], homeserver=proxy.base_url), \
            member(synapse, anna_account) as anna:
        room = await room_with_bot(anna, bot_account.user_id)
        proxy.refuse_sends(10)
        began = time.monotonic()
        for n in (1, 2, 3):
            await anna.send(room, f"!kc post Tijdens de storing {n} | x")
        await asyncio.sleep(1.0)
        assert bot_messages(anna, bot_account.user_id, "Saved #") == []
        await anna.wait_for(from_bot(bot_account.user_id, "Saved #"), count=3, timeout=60)
        arrived = time.monotonic() - began
        await anna.settle(2.0)
    saved = sorted(body(s) for s in bot_messages(anna, bot_account.user_id, "Saved #"))
    assert saved == [f"Saved #{n} “Tijdens de storing {n}”" for n in (1, 2, 3)]
    assert arrived >= 10 and proxy.refused_sends


async def test_an_event_whose_handling_fails_does_not_stop_the_bot(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with matrix_bot(synapse, tmp_path / "boom.db", bot_account, []) as (_, adapter), \
            member(synapse, anna_account) as anna:
        handle = adapter._handle

        async def explode_on_boom(event: Incoming) -> object:
            if isinstance(event, MessageReceived) and "boom" in event.text:
                raise RuntimeError("injected: handling this event fails")
            return await handle(event)

        adapter._handle = explode_on_boom
        room = await room_with_bot(anna, bot_account.user_id)
        boom = await anna.send(room, "!kc boom")
        await anna.send(room, "!kc help")
        await anna.wait_for(from_bot(bot_account.user_id, "Commands (type `!kc` before each"), timeout=30)
    assert adapter.given_up == [boom]  # tried a few times, then skipped, and the bot went on


async def test_a_dm_to_a_member_who_left_the_dm_room_arrives_in_a_new_one(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account, piet_account = (register(synapse, n) for n in ("kcbot", "anna", "piet"))
    bot_id = bot_account.user_id
    async with matrix_bot(synapse, tmp_path / "dm.db", bot_account, [anna_account.user_id]), \
            member(synapse, anna_account) as anna, member(synapse, piet_account) as piet:
        room = await room_with_bot(anna, bot_id)
        await anna.client.room_invite(room, piet.user_id)
        await piet.sync_once()
        await piet.join(room)
        await anna.send(room, "!kc event new Koffietafel | 2030-01-11 09:30 | Winkwaves | 5")
        (announcement,) = await anna.wait_for(from_bot(bot_id, "E1 Koffietafel"))
        check = await piet.react(room, announcement["event_id"], "✅")
        (first,) = await piet.wait_for(from_bot(bot_id, "You're in for E1"))
        first_dm = next(r for r, s in piet.seen if s is first)
        await piet.client.room_leave(first_dm)
        await asyncio.sleep(1.0)
        await piet.redact(room, check)
        (second,) = await piet.wait_for(from_bot(bot_id, "You've left E1"))
    second_dm = next(r for r, s in piet.seen if s is second)
    assert second_dm not in (first_dm, room)


async def test_a_long_post_is_shown_complete_in_several_messages(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    text = "<b>R&amp;D</b> notes " * 950  # 19,000 characters that grow threefold as HTML
    async with matrix_bot(synapse, tmp_path / "long.db", bot_account, []), member(synapse, anna_account) as anna:
        room = await room_with_bot(anna, bot_account.user_id)
        await anna.send(room, f"!kc post Lang verslag | {text}")
        await anna.wait_for(from_bot(bot_account.user_id, "Saved #1"))
        await anna.send(room, "!kc show #1")
        await anna.wait_for(from_bot(bot_account.user_id, "people involved"), timeout=30)
        await anna.settle(1.0)
    shown = [s for s in bot_messages(anna, bot_account.user_id, "") if "Saved #1" not in body(s)]
    assert len(shown) >= 2
    assert "".join(body(s) for s in shown).replace("\n", "").count("<b>R&amp;D</b> notes") == 950
    assert all(len(s["content"]["formatted_body"]) < 60_000 for s in shown)
    assert all("<b>" not in s["content"]["formatted_body"] for s in shown)  # escaped, never markup


async def test_a_flooded_room_does_not_delay_another(synapse: Any, tmp_path: Path) -> None:
    bot_account = register(synapse, "kcbot")
    floods = [register(synapse, f"flood{i}") for i in range(3)]
    quiet = register(synapse, "quiet")
    bot_id = bot_account.user_id
    synapse_admin_exempt(synapse, bot_id)
    async with matrix_bot(synapse, tmp_path / "flood.db", bot_account, []):
        clients = [MemberClient(synapse.base_url, f.user_id, f.token) for f in floods]
        for client in clients:
            await client.start()
        busy = await clients[0].create_room(invite=[bot_id, *(f.user_id for f in floods[1:])])
        await clients[0].wait_for(joined(bot_id))
        for client in clients[1:]:
            await client.join(busy)
        async with member(synapse, quiet) as other:
            calm = await room_with_bot(other, bot_id)

            async def thirty(index: int, client: MemberClient) -> None:
                for n in range(30):
                    await client.send(busy, f"!kc post Vloed {index}-{n} | x")

            flooding = asyncio.gather(*(thirty(i, c) for i, c in enumerate(clients)))
            await asyncio.sleep(0.5)  # the flood is under way
            began = time.monotonic()
            await other.send(calm, "!kc help")
            await other.wait_for(from_bot(bot_id, "Commands (type `!kc` before each"), timeout=30)
            waited = time.monotonic() - began
            await flooding
        await clients[0].wait_for(from_bot(bot_id, "Saved #"), count=90, timeout=120)
        for client in clients:
            await client.close()
    print(f"quiet room waited {waited:.2f} s")
    assert waited < 2.0, f"the quiet room waited {waited:.1f} s"


def synapse_admin_exempt(synapse: Any, user_id: str) -> None:
    """Exempt the bot from Synapse's message rate limit, as the README tells admins to."""
    _, admin_token = synapse.register(f"admin-{int(time.time() * 1000)}", "admin-password", admin=True)
    synapse.request("POST", f"/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit",
                    {"messages_per_second": 0, "burst_count": 0}, access_token=admin_token)
