"""`kenniscafe migrate-data`: every community into another database, with
a table of row counts on both sides as the proof."""

from __future__ import annotations

import sys

from storage.engine import printable_url
from storage.migrate_data import MigrationRefused, Moved, migrate_data


async def migrate_data_between(source: str, target: str) -> int:
    """Move the data, print the counts; the exit status (0 only when every
    count matches)."""
    try:
        moved = await migrate_data(source, target)
    except MigrationRefused as refused:
        print(f"kenniscafe: {refused}", file=sys.stderr)
        return 1
    print(counts_table(moved))
    names = ", ".join(moved.communities)
    communities = f"{len(moved.communities)} {'community' if len(moved.communities) == 1 else 'communities'}"
    if not moved.matches:
        differ = ", ".join(c.table for c in moved.counts if not c.matches)
        print(f"kenniscafe: the counts differ ({differ}): do not switch to {printable_url(target)}", file=sys.stderr)
        return 1
    print(f"Moved {communities} ({names}) from {printable_url(source)} to {printable_url(target)} "
          f"in {moved.seconds:.1f} s; every count matches.")
    return 0


def counts_table(moved: Moved) -> str:
    """One line per table: its rows on the source and on the target."""
    width = max(len(count.table) for count in moved.counts) + len(" (rebuilt)")
    lines = [f"{'table':<{width}}  {'source':>8}  {'target':>8}"]
    for count in moved.counts:
        name = count.table + (" (rebuilt)" if count.rebuilt else "")
        mark = "" if count.matches else "  DIFFERS"
        lines.append(f"{name:<{width}}  {count.source:>8}  {count.target:>8}{mark}")
    return "\n".join(lines)
