"""The deliverer: drains the outbox through the platforms' messengers.

Rows arrive two ways: handed over right after the transaction that stored
them committed (the fast path: no second trip to the database), and by a
poll that leases due rows nobody holds (rows of other processes that died,
rows whose retry is due after a restart). Each lane (a room, or the DMs to
one user) is delivered in order by one worker; lanes run side by side, at
most :attr:`Deliverer.concurrency` sends at a time, so one busy room never
holds up another.

A send that fails for a reason that may pass (rate limit, 5xx, timeout,
connection) is retried with backoff (the platform's Retry-After when it
gives one) and holds up only its own lane; a permanent failure fails that
row alone, with the reason stored. A row whose time is up is marked expired.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

from bot.incoming import MessageRef
from bot.observe import NO_OBSERVER, Observer
from bot.outgoing import DeliveryFailed, Queued
from bot.ports import Clock, Messenger, Outbox

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
RENEW_SECONDS = 20.0
MAINTENANCE_SECONDS = 600.0
CLAIM_BATCH = 200
# An unexpected error (a bug in an adapter, say) is retried this many times, then the row fails.
UNEXPECTED_ATTEMPTS = 5
MAX_BACKOFF_SECONDS = 60.0
SEND_TIMEOUT_SECONDS = 120.0


def backoff(attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1, 2, 4 … 60, with jitter)."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempt - 1)) * random.uniform(0.75, 1.0)


@dataclass(eq=False)
class _Lane:
    """The rows of one lane this process holds, oldest first."""

    name: str
    rows: list[Queued] = field(default_factory=list)
    worker: asyncio.Task[None] | None = None


class Deliverer:
    """Drains the outbox for the platforms whose messengers are attached."""

    def __init__(self, outbox: Outbox, clock: Clock, *, concurrency: int = 16,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.outbox = outbox
        self.clock = clock
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        # Told of each send and failure (metrics; see bot/observe.py).
        self.observer: Observer = NO_OBSERVER
        self._messengers: dict[str, Messenger] = {}
        self._lanes: dict[str, _Lane] = {}
        self._held: dict[int, Queued] = {}
        self._settled: dict[int, asyncio.Future[str]] = {}
        self._sends = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._background: list[asyncio.Task[None]] = []
        self._marking: set[asyncio.Task[None]] = set()

    # -- wiring --------------------------------------------------------------

    def attach(self, messenger: Messenger) -> None:
        """Deliver this platform's rows (from now on, and those waiting)."""
        self._messengers[messenger.platform] = messenger
        self.outbox.served.add(messenger.platform)
        self._wake.set()

    async def detach(self, platform: str, grace: float = 3.0) -> None:
        """Stop delivering ``platform``'s rows (another process serves it
        now): rows stored from now on are left for that process's poll, each
        lane's send in flight gets ``grace`` seconds, and every row of the
        platform still held is handed back for the other process to take."""
        if self._messengers.pop(platform, None) is None:
            return
        self.outbox.served.discard(platform)
        self._wake.set()  # lanes pausing before a retry look up and end
        lanes = [lane for lane in self._lanes.values() if lane.rows and lane.rows[0].platform == platform]
        await _wind_down([lane.worker for lane in lanes if lane.worker is not None], grace)
        left = [row for lane in lanes for row in lane.rows]
        for lane in lanes:
            lane.rows.clear()
            self._lanes.pop(lane.name, None)
        await self._hand_back([row.id for row in left])
        for row in left:
            self._let_go(row, "pending")

    async def _hand_back(self, ids: list[int]) -> None:
        if ids:
            try:
                await self.outbox.release(ids)
            except Exception:
                log.exception("could not release %d outbox rows; they wait for their lease to lapse", len(ids))

    async def start(self) -> None:
        """Free leases of processes that died here, then poll and keep leases fresh."""
        try:
            freed = await self.outbox.reclaim_abandoned()
            if freed:
                log.info("took over %d outbox rows of a process that is gone", freed)
        except Exception:
            log.exception("could not look for abandoned outbox rows")
        self._background = [asyncio.ensure_future(self._poll()), asyncio.ensure_future(self._renew()),
                            asyncio.ensure_future(self._maintain())]

    async def stop(self, grace: float = 3.0) -> None:
        """Take no new rows; give sends in flight ``grace`` seconds, cancel the
        rest, and release every row still held so the next start takes it."""
        self._stopping = True
        self._wake.set()
        for task in self._background:
            task.cancel()
        await _wind_down([lane.worker for lane in self._lanes.values() if lane.worker is not None], grace)
        await asyncio.gather(*self._background, *self._marking, return_exceptions=True)
        await self._hand_back(list(self._held))
        for future in self._settled.values():
            if not future.done():
                future.set_result("pending")

    # -- the fast path ---------------------------------------------------------

    def accept(self, rows: Iterable[Queued]) -> None:
        """Take rows just stored (and leased to this process) for delivery."""
        unserved = []
        for row in rows:
            if row.platform not in self._messengers:
                unserved.append(row.id)
            elif row.id not in self._held and not self._stopping:
                self._hold(row)
        if unserved and not self._stopping:
            # Leased when stored, but the platform was detached meanwhile: hand
            # them back at once rather than leave them to a lapsing lease.
            task = asyncio.ensure_future(self._hand_back(unserved))
            self._marking.add(task)
            task.add_done_callback(self._marking.discard)

    async def settled(self, ids: Sequence[int]) -> list[str]:
        """Wait until these rows are delivered, failed or expired (or handed
        back at shutdown); their final states. Rows this process does not
        hold are not waited for."""
        futures = [self._settled[i] for i in ids if i in self._settled]
        return list(await asyncio.gather(*futures))

    async def idle(self) -> None:
        """Wait until this process holds no row."""
        await self._idle.wait()

    # -- lanes -----------------------------------------------------------------

    def _hold(self, row: Queued) -> None:
        self._held[row.id] = row
        self._idle.clear()
        self._settled.setdefault(row.id, asyncio.get_running_loop().create_future())
        lane = self._lanes.get(row.message.lane)
        if lane is None:
            lane = self._lanes[row.message.lane] = _Lane(row.message.lane)
        # In id order: a row taken over by the poll may be older than rows in
        # hand (the head, possibly in flight, stays first).
        if not lane.rows or lane.rows[-1].id < row.id:
            lane.rows.append(row)
        else:
            head = 1 if lane.worker is not None else 0
            lane.rows.insert(bisect.bisect([r.id for r in lane.rows], row.id, lo=head), row)
        if lane.worker is None:
            lane.worker = asyncio.ensure_future(self._work(lane))

    async def _work(self, lane: _Lane) -> None:
        try:
            while lane.rows and not self._stopping and lane.rows[0].platform in self._messengers:
                row = lane.rows[0]
                retry_in = await self._attempt(row)
                if retry_in is None:
                    lane.rows.pop(0)
                    continue
                row = lane.rows[0] = _retried(row)
                await self._pause(retry_in, row.platform)
        finally:
            lane.worker = None
            if not lane.rows:
                self._lanes.pop(lane.name, None)

    def _let_go(self, row: Queued, state: str) -> None:
        self._held.pop(row.id, None)
        future = self._settled.pop(row.id, None)
        if future is not None and not future.done():
            future.set_result(state)
        if not self._held:
            self._idle.set()

    def _mark_sent(self, row: Queued, refs: list[MessageRef]) -> None:
        """Record a delivery without holding up the lane: the next message
        goes out meanwhile, and marks made close together share a commit.
        The row counts as held (and its lease is renewed) until recorded."""
        async def mark() -> None:
            await self._record(self.outbox.sent(row, refs, self.clock.now()))
            self._let_go(row, "done")

        task = asyncio.ensure_future(mark())
        self._marking.add(task)
        task.add_done_callback(self._marking.discard)

    async def _attempt(self, row: Queued) -> float | None:
        """Try to deliver ``row`` once; None when it is finished (sent,
        failed or expired), else the seconds to wait before trying again."""
        now = self.clock.now()
        if now >= row.expires_at:
            log.warning("outbox row %s expired undelivered (%s)", row.id, row.message.lane)
            self.observer.send_failed(row.platform, "expired")
            await self._finish(row, "expired", None)
            return None
        messenger = self._messengers[row.platform]
        try:
            async with self._sends:
                refs: list[MessageRef] = await asyncio.wait_for(messenger.deliver(row), SEND_TIMEOUT_SECONDS)
        except DeliveryFailed as failure:
            self.observer.send_failed(row.platform, "permanent" if failure.permanent else "transient")
            if failure.permanent:
                log.warning("outbox row %s failed for good: %s", row.id, failure.reason)
                await self._finish(row, "failed", failure.reason)
                return None
            delay = failure.retry_after if failure.retry_after is not None else backoff(row.attempts + 1)
            return await self._later(row, failure.reason, delay)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            gives_up = row.attempts + 1 >= UNEXPECTED_ATTEMPTS
            self.observer.send_failed(row.platform, "permanent" if gives_up else "transient")
            if gives_up:
                log.exception("outbox row %s failed %d times; giving up", row.id, UNEXPECTED_ATTEMPTS)
                await self._finish(_retried(row), "failed", reason)
                return None
            log.warning("outbox row %s: unexpected error, will retry: %s", row.id, reason)
            return await self._later(row, reason, backoff(row.attempts + 1))
        self.observer.sent(row.platform)
        self._mark_sent(row, refs)
        return None

    async def _finish(self, row: Queued, status: str, reason: str | None) -> None:
        await self._record(self.outbox.finish(row, status, reason, self.clock.now()))
        self._let_go(row, "done")

    async def _later(self, row: Queued, reason: str, delay: float) -> float:
        log.info("outbox row %s not delivered (%s); retrying in %.1f s", row.id, reason, delay)
        at = self.clock.now() + timedelta(seconds=delay)
        await self._record(self.outbox.retry_later(_retried(row), reason, at))
        return delay

    async def _record(self, work: object) -> None:
        """Write a row's new state. The send already happened: a failure here
        must not resend it now (the lease lapses and a restart decides)."""
        try:
            await work  # type: ignore[misc]
        except Exception:
            log.exception("could not record the outcome of an outbox row")

    async def _pause(self, seconds: float, platform: str) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopped(platform), timeout=seconds)

    async def _stopped(self, platform: str) -> None:
        """Return when the deliverer stops, or stops serving ``platform``."""
        while not self._stopping and platform in self._messengers:
            self._wake.clear()
            await self._wake.wait()

    # -- background ------------------------------------------------------------

    async def _poll(self) -> None:
        while not self._stopping:
            try:
                rows = await self.outbox.claim(list(self._messengers), self.clock.now(), CLAIM_BATCH)
                # A platform detached while the claim ran: its rows go back.
                await self._hand_back([row.id for row in rows if row.platform not in self._messengers])
                for row in rows:
                    if row.id not in self._held and row.platform in self._messengers:
                        self._hold(row)
            except Exception:
                log.exception("polling the outbox failed; trying again")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                await self.outbox.renew(list(self._held), self.clock.now())
            except Exception:
                log.exception("could not renew outbox leases")

    async def _maintain(self) -> None:
        while True:
            try:
                now = self.clock.now()
                expired = await self.outbox.expire_overdue(now)
                if expired:
                    log.warning("%d outbox rows expired undelivered (see `kenniscafe outbox --failed`)", expired)
                await self.outbox.prune(now)
            except Exception:
                log.exception("outbox maintenance failed")
            await asyncio.sleep(MAINTENANCE_SECONDS)


async def _wind_down(workers: list[asyncio.Task[None]], grace: float) -> None:
    """Give lane workers ``grace`` seconds to finish their sends, then cancel them."""
    if workers:
        _, pending = await asyncio.wait(workers, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _retried(row: Queued) -> Queued:
    return Queued(row.id, row.message, row.attempts + 1, row.expires_at)

