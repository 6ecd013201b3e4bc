"""The outbox on the database: messages stored with the decision that caused
them, then held, sent, retried, failed or expired by a deliverer.

A deliverer holds a row with a lease (``lease_owner`` until ``lease_until``)
so two processes never deliver the same row at once. Sent rows are marked
in groups: while one marking transaction waits for or holds the write lock,
the next marks gather for one transaction of their own, so a busy outbox
costs one commit per group rather than one per message. Rows this process
stores for a platform it delivers are leased to it from the start: they go
straight to its deliverer, with no second trip to the database. A process
that died leaves leases behind; they lapse after :data:`LEASE`, or at once
when a process on the same host sees that the owner's pid is gone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select

from bot.domain import Anchor
from bot.incoming import MessageRef
from bot.outgoing import Attachment, Kind, Outgoing, Queued
from bot.richtext import document_from_json, document_to_json, render_plain
from storage.engine import Database
from storage.models import OutboxMessage
from storage.sql import Sql, stamp

LEASE = timedelta(seconds=60)
# How long a mark waits for others to share its commit: invisible to readers
# (the message is out), and the longest a Slack message could be repeated
# by a crash right after it was sent, beyond the commit itself.
MARK_GATHER_SECONDS = 0.005
# Delivered rows are kept this long (for `kenniscafe outbox` and debugging), then pruned.
KEEP_SENT = timedelta(days=7)
KEEP_FINISHED = timedelta(days=30)
PENDING, SENT, FAILED, EXPIRED = "pending", "sent", "failed", "expired"


def process_owner() -> str:
    """This process's lease name: host, pid and a token for this start."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row as `kenniscafe outbox` lists it."""

    id: int
    status: str
    platform: str
    kind: str
    to: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    last_error: str | None
    preview: str


class SqlOutbox:
    """The Outbox port on the database."""

    def __init__(self, db: Database, *, owner: str | None = None) -> None:
        self.db = db
        self.owner = owner or process_owner()
        self.served: set[str] = set()  # platforms this process's deliverer sends on
        self._marks: list[tuple[Queued, tuple[MessageRef, ...], datetime, asyncio.Future[None]]] = []
        self._marking: asyncio.Task[None] | None = None

    # -- storing -------------------------------------------------------------

    async def enqueue(self, messages: Sequence[Outgoing], now: datetime, keep_for: timedelta) -> list[Queued]:
        """Store messages in the caller's transaction (a unit of work); those
        whose key is already stored are left out. Rows for platforms this
        process serves come back leased to it."""
        if not messages:
            return []
        stored: list[Queued] = []
        async with self.db.write() as session:
            sql = await Sql.of(session)
            for message in messages:
                expires_at = message.expires_at or now + keep_for
                leased = message.platform in self.served
                values = _row_values(message)
                values.update(created_at=stamp(session, now), next_attempt_at=stamp(session, now),
                              expires_at=stamp(session, expires_at), lease_owner=self.owner if leased else None,
                              lease_until=stamp(session, now + LEASE) if leased else None)
                inserted = await sql.all(_INSERT, values)
                if inserted and leased:
                    stored.append(Queued(int(inserted[0][0]), message, 0, expires_at))
        return stored

    # -- delivering ----------------------------------------------------------

    async def claim(self, platforms: Iterable[str], now: datetime, limit: int) -> list[Queued]:
        """Lease up to ``limit`` due rows of ``platforms`` nobody holds, oldest first."""
        platforms = list(platforms)
        if not platforms:
            return []
        async with self.db.write() as session:
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.status) == PENDING, col(OutboxMessage.platform).in_(platforms),
                       col(OutboxMessage.next_attempt_at) <= now,
                       or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now))
                .order_by(col(OutboxMessage.id))
                .limit(limit)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.execute(query)).scalars())
            if rows:
                await session.execute(
                    update(OutboxMessage).where(col(OutboxMessage.id).in_([r.id for r in rows]))
                    .values(lease_owner=self.owner, lease_until=now + LEASE)
                )
            return [_queued(row) for row in rows]

    async def renew(self, ids: Sequence[int], now: datetime) -> None:
        """Extend this process's leases on rows it still holds."""
        if ids:
            async with self.db.write() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(list(ids)), col(OutboxMessage.lease_owner) == self.owner)
                    .values(lease_until=now + LEASE)
                )

    async def sent(self, queued: Queued, refs: Sequence[MessageRef], now: datetime) -> None:
        """Delivered: remember the platform's message ids, and what they stand
        for. Marked together with whatever else was delivered meanwhile."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks.append((queued, tuple(refs), now, done))
        if self._marking is None:
            self._marking = asyncio.ensure_future(self._mark_all())
        await done

    async def _mark_all(self) -> None:
        try:
            # A moment for the deliveries finishing now to join this group.
            await asyncio.sleep(MARK_GATHER_SECONDS)
            while self._marks:
                batch, self._marks = self._marks, []
                try:
                    async with self.db.write() as session:
                        sql = await Sql.of(session)
                        await sql.many(_MARK_SENT, [
                            {"id": queued.id, "at": stamp(session, now), "attempts": queued.attempts + 1,
                             "ref": refs[0].message_id if refs else None}
                            for queued, refs, now, _ in batch
                        ])
                        await sql.many(_ANCHOR, [
                            {"platform": ref.room.platform, "room": ref.room.room_id, "message": ref.message_id,
                             "post": queued.message.anchor.post_id, "event": queued.message.anchor.event_id,
                             "at": stamp(session, now)}
                            for queued, refs, now, _ in batch if queued.message.anchor is not None for ref in refs
                        ])
                except Exception as error:  # noqa: BLE001 - every waiter of the group learns of it
                    for *_, done in batch:
                        if not done.done():
                            done.set_exception(error)
                    continue
                for *_, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._marking = None

    async def retry_later(self, queued: Queued, error: str, at: datetime) -> None:
        """Not delivered this time: say why, and when to try again."""
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == queued.id)
                .values(attempts=queued.attempts, last_error=error[:2000], next_attempt_at=at)
            )

    async def finish(self, queued: Queued, status: str, error: str | None, now: datetime) -> None:
        """Failed for good or expired: the row stays, with the reason (without
        one, the last error seen), for `kenniscafe outbox`."""
        reason = func.coalesce(error[:2000] if error else None, col(OutboxMessage.last_error), "not delivered in time")
        async with self.db.write() as session:
            await session.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == queued.id)
                .values(status=status, last_error=reason, finished_at=now, attempts=queued.attempts,
                        lease_owner=None, lease_until=None)
            )

    async def release(self, ids: Sequence[int]) -> None:
        """Give rows back (on shutdown), so the next start takes them at once."""
        if ids:
            async with self.db.write() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(list(ids)), col(OutboxMessage.lease_owner) == self.owner)
                    .values(lease_owner=None, lease_until=None)
                )

    async def reclaim_abandoned(self) -> int:
        """Free the leases of processes on this host that are gone (a crash or
        a kill), so their rows need not wait for the lease to lapse."""
        host = socket.gethostname()
        async with self.db.read() as session:
            owners = list((await session.execute(
                select(OutboxMessage.lease_owner).distinct()
                .where(col(OutboxMessage.status) == PENDING, col(OutboxMessage.lease_owner).is_not(None))
            )).scalars())
        gone = [owner for owner in owners if owner is not None and _gone(owner, host, self.owner)]
        if not gone:
            return 0
        async with self.db.write() as session:
            result = await session.execute(
                update(OutboxMessage).where(col(OutboxMessage.lease_owner).in_(gone))
                .values(lease_owner=None, lease_until=None)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def take_over(self, platform: str) -> int:
        """Free the leases other processes hold on ``platform``'s waiting rows
        (a new leader's start: the process that served the platform before
        died or stepped down), so this process's poll takes them at once
        instead of after their lease lapses. Only for a platform whose sends
        are idempotent: should the former holder still be alive and send a
        row, a repeated send must be harmless (Matrix: the transaction id
        comes from the row, and the login is shared)."""
        async with self.db.write() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == PENDING, col(OutboxMessage.platform) == platform,
                       col(OutboxMessage.lease_owner).is_not(None), col(OutboxMessage.lease_owner) != self.owner)
                .values(lease_owner=None, lease_until=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def expire_overdue(self, now: datetime) -> int:
        """Rows nobody holds whose time has passed become expired (never silently dropped)."""
        async with self.db.write() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == PENDING, col(OutboxMessage.expires_at) <= now,
                       or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now))
                .values(status=EXPIRED, finished_at=now, lease_owner=None, lease_until=None,
                        last_error=func.coalesce(col(OutboxMessage.last_error), "not delivered in time"))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def prune(self, now: datetime) -> int:
        """Forget delivered rows after a week, failed and expired ones after a month."""
        async with self.db.write() as session:
            result = await session.execute(
                delete(OutboxMessage).where(or_(
                    (col(OutboxMessage.status) == SENT) & (col(OutboxMessage.finished_at) < now - KEEP_SENT),
                    col(OutboxMessage.status).in_((FAILED, EXPIRED))
                    & (col(OutboxMessage.finished_at) < now - KEEP_FINISHED),
                ))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # -- operators -------------------------------------------------------------

    async def entries(self, statuses: Sequence[str], limit: int = 200) -> list[OutboxEntry]:
        """Rows in these states, oldest first, for `kenniscafe outbox`."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(OutboxMessage).where(col(OutboxMessage.status).in_(list(statuses)))
                .order_by(col(OutboxMessage.id)).limit(limit)
            )).scalars().all()
        return [_entry(row) for row in rows]

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
            )
            return {status: int(n) for status, n in rows}

    async def requeue(self, row_id: int, now: datetime, keep_for: timedelta) -> bool:
        """Send a failed or expired row again (from now, with a fresh expiry)."""
        async with self.db.write() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status).in_((FAILED, EXPIRED)))
                .values(status=PENDING, attempts=0, next_attempt_at=now, expires_at=now + keep_for,
                        finished_at=None, lease_owner=None, lease_until=None)
            )
            return bool(getattr(result, "rowcount", 0))


_COLUMNS = ("key", "platform", "kind", "lane", "room_id", "user_id", "reply_to", "thread_root", "target",
            "reply_handle", "document", "attachment_name", "attachment_type", "attachment", "anchor_post_id",
            "anchor_event_id", "status", "attempts", "created_at", "next_attempt_at", "expires_at", "lease_owner",
            "lease_until")
# Raw SQL on the hot paths: SQLAlchemy's statement handling costs more than SQLite's work here.
_INSERT = (f"INSERT INTO outboxmessage ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
           "ON CONFLICT (key) DO NOTHING RETURNING id")
_MARK_SENT = ("UPDATE outboxmessage SET status = 'sent', finished_at = :at, sent_ref = :ref, attempts = :attempts, "
              "lease_owner = NULL, lease_until = NULL WHERE id = :id")
_ANCHOR = ("INSERT INTO messageanchor (platform, room_external_id, message_id, post_id, event_id, created_at) "
           "VALUES (:platform, :room, :message, :post, :event, :at) "
           "ON CONFLICT (platform, room_external_id, message_id) DO NOTHING")


def _row_values(message: Outgoing) -> dict[str, Any]:
    """The columns of a new row, but for its timestamps and lease."""
    attachment = message.attachment
    anchor = message.anchor
    return {
        "key": message.key, "platform": message.platform, "kind": message.kind.value, "lane": message.lane,
        "room_id": message.room_id, "user_id": message.user_id, "reply_to": message.reply_to,
        "thread_root": message.thread_root, "target": message.target, "reply_handle": message.reply_handle,
        "document": document_to_json(message.doc),
        "attachment_name": attachment.filename if attachment else None,
        "attachment_type": attachment.mimetype if attachment else None,
        "attachment": attachment.content if attachment else None,
        "anchor_post_id": anchor.post_id if anchor else None,
        "anchor_event_id": anchor.event_id if anchor else None,
        "status": PENDING, "attempts": 0,
    }


def _queued(row: OutboxMessage) -> Queued:
    assert row.id is not None
    attachment = None
    if row.attachment is not None and row.attachment_name and row.attachment_type:
        attachment = Attachment(row.attachment_name, row.attachment, row.attachment_type)
    anchor = None
    if row.anchor_post_id is not None or row.anchor_event_id is not None:
        anchor = Anchor(post_id=row.anchor_post_id, event_id=row.anchor_event_id)
    message = Outgoing(
        platform=row.platform, kind=Kind(row.kind), doc=document_from_json(row.document), room_id=row.room_id,
        user_id=row.user_id, reply_to=row.reply_to, thread_root=row.thread_root, target=row.target,
        attachment=attachment, anchor=anchor, reply_handle=row.reply_handle, key=row.key,
        expires_at=_aware(row.expires_at),
    )
    return Queued(row.id, message, row.attempts, _aware(row.expires_at))


def _entry(row: OutboxMessage) -> OutboxEntry:
    assert row.id is not None
    preview = render_plain(document_from_json(row.document)).replace("\n", " ")
    return OutboxEntry(
        row.id, row.status, row.platform, row.kind, row.user_id or row.room_id or "?", row.attempts,
        _aware(row.created_at), _aware(row.next_attempt_at), _aware(row.expires_at),
        _aware(row.finished_at) if row.finished_at else None, row.last_error,
        preview[:80] + ("…" if len(preview) > 80 else ""),
    )


def _gone(owner: str, host: str, me: str) -> bool:
    """Whether the process behind a lease name is known to be gone."""
    owner_host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if owner_host != host or owner == me or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # an earlier start of this very pid (containers reuse pid 1)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
