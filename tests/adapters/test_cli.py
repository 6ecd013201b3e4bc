"""The `kenniscafe` command as a new user runs it."""

from __future__ import annotations

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


@pytest.mark.parametrize("command", ["run", "console", "check-config", "migrate"])
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


def test_the_database_and_data_folder_are_private(tmp_path: Path) -> None:
    result = kenniscafe("console", "--db", str(tmp_path / "new" / "kc.db"), stdin="!kc help\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    for name in ("kc.db", "kc.db-wal", "kc.db-shm"):
        path = tmp_path / "new" / name
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, name
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
