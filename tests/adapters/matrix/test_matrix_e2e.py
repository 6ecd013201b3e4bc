"""The bot on Matrix, end to end against a real Synapse, read back by members' clients."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.adapters.matrix.harness import (
    PASSWORD,
    body,
    joined,
    matrix_bot,
    member,
    register,
    room_with_bot,
)
from tests.adapters.matrix.member_client import MemberClient, from_bot
from tests.conftest import FakeClock


async def test_commands_reactions_threads_and_saves(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account, piet_account = (register(synapse, n) for n in ("kcbot", "anna", "piet"))
    async with matrix_bot(synapse, tmp_path / "kc.db", bot_account, [anna_account.user_id]), \
            member(synapse, anna_account) as anna, member(synapse, piet_account) as piet:
        bot_id = bot_account.user_id
        room = await room_with_bot(anna, bot_id)
        await anna.client.room_invite(room, piet.user_id)
        await piet.sync_once()
        await piet.join(room)

        await anna.send(room, "!kc help")
        await anna.wait_for(from_bot(bot_id, "Commands (type `!kc` before each"))

        await anna.send(room, "!kc post Koffie in Utrecht | De beste plek: https://example.org #koffie")
        (saved,) = await anna.wait_for(from_bot(bot_id, "Saved #1 “Koffie in Utrecht” · #koffie · 1 link"))
        assert saved["content"]["format"] == "org.matrix.custom.html"
        assert saved["content"]["m.relates_to"]["m.in_reply_to"]["event_id"]

        # A reaction on the bot's post message counts; redacting it uncounts.
        reaction = await piet.react(room, saved["event_id"], "👍")
        await anna.send(room, "!kc show #1")
        await anna.wait_for(from_bot(bot_id, "#koffie · 👍 1 · 0 comments"))
        await piet.redact(room, reaction)
        await asyncio.sleep(1.0)
        await anna.send(room, "!kc show #1")
        await anna.wait_for(from_bot(bot_id, "#koffie · 0 comments"), count=1)

        # A thread reply to the post message is a comment.
        await piet.send(room, "Mee eens!", relates_to={"rel_type": "m.thread", "event_id": saved["event_id"],
                                                       "is_falling_back": True,
                                                       "m.in_reply_to": {"event_id": saved["event_id"]}})
        (comment,) = await anna.wait_for(from_bot(bot_id, "Comment added to #1 (1 comment)"))
        assert comment["content"]["m.relates_to"]["rel_type"] == "m.thread"

        await anna.send(room, "!kc search utrecht")
        await anna.wait_for(from_bot(bot_id, "#1 Koffie in Utrecht"))

        # `!kc save` as a reply archives that message, crediting its author.
        tip = await piet.send(room, "Tip: neem een thermoskan mee")
        await anna.send(room, "> <@piet> Tip: neem een thermoskan mee\n\n!kc save #tips",
                        relates_to={"m.in_reply_to": {"event_id": tip}})
        await anna.wait_for(from_bot(bot_id, "Saved #2 “Tip: neem een thermoskan mee” · #tips"))
        await anna.send(room, "!kc show #2")
        await anna.wait_for(from_bot(bot_id, "#2 Tip: neem een thermoskan mee — by piet"))

        # Coffee tables: announce, join by command and by ✅, leave by removing it.
        await anna.send(room, "!kc event new Koffietafel | 2030-01-11 09:30 | Winkwaves | 2")
        (announcement,) = await anna.wait_for(from_bot(bot_id, "E1 Koffietafel — Fri 11 Jan 2030 09:30, Winkwaves"))
        await anna.send(room, "!kc join E1")
        await anna.wait_for(from_bot(bot_id, "You're in for E1 (1/2)."))
        check = await piet.react(room, announcement["event_id"], "✅")
        await piet.wait_for(from_bot(bot_id, "You're in for E1 (2/2)."))  # by DM
        await piet.redact(room, check)
        await piet.wait_for(from_bot(bot_id, "You've left E1 (1/2)."))


async def test_user_html_is_literal_text(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    async with matrix_bot(synapse, tmp_path / "html.db", bot_account, []), member(synapse, anna_account) as anna:
        room = await room_with_bot(anna, bot_account.user_id)
        await anna.send(room, "!kc post <b>x</b><img src=x> | body")
        (saved,) = await anna.wait_for(from_bot(bot_account.user_id, "Saved #1"))
    assert "&lt;b&gt;x&lt;/b&gt;&lt;img src=x&gt;" in saved["content"]["formatted_body"]
    assert "<img" not in saved["content"]["formatted_body"]
    assert "<b>x</b><img src=x>" in saved["content"]["body"]


async def test_restart_answers_exactly_the_messages_it_missed(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    db = tmp_path / "restart.db"
    bot_id = bot_account.user_id
    async with member(synapse, anna_account) as anna:
        async with matrix_bot(synapse, db, bot_account, []):
            room = await room_with_bot(anna, bot_id)
            for n in (1, 2, 3):
                await anna.send(room, f"!kc post Before {n} | x")
            await anna.wait_for(from_bot(bot_id, "Saved #"), count=3)
        for n in (4, 5, 6):
            await anna.send(room, f"!kc post After {n} | x")
        async with matrix_bot(synapse, db, bot_account, []):
            await anna.wait_for(from_bot(bot_id, "Saved #"), count=6)
            await anna.settle(2.0)
    saved = sorted(body(s) for _, s in anna.seen if from_bot(bot_id, "Saved #")(s))
    assert saved == [f"Saved #{n} “{'Before' if n <= 3 else 'After'} {n}”" for n in range(1, 7)]


async def test_burst_of_300_commands_from_10_members(synapse: Any, tmp_path: Path) -> None:
    """While the bot is down, 10 members send 30 commands each: more than the
    server's timeline limit (100) in one sync, so the bot pages back for the
    rest when it returns, and answers all 300."""
    bot_account = register(synapse, "kcbot")
    people = [register(synapse, f"m{i}") for i in range(10)]
    bot_id = bot_account.user_id
    db = tmp_path / "burst.db"
    clients = [MemberClient(synapse.base_url, p.user_id, p.token) for p in people]
    for client in clients:
        await client.start()
    async with matrix_bot(synapse, db, bot_account, []):
        room = await clients[0].create_room(invite=[bot_id, *(p.user_id for p in people[1:])])
        await clients[0].wait_for(joined(bot_id))
        for client in clients[1:]:
            await client.join(room)
        await clients[0].send(room, "!kc help")
        await clients[0].wait_for(from_bot(bot_id, "Commands"))

    async def thirty(index: int, client: MemberClient) -> None:
        for n in range(30):
            await client.send(room, f"!kc post Burst {index}-{n} | from {index}")

    await asyncio.gather(*(thirty(i, c) for i, c in enumerate(clients)))
    async with matrix_bot(synapse, db, bot_account, []) as (_, adapter):
        replies = await clients[0].wait_for(from_bot(bot_id, "Saved #"), count=300, timeout=120)
        await clients[0].settle(2.0)
    for client in clients:
        await client.close()
    titles = sorted(body(r).split("“", 1)[1].rstrip("”") for _, r in clients[0].seen if from_bot(bot_id, "Saved #")(r))
    assert len(replies) == 300
    assert adapter.backfilled > 0  # the server's timeline limit (100) was hit and paged back
    assert titles == sorted(f"Burst {i}-{n}" for i in range(10) for n in range(30))


async def test_a_reminder_dm_reaches_the_member(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    clock = FakeClock(datetime.now(UTC))
    async with matrix_bot(synapse, tmp_path / "remind.db", bot_account, [anna_account.user_id], clock) as (core, _), \
            member(synapse, anna_account) as anna:
        room = await room_with_bot(anna, bot_account.user_id)
        await anna.send(room, "!kc event new Koffietafel | 2030-01-11 09:30 | Winkwaves | 5")
        await anna.wait_for(from_bot(bot_account.user_id, "E1 Koffietafel"))
        await anna.send(room, "!kc join E1")
        await anna.wait_for(from_bot(bot_account.user_id, "You're in for E1"))
        clock.current = datetime(2030, 1, 11, 8, 30, tzinfo=UTC) - timedelta(hours=24)
        assert await core.bot.send_due_reminders() == 1
        dms = await anna.wait_for(from_bot(bot_account.user_id, "Reminder: E1 Koffietafel starts in 24 h"), count=2)
        await anna.send(room, "!kc ics E1")
        (calendar,) = await anna.wait_for(lambda s: s.get("content", {}).get("msgtype") == "m.file")
    rooms = {room_id for room_id, source in anna.seen if source in dms}
    assert room in rooms and len(rooms) == 2  # the announcement room and a direct room
    assert calendar["content"]["body"] == "E1.ics"
    assert calendar["content"]["url"].startswith("mxc://")


async def test_invites_from_elsewhere_are_declined_without_joining(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    not_anna = ["@someone:example.org"]  # not anna, not her server
    async with matrix_bot(synapse, tmp_path / "inv.db", bot_account, [], allowed_inviters=not_anna), \
            member(synapse, anna_account) as anna:
        room = await anna.create_room(invite=[bot_account.user_id])
        left = await anna.wait_for(lambda s: s.get("state_key") == bot_account.user_id
                                   and s.get("content", {}).get("membership") == "leave")
        await anna.send(room, "!kc help")
        await anna.settle(1.5)
    memberships = [s.get("content", {}).get("membership") for _, s in anna.seen
                   if s.get("state_key") == bot_account.user_id]
    assert "join" not in memberships and left  # declined, never joined
    assert not any(s.get("sender") == bot_account.user_id and s.get("type") == "m.room.message" for _, s in anna.seen)


async def test_a_restart_reuses_its_device(synapse: Any, tmp_path: Path) -> None:
    bot_account = register(synapse, "kcbot")
    db = tmp_path / "device.db"
    devices = []
    for _ in range(2):
        async with matrix_bot(synapse, db, bot_account, []) as (_, adapter):
            devices.append(adapter.client.device_id)
            listed = await adapter.client.devices()
    assert devices[0] == devices[1]
    # The registration's own device plus the bot's one login: no new device per start.
    assert len(listed.devices) == 2


async def test_kenniscafe_run_serves_matrix_and_stops_cleanly_on_sigterm(synapse: Any, tmp_path: Path) -> None:
    import os
    import signal
    import sys

    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    (tmp_path / "bot.toml").write_text(
        '[bot]\ndatabase = "sqlite+aiosqlite:///run.db"\n'
        '[[communities]]\nname = "Kenniscafé"\nmanagers = []\nrooms = ["*"]\n'
        f'[matrix]\nenabled = true\nhomeserver = "{synapse.base_url}"\nuser_id = "{bot_account.user_id}"\n'
        f'allowed_inviters = ["{synapse.server_name}"]\n'
    )
    root = Path(__file__).resolve().parents[3]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "run", cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root), "KENNISCAFE_MATRIX_PASSWORD": PASSWORD},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with member(synapse, anna_account) as anna:
            room = await room_with_bot(anna, bot_account.user_id)
            await anna.send(room, "!kc help")
            await anna.wait_for(from_bot(bot_account.user_id, "Commands (type `!kc` before each"))
        began = asyncio.get_running_loop().time()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0, err.decode()
        assert asyncio.get_running_loop().time() - began < 5  # the 30 s long-poll was cancelled, not waited out
    finally:
        if process.returncode is None:
            process.kill()
