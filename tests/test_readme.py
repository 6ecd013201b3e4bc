"""The README's promises to a new user stay true."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The indented shell commands near the top of the README, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    top = text.split("## ", 1)[0]
    return [line.strip() for line in top.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_starts_with_exactly_two_commands() -> None:
    start, test = readme_commands()
    assert start.endswith("kenniscafe run")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci_lines
