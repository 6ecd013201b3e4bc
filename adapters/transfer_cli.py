"""`kenniscafe export` and `kenniscafe import`: a community to and from files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.config import Settings
from bot.exportfile import as_csv, as_json
from storage.engine import Database, printable_url
from storage.transfer import TransferRefused, export_community, import_community


async def export_to(settings: Settings, community: str | None, out: Path | None, csv_dir: Path | None) -> int:
    """Write the export; the exit status."""
    db = Database(settings.bot.database)
    try:
        await db.migrate()
        document = await export_community(db, name=community)
    except TransferRefused as refused:
        print(f"kenniscafe: {refused}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    text = as_json(document) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        out.chmod(0o600)  # it holds personal data
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for filename, content in as_csv(document).items():
            (csv_dir / filename).write_text(content, encoding="utf-8")
    where = f" to {out}" if out is not None else ""
    print(f"Exported {document['community']['name']}: {len(document['members'])} members, "
          f"{len(document['posts'])} posts, {len(document['events'])} coffee tables{where}.", file=sys.stderr)
    return 0


async def import_from(settings: Settings, file: Path) -> int:
    """Read an export into the (empty) database; the exit status."""
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as problem:
        print(f"kenniscafe: cannot read {file}: {problem}", file=sys.stderr)
        return 1
    if not isinstance(document, dict):
        print(f"kenniscafe: {file} is not a Kenniscafé export.", file=sys.stderr)
        return 1
    db = Database(settings.bot.database)
    try:
        await db.migrate()
        name = await import_community(db, document)
    except TransferRefused as refused:
        print(f"kenniscafe: {refused}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"Imported {name} into {printable_url(settings.bot.database)}.")
    return 0
