"""`kenniscafe outbox`: what waits for delivery, what failed or expired, and why."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Settings, parse_duration
from storage.engine import Database
from storage.repositories.outbox import EXPIRED, FAILED, PENDING, OutboxEntry, SqlOutbox

_STATE_NAMES = {PENDING: "waiting", FAILED: "failed", EXPIRED: "expired"}


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe(entry: OutboxEntry) -> list[str]:
    """Two lines for one outbox row: what and to whom, then why it is where it is."""
    state = _STATE_NAMES.get(entry.status, entry.status)
    head = f"#{entry.id}  {state:<7}  {entry.platform} {entry.kind} to {entry.to}  ({entry.attempts} attempts)"
    if entry.status == PENDING:
        detail = f"next try {_when(entry.next_attempt_at)}, expires {_when(entry.expires_at)}"
    else:
        detail = f"since {_when(entry.finished_at or entry.expires_at)}"
    reason = f"; last error: {entry.last_error}" if entry.last_error else ""
    return [head, f"      {detail}{reason}", f"      “{entry.preview}”"]


async def show_outbox(settings: Settings, *, failed_only: bool, retry: int | None) -> int:
    """Print the outbox (or re-queue one row); the exit status."""
    db = Database(settings.bot.database)
    try:
        await db.migrate()
        outbox = SqlOutbox(db)
        if retry is not None:
            now = datetime.now(UTC)
            if await outbox.requeue(retry, now, parse_duration(settings.bot.delivery_expiry)):
                print(f"#{retry} is queued again; the running bot sends it shortly.")
                return 0
            print(f"#{retry} is not a failed or expired message; `kenniscafe outbox` lists them.")
            return 1
        counts = await outbox.counts()
        summary = ", ".join(f"{counts.get(status, 0)} {name}" for status, name in
                            (*_STATE_NAMES.items(), ("sent", "sent (kept a week)")))
        print(f"Outbox: {summary}.")
        statuses = [FAILED, EXPIRED] if failed_only else [PENDING, FAILED, EXPIRED]
        entries = await outbox.entries(statuses)
        for entry in entries:
            print("\n".join(describe(entry)))
        if not entries:
            print("Nothing failed or expired." if failed_only else "Nothing waits, failed or expired.")
        return 0
    finally:
        await db.dispose()
