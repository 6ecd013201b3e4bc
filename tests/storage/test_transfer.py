"""A community moves between databases: export → import into an empty
database → export gives the same document, on SQLite and PostgreSQL; what
was sent already is not sent again after the move."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.cli import main
from storage.engine import Database
from storage.transfer import TransferRefused, export_community, import_community
from tests.conftest import (
    START,
    FakeClock,
    Transcript,
    console_on,
    console_settings,
    database_url_for,
)

SEEDED_AT = START - timedelta(days=10)  # Wednesday 18 November
# Monday 23 November, just after the digest (09:00 Amsterdam) and the pairing round (10:00).
ROUNDS_DONE_AT = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)


async def seed(console: Transcript, clock: FakeClock) -> None:
    """A community with a bit of everything."""
    say = console.say
    await say("!kc me expertise koffie, fietsen", as_user="anna")
    await say("!kc me interests taart")
    await say("!kc pair on")
    await say("!kc digest on")
    await say("!kc post Koffie zetten | met een V60, zie https://example.org/v60 #koffie #tips", as_user="anna")
    await say("/react " + console.last_ref() + " 👍", as_user="piet")
    await say("!kc comment #1 liever een moka", as_user="piet")
    await say("!kc me interests koffie")
    await say("!kc pair on")
    await say("!kc role piet organizer", as_user="rene")
    await say("!kc event new Koffietafel | 2026-11-19 18:00 | Utrecht | 1", as_user="piet")
    await say("!kc join E1", as_user="anna")
    await say("!kc join E1", as_user="sanne")
    await say("!kc interested E1", as_user="joost")
    await say("!kc post Bonen | licht gebrand #koffie", as_user="sanne")
    await say("!kc remove #2", as_user="rene")
    clock.advance(timedelta(days=1))
    await console.bot.send_due_reminders()
    clock.advance(timedelta(hours=10))  # E1 took place
    await say("!kc event noshow E1 anna", as_user="piet")
    await say("!kc event again E1 2026-12-03 18:00", as_user="piet")
    await say("!kc event new Fietsen | 2026-12-10 10:00 | Zeist", as_user="piet")
    await say("!kc join E3", as_user="anna")
    clock.current = ROUNDS_DONE_AT
    assert await console.bot.post_due_digests() == 1
    assert await console.bot.hold_pairing_rounds() == 1
    await console.delivered()


@pytest.fixture
async def exported(db_path: Path) -> dict[str, object]:
    clock = FakeClock(SEEDED_AT)
    settings = console_settings(db_path, pairing="mon 10:00", pairing_weeks=1)
    async with console_on(db_path, clock=clock, settings=settings) as console:
        await seed(console, clock)
    db = Database(database_url_for(db_path))
    try:
        return await export_community(db)
    finally:
        await db.dispose()


async def test_export_import_export_gives_the_same_document(exported: dict[str, object], database_url: str) -> None:
    assert {"rooms", "members", "identities", "memberships", "topics", "tags", "posts", "post_tags", "post_links",
            "comments", "reactions", "events", "signups", "interest", "anchors", "pairings", "sent"} <= set(exported)
    for table in ("members", "posts", "comments", "reactions", "events", "signups", "interest", "pairings", "sent"):
        assert exported[table], f"the seed leaves no {table}: the round trip would prove little"
    target = Database(database_url)
    try:
        await target.migrate()
        assert await import_community(target, json.loads(json.dumps(exported))) == "Kenniscafé"
        again = await export_community(target)
    finally:
        await target.dispose()
    assert json.dumps(again, indent=1) == json.dumps(exported, indent=1)


async def test_an_export_shows_no_database_ids(exported: dict[str, object]) -> None:
    members = exported["members"]
    assert isinstance(members, list)
    assert [m["member"] for m in members] == list(range(1, len(members) + 1))
    assert {m["name"] for m in members} == {"rene", "anna", "piet", "sanne", "joost"}
    sent = exported["sent"]
    assert isinstance(sent, list)
    assert any(row["key"].startswith("reminder:E1:") for row in sent)
    assert any(row["key"].startswith("digest:") for row in sent)


@pytest.mark.parametrize("with_ledger", [True, False])
async def test_a_moved_community_is_not_sent_things_twice(exported: dict[str, object], tmp_path: Path,
                                                          with_ledger: bool) -> None:
    moved = tmp_path / "moved.db"
    target = Database(database_url_for(moved))
    try:
        await target.migrate()
        await import_community(target, exported if with_ledger else {**exported, "sent": []})
    finally:
        await target.dispose()
    clock = FakeClock(ROUNDS_DONE_AT + timedelta(minutes=1))
    settings = console_settings(moved, pairing="mon 10:00", pairing_weeks=1)
    async with console_on(moved, clock=clock, settings=settings) as console:
        # Without what was sent, the digest would go out again.
        assert await console.bot.post_due_digests() == (0 if with_ledger else 1)
        if with_ledger:
            assert await console.bot.hold_pairing_rounds() == 0
        assert "E3 Fietsen" in await console.say("!kc events")
        assert "Going (1 going): anna" in await console.say("!kc event E3")


async def test_import_goes_into_an_empty_database_only(exported: dict[str, object], db_path: Path) -> None:
    db = Database(database_url_for(db_path))
    try:
        with pytest.raises(TransferRefused, match="already holds a community"):
            await import_community(db, exported)
        with pytest.raises(TransferRefused, match="not a Kenniscafé export"):
            await import_community(db, {"format": "something else"})
        with pytest.raises(TransferRefused, match="no community called 'Elders'"):
            await export_community(db, name="Elders")
    finally:
        await db.dispose()


def test_the_command_line_round_trips_a_community(exported: dict[str, object], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    first, second, moved = tmp_path / "first.json", tmp_path / "second.json", tmp_path / "moved.db"
    first.write_text(json.dumps(exported), encoding="utf-8")
    assert main(["import", str(first), "--db", str(moved)]) == 0
    assert "Imported Kenniscafé" in capsys.readouterr().out
    assert main(["export", "--db", str(moved), "--out", str(second), "--csv", str(tmp_path / "csv")]) == 0
    assert "Exported Kenniscafé: 5 members, 2 posts, 3 coffee tables" in capsys.readouterr().err
    assert json.loads(second.read_text(encoding="utf-8")) == exported
    assert (tmp_path / "csv" / "posts.csv").read_text(encoding="utf-8").startswith("post,title,body,author,")
    assert main(["import", str(first), "--db", str(moved)]) == 1
    assert "already holds a community" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"format": "kenniscafe-export", "version": 1}',
                                     '{"format": "kenniscafe-export", "version": 1, "community": {"name": 3}}'])
def test_a_damaged_export_is_refused_and_changes_nothing(content: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    damaged, moved = tmp_path / "damaged.json", tmp_path / "moved.db"
    damaged.write_text(content, encoding="utf-8")
    assert main(["import", str(damaged), "--db", str(moved)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("kenniscafe: ") and "Traceback" not in error
    assert main(["export", "--db", str(moved)]) == 1
    assert "the communities are: none" in capsys.readouterr().err
