"""Rule 1 of the house: the core never sees a platform, a database or a scheduler."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_CORE = {
    # chat libraries
    "nio", "slack_bolt", "slack_sdk", "aiohttp",
    # SQL libraries
    "sqlalchemy", "sqlmodel", "aiosqlite", "asyncpg", "sqlite3", "alembic", "psycopg", "psycopg2",
    # the scheduler
    "apscheduler",
    # metrics (the core reports to an Observer; adapters/ops feeds Prometheus)
    "prometheus_client",
    # the outer layers of this project
    "adapters", "storage", "jobs",
}


def imported_top_modules(path: Path) -> set[str]:
    """The top-level package of every import in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_bot_imports_no_chat_sql_or_scheduler_library() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_modules(path) & FORBIDDEN_IN_CORE)
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert {p: mods for p, mods in offenders.items() if mods} == {}


def test_the_check_would_catch_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import nio\nfrom sqlalchemy.orm import Session\nfrom . import local\n")
    assert imported_top_modules(sample) & FORBIDDEN_IN_CORE == {"nio", "sqlalchemy"}


def test_the_core_loads_without_those_libraries_at_runtime() -> None:
    """Importing every core module pulls in none of them, even indirectly."""
    import subprocess
    import sys

    probe = (
        "import sys, pkgutil, importlib, bot\n"
        "for m in pkgutil.walk_packages(bot.__path__, 'bot.'): importlib.import_module(m.name)\n"
        f"bad = sorted({{n.split('.')[0] for n in sys.modules}} & set({sorted(FORBIDDEN_IN_CORE)!r}))\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
