"""One syncing process per Matrix account, however many processes run.

Several ``kenniscafe run`` processes may share one database and one config:
each serves Slack and runs the jobs (the outbox leases and the ledger keep
those exactly-once), but two processes syncing one Matrix account would each
see every event. An election (``storage/leadership.py``) picks the one that
syncs; the others stand by and take over when it is gone.

A term of leadership: log in (reusing the stored login), take the stored
sync position, take over the rows the former leader left leased in the
outbox, deliver the platform's rows, sync. Events that came while nobody
synced are in the sync from the stored position; those the former leader
handled but had not yet saved the position of are found claimed by their
event id, so each is answered once. A term ends when the adapter's loop
ends, when the election is lost (the lock connection failed: another
process may be syncing already, so this one stops at once) or at shutdown:
the adapter stops taking events and finishes the ones in hand, the
deliverer hands back its rows of the platform, the lock is let go last.

Nothing here knows Matrix but the name of the platform: the adapter is made
by the factory given, once per term (a stopped adapter does not start again).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Protocol

from adapters.startup import StartupError
from bot.delivery import Deliverer
from bot.ports import Messenger
from storage.leadership import RETRY_SECONDS, Election

log = logging.getLogger(__name__)

# Sends in flight when a term ends get this long before their rows are handed back.
HAND_OVER_SECONDS = 2.0
# A term that lost the election stops its sync within this long (the events in hand may finish).
LOST_STOP_SECONDS = 3.0
# A term whose adapter could not start waits this long (doubling) before the next try.
START_RETRY_SECONDS = (5.0, 60.0)


class SyncingAdapter(Messenger, Protocol):
    """What a term needs of the adapter it runs."""

    async def start(self) -> None: ...
    async def run(self) -> None: ...
    async def stop(self) -> None: ...
    async def close(self) -> None: ...


class Standby:
    """Runs an adapter only while this process leads its account's election;
    stands by otherwise. Offers the start/run/stop/close of an adapter to the
    composition root, and ``connected``/``leading`` to /healthz and /metrics."""

    def __init__(self, platform: str, account: str, make: Callable[[], SyncingAdapter], election: Election,
                 deliverer: Deliverer, take_over: Callable[[], Awaitable[int]], *,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        self.platform = platform
        self.account = account
        self.election = election
        self.retry_seconds = retry_seconds
        self._make = make
        self._deliverer = deliverer
        self._take_over = take_over
        self._term: SyncingAdapter | None = None  # the adapter of the term begun, until it ends
        self._leading = False  # the term's adapter runs and delivers
        self.terms = 0  # terms begun (for logs and tests)
        self._stopping = asyncio.Event()
        self._standing_since: float | None = None

    @property
    def leading(self) -> bool:
        """Whether this process syncs the account (and delivers its messages) now."""
        return self._leading

    @property
    def adapter(self) -> SyncingAdapter | None:
        """The adapter syncing now (None while standing by)."""
        return self._term if self._leading else None

    @property
    def connected(self) -> bool:
        """For /healthz: standing by is healthy (another process syncs);
        leading, as connected as the adapter says."""
        adapter = self.adapter
        return adapter is None or bool(getattr(adapter, "connected", True))

    async def start(self) -> None:
        """Try once to lead. A leader starts its adapter now, so a login the
        homeserver refuses (or a homeserver out of reach) ends the start with
        one line, as with a single process; a follower says it stands by."""
        if await self.election.try_lead():
            await self._begin()
        else:
            self._stand_by()

    async def run(self) -> None:
        """Lead while this process can, stand by while another does, until
        :meth:`stop`."""
        failures = 0
        try:
            while not self._stopping.is_set():
                if self._term is None:
                    # Stopped while the lock was being taken: the finally lets go of it.
                    if not await self._wait_to_lead() or self._stopping.is_set():
                        return
                    try:
                        await self._begin()
                    except Exception as error:  # noqa: BLE001 - Slack and the jobs keep running meanwhile
                        failures += 1
                        first, most = START_RETRY_SECONDS
                        delay = min(most, first * 2 ** (failures - 1)) * random.uniform(0.75, 1.0)
                        log.warning("%s: cannot start syncing %s (%s); letting another process try, and "
                                    "trying again in %.0f s", self._name, self.account,
                                    error if isinstance(error, StartupError) else repr(error), delay)
                        await self._end_term()
                        await self._sleep(delay)
                        continue
                if self._stopping.is_set():
                    return
                failures = 0
                await self._lead()
                await self._end_term()
                if not self._stopping.is_set():
                    self._stand_by()
                    # Whatever ended the term, the next try waits its turn
                    # (a loop that fails at once must not spin).
                    await self._sleep(self.retry_seconds)
        finally:
            await self._end_term()

    async def stop(self) -> None:
        """Stop syncing (the events in hand finish) or standing by."""
        self._stopping.set()
        if self._term is not None:
            await self._term.stop()

    async def close(self) -> None:
        """Close the adapter if a term is still open, and leave the election."""
        await self._end_term()
        await self.election.close()

    # -- terms -----------------------------------------------------------------

    @property
    def _name(self) -> str:
        return self.platform.capitalize()

    def _stand_by(self) -> None:
        self._standing_since = time.monotonic()
        log.info("%s: another process syncs %s; standing by to take over", self._name, self.account)

    async def _wait_to_lead(self) -> bool:
        """Try for the lock every ``retry_seconds``; False when stopped first."""
        while not self._stopping.is_set():
            if await self.election.try_lead():
                return True
            await self._sleep(self.retry_seconds)
        return False

    async def _begin(self) -> None:
        """Start a term: the adapter logs in and takes the stored position,
        the former leader's waiting rows are freed, and this process's
        deliverer sends the platform's rows from now on."""
        adapter = self._make()
        self._term = adapter
        self.terms += 1
        await adapter.start()
        try:
            freed = await self._take_over()
        except Exception:
            log.exception("%s: could not free the outbox rows of the former leader; they wait for their lease",
                          self._name)
            freed = 0
        self._deliverer.attach(adapter)
        self._leading = True
        if self._standing_since is None:
            log.info("%s: this process syncs %s", self._name, self.account)
        else:
            log.info("%s: took over syncing %s after standing by %.1f s (%d waiting messages taken over)",
                     self._name, self.account, time.monotonic() - self._standing_since, freed)
        self._standing_since = None

    async def _lead(self) -> None:
        """Run the adapter until its loop ends, the election is lost or we stop."""
        adapter = self._term
        if adapter is None:  # the term was ended meanwhile (closed while starting)
            return
        running = asyncio.ensure_future(adapter.run())
        lost = asyncio.ensure_future(self.election.lost())
        try:
            await asyncio.wait({running, lost}, return_when=asyncio.FIRST_COMPLETED)
            if lost.done() and not running.done():
                log.warning("%s: no longer sure to be the only process syncing %s; stopping the sync",
                            self._name, self.account)
                # Bounded: with the database gone, the events in hand may not
                # finish; cut short, they are handled again by the successor.
                stopping = asyncio.ensure_future(adapter.stop())
                await asyncio.wait({stopping, running}, timeout=LOST_STOP_SECONDS)
                stopping.cancel()
            elif running.done() and not self._stopping.is_set():
                error = None if running.cancelled() else running.exception()
                log.error("%s: the sync of %s ended unexpectedly (%r); another process may take over",
                          self._name, self.account, error)
        finally:
            for task in (running, lost):
                task.cancel()
            await asyncio.gather(running, lost, return_exceptions=True)

    async def _end_term(self) -> None:
        """Hand the platform's rows back, close the adapter, let go of the
        lock: last, so no successor syncs while this term still writes."""
        adapter, self._term, self._leading = self._term, None, False
        if adapter is not None:
            await self._deliverer.detach(self.platform, grace=HAND_OVER_SECONDS)
            with suppress(Exception):
                await asyncio.wait_for(adapter.close(), 1.0)
        await self.election.resign()

    async def _sleep(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
