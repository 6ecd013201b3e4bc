"""Run every benchmark in bench/ and record the results in BENCHMARKS.md.

    python bench/run.py                 # full size; rewrites BENCHMARKS.md
    python bench/run.py --quick         # smoke size: proves they still run
    python bench/run.py --only search   # one benchmark (bench_search.py)
    python bench/run.py --output FILE   # write the report elsewhere

Benchmarks are the modules ``bench/bench_*.py``; each has ``run(quick) ->
list[Result]``. Every figure is printed beside its baselines, measured in
the same run. Exit status: 0 when every benchmark ran and (full size) met
its targets, 1 when a target was missed, 2 when a benchmark crashed.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository importable (bench.*, storage.*).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_DIR, CACHE_ENV, REPO_ROOT, Result, machine_info


def discover() -> list[str]:
    """Names of the benchmarks, from the files bench/bench_<name>.py."""
    return sorted(path.stem.removeprefix("bench_") for path in BENCH_DIR.glob("bench_*.py"))


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "–"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _table(items: list[Result]) -> tuple[list[str], list[list[str]]]:
    """One benchmark's results: a column for ours and one per baseline."""
    baseline_names: list[str] = []
    for result in items:
        for name in result.baselines:
            if name not in baseline_names:
                baseline_names.append(name)
    header = ["figure", "ours", *baseline_names, "unit", "target", "pass"]
    rows = []
    for result in items:
        verdict = "" if result.passed is None else ("yes" if result.passed else "NO")
        rows.append(
            [
                result.name,
                _fmt(result.value),
                *[_fmt(result.baselines.get(name, math.nan)) for name in baseline_names],
                result.unit,
                result.target or "",
                verdict,
            ]
        )
    return header, rows


_TEXT_COLUMNS = ("figure", "unit", "target", "pass")


def text_table(items: list[Result]) -> str:
    header, rows = _table(items)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if header[i] in _TEXT_COLUMNS else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def markdown(results: dict[str, list[Result]], *, quick: bool, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by `python bench/run.py"
        + (" --quick`" if quick else "`")
        + f" in {seconds:.0f} s. Every figure of ours stands beside its baselines, measured"
        " in the same run on the same data. Each full run rewrites this file.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine_info().items()),
        "",
    ]
    for bench, items in results.items():
        header, rows = _table(items)
        lines += [
            f"## {bench}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" if name in _TEXT_COLUMNS else "---:" for name in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
        ]
        notes = [f"- {r.name}: {r.note}" for r in items if r.note]
        if notes:
            lines += [*notes, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny smoke size (seconds), targets not enforced")
    parser.add_argument("--only", metavar="NAME", help="run one benchmark (bench_NAME.py)")
    parser.add_argument("--output", metavar="PATH", type=Path, help="report file (default: BENCHMARKS.md)")
    parser.add_argument("--cache-dir", metavar="PATH", type=Path, help="built data (default: bench/.cache)")
    args = parser.parse_args(argv)

    if args.cache_dir is not None:
        os.environ[CACHE_ENV] = str(args.cache_dir)
    names = discover()
    if args.only is not None:
        only = args.only.removeprefix("bench_").removesuffix(".py")
        if only not in names:
            parser.error(f"no benchmark {args.only!r}; there are: {', '.join(names)}")
        names = [only]

    started = time.perf_counter()
    results: dict[str, list[Result]] = {}
    crashed = False
    for name in names:
        print(f"== {name} ({'quick' if args.quick else 'full'})", flush=True)
        try:
            module = importlib.import_module(f"bench.bench_{name}")
            results[name] = list(module.run(args.quick))
        except Exception:  # noqa: BLE001 - report, carry on with the others
            traceback.print_exc()
            crashed = True
            continue
        for result in results[name]:
            beside = ", ".join(f"{k} {_fmt(v)}" for k, v in result.baselines.items())
            print(f"   {result.name}: {_fmt(result.value)} {result.unit}" + (f"  (vs {beside})" if beside else ""))
    seconds = time.perf_counter() - started

    for name, items in results.items():
        print(f"\n{name}\n{text_table(items)}")
    output = args.output
    if output is None and args.only is None and not args.quick:
        output = REPO_ROOT / "BENCHMARKS.md"
    if output is not None:
        output.write_text(markdown(results, quick=args.quick, seconds=seconds), encoding="utf-8")
        print(f"\nwrote {output}")
    elif args.only or args.quick:
        print("\n(BENCHMARKS.md left alone: partial or quick run; use --output to write a report)")
    missed = [
        f"{bench}: {r.name}" for bench, items in results.items() for r in items if r.passed is False
    ]
    if crashed:
        return 2
    if missed and not args.quick:
        print("missed targets: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
