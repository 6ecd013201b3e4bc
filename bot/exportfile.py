"""An export as files: the JSON document, and one CSV per table, packed
in a zip to travel as one attachment."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

_NOT_TABLES = ("format", "version")


def as_json(document: Mapping[str, Any]) -> str:
    """The export as JSON text (keys in the export's order, readable)."""
    return json.dumps(document, ensure_ascii=False, indent=1)


def as_csv(document: Mapping[str, Any]) -> dict[str, str]:
    """One CSV text per table of the export, by file name (a table with no
    rows is a file with no lines)."""
    files = {}
    for name, value in document.items():
        if name in _NOT_TABLES:
            continue
        rows = [value] if isinstance(value, Mapping) else list(value)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else [])
        if rows:
            writer.writeheader()
            writer.writerows(rows)
        files[f"{name}.csv"] = out.getvalue()
    return files


def as_zip(document: Mapping[str, Any], stem: str) -> bytes:
    """``stem.json`` and ``csv/<table>.csv`` in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.json", as_json(document))
        for filename, text in as_csv(document).items():
            archive.writestr(f"csv/{filename}", text)
    return buffer.getvalue()
