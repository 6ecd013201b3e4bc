"""The Matrix adapter against strangers and second thoughts, on a real Synapse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.adapters.matrix.harness import body, matrix_bot, member, register, room_with_bot
from tests.adapters.matrix.member_client import from_bot


async def test_a_strangers_invite_to_a_room_where_the_bot_may_not_speak(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account, stranger_account = (register(synapse, n) for n in ("kcbot", "anna", "stranger"))
    bot_id, db = bot_account.user_id, tmp_path / "stranger.db"
    only_anna = [anna_account.user_id]
    async with member(synapse, anna_account) as anna, member(synapse, stranger_account) as stranger:
        async with matrix_bot(synapse, db, bot_account, [], allowed_inviters=only_anna):
            room = await room_with_bot(anna, bot_id)
            # A room where only its creator may post, and the bot is invited anyway.
            muted = await stranger.client.room_create(
                invite=[bot_id], power_level_override={"events_default": 100})
            assert hasattr(muted, "room_id"), muted
            await anna.send(room, "!kc help")
            await anna.wait_for(from_bot(bot_id, "Commands (type"))
        async with matrix_bot(synapse, db, bot_account, [], allowed_inviters=only_anna):
            await stranger.client.room_invite(muted.room_id, bot_id)  # and again, after a restart
            await anna.send(room, "!kc events")
            await anna.wait_for(from_bot(bot_id, "No coffee tables planned"))
        await stranger.settle(1.0)
    joined = [s for _, s in stranger.seen if s.get("state_key") == bot_id
              and s.get("content", {}).get("membership") == "join"]
    assert joined == []  # declined without ever joining


async def test_an_edited_post_leaves_one_post_with_the_new_title(synapse: Any, tmp_path: Path) -> None:
    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    bot_id = bot_account.user_id
    async with matrix_bot(synapse, tmp_path / "edit.db", bot_account, []), member(synapse, anna_account) as anna:
        room = await room_with_bot(anna, bot_id)
        original = await anna.send(room, "!kc post Oude titel | oude tekst")
        await anna.wait_for(from_bot(bot_id, "Saved #1 “Oude titel”"))
        await anna.edit(room, original, "!kc post Nieuwe titel | nieuwe tekst")
        await anna.wait_for(from_bot(bot_id, "Updated #1 “Nieuwe titel”"))
        await anna.send(room, "!kc recent")
        (listing,) = await anna.wait_for(from_bot(bot_id, "Newest posts"))
        await anna.settle(1.0)
    assert "#1 Nieuwe titel" in body(listing) and "#2" not in body(listing)
    assert len([s for _, s in anna.seen if from_bot(bot_id, "Saved #")(s)]) == 1


async def test_a_debug_log_of_a_real_login_holds_no_token(synapse: Any, tmp_path: Path) -> None:
    import io
    import json
    import logging
    import sqlite3

    from adapters.log_redaction import LogRedaction
    from tests.adapters.matrix.harness import PASSWORD

    bot_account, anna_account = register(synapse, "kcbot"), register(synapse, "anna")
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root, level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    redaction = LogRedaction()
    redaction.add([PASSWORD])
    redaction.install()  # as `kenniscafe run` does before anything logs
    try:
        async with matrix_bot(synapse, tmp_path / "debug.db", bot_account, [], secrets=redaction.add), \
                member(synapse, anna_account) as anna:
            room = await room_with_bot(anna, bot_account.user_id)
            await anna.send(room, "!kc help")
            await anna.wait_for(from_bot(bot_account.user_id, "Commands (type"))
            with sqlite3.connect(tmp_path / "debug.db") as conn:
                login = json.loads(conn.execute("SELECT value FROM adapterstate WHERE key = 'matrix:login'").fetchone()[0])
            logging.getLogger("kenniscafe.test").debug("a careless line: %s", login)
    finally:
        redaction.uninstall()
        root.removeHandler(handler)
        root.setLevel(level)
    text = log.getvalue()
    assert "DEBUG" in text and len(text.splitlines()) > 20  # it really logged at DEBUG
    assert login["access_token"] not in text and PASSWORD not in text
    assert "a careless line: {'device_id'" in text and "[redacted]" in text
