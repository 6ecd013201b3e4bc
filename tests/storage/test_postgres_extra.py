"""PostgreSQL is an extra (``pip install 'kenniscafe[postgres]'``): the base
install runs on SQLite without asyncpg, and a PostgreSQL URL without it stops
the start with one line saying what to install. asyncpg is hidden from a
subprocess (``sys.modules['asyncpg'] = None`` makes every import of it fail,
as on an install without it)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_ASYNCPG = "import sys\nsys.modules['asyncpg'] = None\n"


def run_without_asyncpg(code: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KENNISCAFE_")}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", WITHOUT_ASYNCPG + code], check=False, cwd=cwd, input=stdin, text=True,
                          capture_output=True, timeout=60, env={**environment, **env})


def test_asyncpg_is_an_extra_which_the_tests_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith("asyncpg")]
    assert project["optional-dependencies"]["postgres"] == ["asyncpg>=0.29"]
    assert "kenniscafe[postgres]" in project["optional-dependencies"]["test"]


def test_no_module_imports_asyncpg_and_the_console_runs_without_it(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil\n"
        "for name in ('bot', 'adapters', 'storage', 'jobs'):\n"
        "    package = importlib.import_module(name)\n"
        "    for module in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        if not module.name.startswith('storage.migrations'):  # Alembic runs those (below)\n"
        "            importlib.import_module(module.name)\n"
        "from adapters.cli import main\n"
        "sys.exit(main(['run']))\n"
    )
    done = run_without_asyncpg(code, tmp_path, "!kc help\n")
    assert done.returncode == 0, done.stderr
    assert "!kc help" in done.stdout and "search" in done.stdout
    assert (tmp_path / "kenniscafe.db").exists()


def test_a_postgresql_url_without_asyncpg_says_which_extra_in_one_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://kc:secret@127.0.0.1:5432/kenniscafe"
    for command in ("['run']", "['migrate']", f"['migrate-data', '--from', {url!r}, '--to', 'sqlite:///t.db']"):
        done = run_without_asyncpg(f"from adapters.cli import main\nsys.exit(main({command}))\n", tmp_path,
                                   KENNISCAFE_BOT_DATABASE=url)
        assert done.returncode == 1, (command, done.stderr)
        assert done.stdout == ""
        assert done.stderr == "kenniscafe: PostgreSQL needs the postgres extra: pip install 'kenniscafe[postgres]'\n"
