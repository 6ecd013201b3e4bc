"""The console at a real terminal (tmux): a prompt, line editing, history,
inert escape sequences, and Ctrl-C that drops a line before it leaves."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """One tmux session running a command; keys in, screen out."""

    def __init__(self, name: str) -> None:
        self.name = name

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

    def alive(self) -> bool:
        dead = subprocess.run(["tmux", "display-message", "-p", "-t", self.name, "#{pane_dead}"],
                              capture_output=True, text=True, check=False).stdout.strip()
        return dead == "0"

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while text not in (screen := self.screen()):
            assert time.monotonic() < deadline, f"{text!r} never showed; the screen:\n{screen}"
            time.sleep(0.1)
        return screen


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux; .ci/run installs it)")
    # A post whose title carries escape sequences, stored by a script first.
    stored = subprocess.run([sys.executable, "-m", "adapters.cli", "console", "--db", "kc.db", "--as", "mallory"],
                            input="!kc post Wipe\x1b[2J\x1b[Hscreen | \x1b]0;owned\x07\n", text=True, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    assert "Saved #1" in stored.stdout, stored.stdout + stored.stderr
    name = f"kc-{uuid.uuid4().hex[:8]}"
    command = (f"cd {tmp_path} && PYTHONPATH={ROOT} {sys.executable} -m adapters.cli console --db kc.db --as anna")
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", command], check=True)
    subprocess.run(["tmux", "set-option", "-t", name, "remain-on-exit", "on"], check=True)
    try:
        yield Terminal(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False)


def test_editing_history_and_inert_escapes_at_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    terminal.wait_for("anna>")
    terminal.type("!kc recent")
    terminal.keys("Enter")
    terminal.wait_for("#1 Wipe")
    terminal.type("!kc post Hllo | wereld")
    terminal.keys("Home")
    terminal.keys(*["Right"] * len("!kc post H"))
    terminal.type("a")  # an edit in the middle of the line
    terminal.keys("Enter")
    terminal.wait_for("Saved #2 “Hallo”")

    terminal.keys("Up")  # history: the line comes back
    terminal.wait_for("anna> !kc post Hallo | wereld")
    terminal.keys("Enter")
    terminal.wait_for("Saved #3 “Hallo”")

    terminal.type("!kc show #1")
    terminal.keys("Enter")
    screen = terminal.wait_for("#1 Wipe[2J[Hscreen — by mallory")
    assert "Saved #2 “Hallo”" in screen  # the screen was not cleared

    terminal.type("!kc ev")
    terminal.keys("Tab")  # completion from the command declarations
    terminal.wait_for("!kc event")

    terminal.keys("C-c")  # drops the line
    terminal.wait_for("Ctrl-C again (or Ctrl-D) to leave")
    assert terminal.alive()
    terminal.keys("C-c")
    deadline = time.monotonic() + 10
    while terminal.alive():
        assert time.monotonic() < deadline, "a second Ctrl-C did not leave"
        time.sleep(0.1)
    assert (tmp_path / "data" / "console_history").read_text().count("!kc post Hallo | wereld") >= 1
