"""The `kenniscafe` command as a new user runs it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def kenniscafe(*args: str, stdin: str = "", cwd: Path = ROOT, console_user: str | None = "rene"
               ) -> subprocess.CompletedProcess[str]:
    """Run the command line in a fresh process, as a user would (the console
    user fixed, since it otherwise defaults to the login name)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    if console_user:
        env["KENNISCAFE_CONSOLE_USER"] = console_user
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120, check=False, env=env,
    )


SESSION = """\
!kc help
!kc post Oud Hollandsche Koffietafel | Verslag en slides: https://slideshare.net/x #nieuwewerken
/as martin
!kc comment #1 Jammer dat ik er niet bij was!
/react m4 👍
/as anna
/react m4 👍
Handige tip: gebruik een thermoskan #koffie
/reply m7 !kc save
!kc search koffietafel
!kc recent
!kc tags
/as rene
!kc show #1
"""


def test_scripted_console_session_and_restart(tmp_path: Path) -> None:
    db = tmp_path / "kc.db"
    first = kenniscafe("console", "--db", str(db), "--as", "rene", stdin=SESSION, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "[m2] bot: Commands" in out
    assert "[m4] bot: Saved #1 “Oud Hollandsche Koffietafel” · #nieuwewerken · 1 link" in out
    assert "Comment added to #1 (1 comment)" in out
    assert "Saved #2 “Handige tip: gebruik een thermoskan”" in out
    assert "#nieuwewerken · 👍 2 · 1 comment · people involved: rene, martin" in out
    assert "#koffie 1 · #nieuwewerken 1" in out
    assert "Traceback" not in out + first.stderr

    second = kenniscafe("console", "--db", str(db), "--as", "piet", stdin="!kc show #2\n!kc search thermoskan\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "#2 Handige tip: gebruik een thermoskan — by anna" in second.stdout
    assert "• #2 Handige tip" in second.stdout


def test_run_without_config_starts_the_console_on_a_local_sqlite_file(tmp_path: Path) -> None:
    result = kenniscafe("run", stdin="!kc help\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[m1] rene: !kc help" in result.stdout
    assert "`search <words> [#tag] [@member]`" in result.stdout
    assert (tmp_path / "kenniscafe.db").exists()


def test_run_uses_bot_toml_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text(
        '[bot]\nprefix = "!kb"\ndatabase = "sqlite+aiosqlite:///mine.db"\n'
        '[[communities]]\nname = "Team"\nmanagers = ["ellen"]\n'
    )
    result = kenniscafe("run", stdin="!kb post Hi | there\n", cwd=tmp_path, console_user=None)
    assert "[m1] ellen: !kb post Hi | there" in result.stdout
    assert "Saved #1" in result.stdout
    assert (tmp_path / "mine.db").exists()


@pytest.mark.parametrize("command", ["run", "console", "check-config", "migrate", "outbox", "export", "import"])
def test_every_subcommand_has_help(command: str) -> None:
    result = kenniscafe(command, "--help")
    assert result.returncode == 0
    assert "usage: kenniscafe" in result.stdout


def test_check_config_prints_each_problem_with_its_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[slack]\nenabled = true\n[[communities]]\nname = "X"\nmanagers = []\ntimezone = "Mars/Olympus"\n')
    result = kenniscafe("check-config", str(bad))
    assert result.returncode == 1
    assert "slack.bot_token: " in result.stdout
    assert "slack.app_token: " in result.stdout
    assert "communities[0].timezone: " in result.stdout


def test_check_config_accepts_the_example(tmp_path: Path) -> None:
    result = kenniscafe("check-config", str(ROOT / "bot.example.toml"))
    assert result.returncode == 0, result.stdout


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = kenniscafe("migrate", "--db", str(tmp_path / "m.db"))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_migrate_never_prints_the_database_password(postgres_url: str) -> None:
    # The local server trusts loopback, so any password gets in: what is said of it matters.
    with_password = postgres_url.replace("postgres@", "postgres:hunter2-secret@", 1)
    result = kenniscafe("migrate", "--db", with_password)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout and "***@" in result.stdout
    assert "hunter2" not in result.stdout + result.stderr


def test_the_database_and_data_folder_are_private(tmp_path: Path) -> None:
    result = kenniscafe("console", "--db", str(tmp_path / "new" / "kc.db"), stdin="!kc help\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    for name in ("kc.db", "kc.db-wal", "kc.db-shm"):
        path = tmp_path / "new" / name
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, name
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("kenniscafe: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_file_that_is_no_database_is_refused_in_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("boodschappen: koffie, melk\n" * 100)
    line = _one_line_error(kenniscafe("console", "--db", str(notes), stdin="!kc help\n", cwd=tmp_path))
    assert f"{notes} is not a SQLite database" in line


def test_a_database_that_cannot_be_created_is_refused_in_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = kenniscafe("console", "--db", str(locked / "sub" / "kc.db"), stdin="!kc help\n", cwd=tmp_path)
        if os.geteuid() == 0:  # root may write anywhere: use a path below a file instead
            result = kenniscafe("console", "--db", "/dev/null/kc.db", stdin="!kc help\n", cwd=tmp_path)
        assert "cannot create the database" in _one_line_error(result)
    finally:
        locked.chmod(0o700)


def test_an_unreachable_homeserver_is_named_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text(
        '[[communities]]\nname = "K"\nmanagers = []\n'
        '[matrix]\nenabled = true\nhomeserver = "http://127.0.0.1:9"\nuser_id = "@bot:localhost"\n'
        'password = "secret-password"\n')
    line = _one_line_error(kenniscafe("run", cwd=tmp_path))
    assert "the Matrix homeserver http://127.0.0.1:9 is unreachable" in line
    assert "secret-password" not in line


async def test_a_slack_token_refused_is_said_in_one_line(tmp_path: Path) -> None:
    from tests.adapters.slack.fake_slack import FakeSlack

    async with FakeSlack() as fake:
        fake.error_next("auth.test", "invalid_auth")
        (tmp_path / "bot.toml").write_text(
            '[[communities]]\nname = "K"\nmanagers = []\n'
            f'[slack]\nenabled = true\nbot_token = "xoxb-wrong"\napp_token = "xapp-x"\napi_url = "{fake.api_url}"\n')
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "run", cwd=tmp_path, env={"PATH": "/usr/bin:/bin",
                                                                           "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    result = subprocess.CompletedProcess([], process.returncode or 0, out.decode(), err.decode())
    assert "Slack refused the bot token (invalid_auth)" in _one_line_error(result)
