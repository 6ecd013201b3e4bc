"""What every benchmark module shares: its result type and small helpers.

A benchmark module is ``bench/bench_<name>.py`` with ``run(quick: bool) ->
list[Result]``. ``quick`` is a smoke size (seconds) that only proves the
benchmark still runs; the full size is what BENCHMARKS.md reports. Each
result carries its baselines, measured in the same run on the same data,
so a figure is never compared with one taken on another day or machine.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

Query = TypeVar("Query")

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
# run.py sets this from --cache-dir; benchmarks keep built data there.
CACHE_ENV = "KENNISCAFE_BENCH_CACHE"


@dataclass(frozen=True)
class Result:
    """One measured figure of ours, beside the same figure for each baseline."""

    name: str
    value: float
    unit: str
    baselines: dict[str, float] = field(default_factory=dict)
    target: str | None = None  # e.g. "< 20", in ``unit``; None: informational
    passed: bool | None = None  # None when there is no target
    note: str = ""


def schema_key() -> str:
    """A short fingerprint of the migrations: a cached database built under
    other migrations is built again rather than read with a schema it lacks."""
    versions = sorted((REPO_ROOT / "storage" / "migrations" / "versions").glob("*.py"))
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in versions)).hexdigest()
    return digest[:10]


def cache_dir() -> Path:
    """Where benchmarks keep built data (gitignored), created on demand."""
    path = Path(os.environ.get(CACHE_ENV) or BENCH_DIR / ".cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q`` percentile (0-100) by the nearest-rank method."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def warm_file(path: Path) -> None:
    """Read a file once so the OS has it cached. This VM reclaims page cache
    aggressively; without this, whichever contender runs first pays for the
    disk reads. Every contender is measured on a warm cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 22):
            pass


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
    }


def time_statements(con: sqlite3.Connection, queries: Sequence[Query],
                    statement: Callable[[Query], tuple[str, tuple[Any, ...]]]) -> list[float]:
    """Milliseconds each query's SQL statement takes on a raw sqlite3
    connection, fetching every row: the baseline beside our own code."""
    timings = []
    for query in queries:
        sql, args = statement(query)
        started = time.perf_counter()
        con.execute(sql, args).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return timings
