"""The benchmarks still run: ``bench/run.py --quick`` end to end.

Quick mode builds tiny data (seconds), so this only proves every benchmark
and the report still work; the figures themselves come from full runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_of_every_benchmark(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--output", str(report),
         "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(path.stem.removeprefix("bench_") for path in (ROOT / "bench").glob("bench_*.py"))
    assert names, "no benchmarks found"
    for name in names:
        assert f"== {name} (quick)" in result.stdout, name
    written = report.read_text(encoding="utf-8")
    for name in names:
        assert f"## {name}" in written, name
    assert "| figure | ours |" in written
    # The real report is only rewritten by full runs.
    assert "wrote " + str(report) in result.stdout
