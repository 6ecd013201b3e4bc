"""`kenniscafe migrate-data`: every community moves to another database
(SQLite to PostgreSQL, PostgreSQL to SQLite, SQLite to SQLite) with its ids,
and a member of the moved community notices nothing: the same posts, search
results and coffee tables, the next post gets the next number."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import Settings
from storage.engine import Database, sqlite_url_for_path
from storage.sql import Sql, stamp
from tests.conftest import FakeClock, Transcript, console_on, console_settings
from tests.storage.test_transfer import ROUNDS_DONE_AT, SEEDED_AT, seed

# What a member looks at; each answer must be the same before and after the move.
LOOKS = [("anna", "!kc show #1"), ("anna", "!kc search koffie"), ("anna", "!kc search moka"),
         ("anna", "!kc search fietsen"), ("anna", "!kc event E1"), ("anna", "!kc event E3"), ("anna", "!kc events"),
         ("anna", "!kc who koffie"), ("rene", "!kc stats")]


def settings_on(db_path: Path, url: str | None = None) -> Settings:
    return console_settings(db_path, url or sqlite_url_for_path(db_path), pairing="mon 10:00", pairing_weeks=1)


async def looks(console: Transcript) -> list[str]:
    return [await console.say(line, as_user=user) for user, line in LOOKS]


@pytest.fixture
async def source(tmp_path: Path) -> tuple[str, list[str]]:
    """A SQLite database that saw a bit of everything (see ``seed``), with
    what a member sees in it."""
    path = tmp_path / "source.db"
    clock = FakeClock(SEEDED_AT)
    async with console_on(path, clock=clock, settings=settings_on(path)) as console:
        await seed(console, clock)
        await console.say("!kc post Fietsen naar de koffie | over de Heuvelrug #fietsen", as_user="sanne")
        await console.say("!kc join E3", as_user="piet")
        await console.say("!kc role piet organizer", as_user="rene")
    url = sqlite_url_for_path(path)
    await platform_state(url)
    seen, _ = await seen_on(url, tmp_path)
    return url, seen


# What the Matrix and Slack adapters keep (the console keeps none of it).
STATE = [
    "INSERT INTO adapterstate (key, value, updated_at) VALUES ('matrix:sync_token', 's72594_4483_1934', :at)",
    "INSERT INTO processedinbound (id, platform, event_id, received_at) VALUES (7, 'slack', 'Ev07', :at)",
    "INSERT INTO linkcode (code, member_id, platform, created_at, expires_at) VALUES ('K7Q2', 2, 'slack', :at, :at)",
]
STATE_READ = ("SELECT (SELECT value FROM adapterstate), (SELECT id || event_id FROM processedinbound),"
              " (SELECT code || member_id FROM linkcode)")


async def platform_state(url: str) -> tuple[object, ...] | None:
    """Write the adapters' state into an empty slot, or read it back."""
    db = Database(url)
    try:
        async with db.write() as session:
            sql = await Sql.of(session)
            found = (await sql.all(STATE_READ))[0]
            if found[0] is None:
                for statement in STATE:
                    await sql.run(statement, {"at": stamp(session, ROUNDS_DONE_AT)})
                return None
            return found
    finally:
        await db.dispose()


def counts_printed(out: str) -> dict[str, tuple[int, int]]:
    """The table of counts the command printed: table → (source, target)."""
    found = {}
    for line in out.splitlines():
        match = re.fullmatch(r"(\w+)(?: \(rebuilt\))?\s+(\d+)\s+(\d+)(\s+DIFFERS)?", line)
        if match:
            found[match[1]] = (int(match[2]), int(match[3]))
    return found


async def cli(*argv: str) -> int:
    """``kenniscafe ARGV`` (it runs its own event loop: in a thread)."""
    return await asyncio.to_thread(main, list(argv))


async def move(source_url: str, target_url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[int, int]]:
    assert await cli("migrate-data", "--from", source_url, "--to", target_url) == 0
    out = capsys.readouterr().out
    counts = counts_printed(out)
    assert "every count matches" in out
    assert all(before == after for before, after in counts.values()), out
    return counts


async def seen_on(url: str, tmp_path: Path, *, then: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """What a member sees on the database at ``url``, and the answers to ``then``."""
    async with console_on(tmp_path / "unused.db", clock=FakeClock(ROUNDS_DONE_AT),
                          settings=settings_on(tmp_path / "unused.db", url)) as console:
        seen = await looks(console)
        answers = [await console.say(line, as_user="sanne") for line in then]
    return seen, answers


NEXT = ["!kc post Nog een | na de verhuizing #nieuw", "!kc show #4", "!kc search verhuizing",
        "!kc comment #1 ook na de verhuizing", "!kc join E1"]


def check_next(answers: list[str]) -> None:
    """New rows get fresh ids and the next numbers: sequences were set past the copied ids."""
    saved, shown, found, commented, joined = answers
    assert "#4" in saved, saved
    assert "Nog een" in shown and "Nog een" in found, (shown, found)
    assert "#1" in commented and "2 comments" in commented, commented
    assert "E1" in joined, joined


async def test_migrate_data_to_sqlite_or_postgresql_a_member_notices_nothing(
    source: tuple[str, list[str]], database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_url, before = source
    counts = await move(source_url, database_url, capsys)
    for table in ("community", "member", "post", "posttag", "postlink", "comment", "reaction", "event", "signup",
                  "eventinterest", "membertopic", "outboxmessage", "outboundledger", "messageanchor",
                  "pairingmatch", "processedinbound"):
        assert counts[table][0] > 0, f"the seed leaves no {table}: the move would prove little"
    assert counts["post"] == (3, 3) and counts["search_text"] == (2, 2)  # #2 was removed: not indexed
    assert await platform_state(database_url) == ("s72594_4483_1934", "7Ev07", "K7Q22")
    after, answers = await seen_on(database_url, tmp_path, then=NEXT)
    assert after == before
    assert "Koffie zetten" in after[1] and "Koffie zetten" in after[2]  # search works on the target
    assert "waitlist" in after[4].lower(), after[4]
    check_next(answers)


async def test_postgresql_to_sqlite_and_back_to_the_same_counts(
    source: tuple[str, list[str]], postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_url, before = source
    first = await move(source_url, postgres_url, capsys)
    back = sqlite_url_for_path(tmp_path / "back.db")
    again = await move(postgres_url, back, capsys)
    assert again == first
    after, answers = await seen_on(back, tmp_path, then=NEXT)
    assert after == before
    check_next(answers)


async def test_a_target_that_holds_data_is_refused_and_left_alone(
    source: tuple[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_url, _ = source
    target = sqlite_url_for_path(tmp_path / "target.db")
    counts = await move(source_url, target, capsys)
    assert await cli("migrate-data", "--from", source_url, "--to", target) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "already holds data" in captured.err, captured.err
    db = Database(target)
    try:
        async with db.read() as session:
            from sqlalchemy import text

            posts = (await session.execute(text("SELECT count(*) FROM post"))).scalar_one()
    finally:
        await db.dispose()
    assert posts == counts["post"][1]


@pytest.mark.parametrize(
    ("source_url", "target_url", "says"),
    [
        ("nonsense", "sqlite:///{tmp}/t.db", "not a database URL"),
        ("sqlite:///{tmp}/source.db", "mysql://root:secret@localhost/kc", "not a database this bot runs on"),
        ("sqlite:///{tmp}/missing.db", "sqlite:///{tmp}/t.db", "there is no database at"),
        ("sqlite:///{tmp}/source.db", "sqlite:///{tmp}/source.db", "the same database"),
        ("sqlite:///{tmp}/source.db", "postgresql+asyncpg://kc:secret@127.0.0.1:1/kc", "cannot use the database"),
    ],
)
async def test_a_bad_url_or_missing_database_gives_one_line_and_exit_1(
    source: tuple[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    source_url: str, target_url: str, says: str,
) -> None:
    assert Path(source[0].split(":///", 1)[1]) == tmp_path / "source.db"
    status = await cli("migrate-data", "--from", source_url.format(tmp=tmp_path),
                       "--to", target_url.format(tmp=tmp_path))
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert captured.err.startswith("kenniscafe: ") and captured.err.count("\n") == 1, captured.err
    assert says in captured.err
    assert "secret" not in captured.err
    assert not (tmp_path / "missing.db").exists()


async def test_a_source_without_communities_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = sqlite_url_for_path(tmp_path / "empty.db")
    assert await cli("migrate", "--db", str(tmp_path / "empty.db")) == 0
    capsys.readouterr()
    assert await cli("migrate-data", "--from", empty, "--to", sqlite_url_for_path(tmp_path / "t.db")) == 1
    assert "holds no community" in capsys.readouterr().err
