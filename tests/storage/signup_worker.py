"""A second process for the concurrency test: joins members to an event at
once and prints each outcome as a JSON line. Not a test module."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from storage.engine import Database, sqlite_url_for_path
from storage.repositories.events import SqlEvents


async def main(url: str, community_id: int, number: int, member_ids: list[int]) -> None:
    db = Database(url)
    events = SqlEvents(db)
    now = datetime.now(UTC)
    results = await asyncio.gather(*(events.join(community_id, number, m, now) for m in member_ids))
    await db.dispose()
    for member_id, result in zip(member_ids, results, strict=True):
        print(json.dumps({"member": member_id, "outcome": result.outcome, "position": result.position}))


if __name__ == "__main__":
    target, community, event_number, *members = sys.argv[1:]
    url = target if "://" in target else sqlite_url_for_path(target)
    asyncio.run(main(url, int(community), int(event_number), [int(m) for m in members]))
