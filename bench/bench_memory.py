"""Peak memory of the running bot on the 200k-post search database.

The real ``kenniscafe console`` runs in its own process on the search
benchmark's database and answers a scripted session (searches with common
and rare words, posts, shows, recent, tags); its peak resident set (the
kernel's ``ru_maxrss`` for that child) is the figure. Baseline, same run:
the same session on an empty database, so the database's share is visible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_search import database_for_rss
from bench.common import REPO_ROOT, Result, warm_file

LIMIT_MB = 120
SESSION_WORDS = ["de", "het", "koffie", "kennis", "en", "van", "team", "meeting", "agile", "data",
                 "de koffie", "het team", "van de", "kennis delen", "project plan"]


SENTINEL = "zzsessionendzz"


def _session() -> str:
    lines = [f"!kc search {words}" for words in SESSION_WORDS * 3]
    lines += [f"!kc post Memory check {i} | het team deelt kennis over koffie #bench" for i in range(20)]
    lines += ["!kc show #1", "!kc recent", "!kc tags", "!kc help", "!kc events", f"!kc search {SENTINEL}"]
    return "\n".join(lines) + "\n"


def peak_rss_mb(db: Path) -> float:
    """Run the console on ``db`` through the scripted session; its peak RSS in MB.

    Read from the kernel's high-water mark (VmHWM) once the last answer is
    out and before the process ends: the rusage of a child would also count
    the pages it shared with this (large) benchmark process before exec."""
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "console", "--db", str(db), "--as", "rene"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=db.parent,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(_session().encode())
    process.stdin.flush()
    for line in process.stdout:
        if SENTINEL.encode() in line and b"bot:" in line:
            break
    status = Path(f"/proc/{process.pid}/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    process.stdin.close()
    process.stdout.read()
    assert process.wait() == 0, process.stderr.read().decode() if process.stderr else ""
    return peak_kb / 1024


def run(quick: bool) -> list[Result]:
    """Peak RSS of the bot on the big database, beside the same on an empty one."""
    with tempfile.TemporaryDirectory(prefix="kc-rss-") as folder:
        big = Path(folder) / "big.db"
        # A copy: the session writes posts, and the cached database stays as built.
        shutil.copyfile(database_for_rss(quick), big)
        warm_file(big)
        ours = peak_rss_mb(big)
        empty = peak_rss_mb(Path(folder) / "empty.db")
    return [
        Result("peak RSS of the running bot on the search database", ours, "MB",
               {"same session, empty database": empty}, target=f"< {LIMIT_MB}", passed=ours < LIMIT_MB,
               note=f"{len(SESSION_WORDS) * 3} searches, 20 posts and lists through `kenniscafe console`"),
    ]
