"""The election of the one process that syncs a Matrix account
(storage/leadership.py), on PostgreSQL (an advisory lock) and SQLite (a lock
file), and the hand-over of the account's deliveries between processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from adapters.matrix.standby import Standby
from bot.delivery import Deliverer
from bot.incoming import MessageRef
from bot.outgoing import Kind, Outgoing, Queued
from bot.ports import SystemClock
from bot.richtext import document, paragraph
from storage.engine import Database, sqlite_url_for_path
from storage.leadership import (
    RETRY_SECONDS,
    AdvisoryLockElection,
    Election,
    FileLockElection,
    election_for,
    lock_key,
)
from storage.repositories.outbox import SqlOutbox
from tests.conftest import migrated
from tests.fakes import RecordingMessenger

ROOT = Path(__file__).resolve().parents[3]
NAME = "matrix:@kcbot:example.org"
CHECK = 0.2  # the leader looks at its lock this often in these tests




@asynccontextmanager
async def electors(db: Database, count: int = 2, name: str = NAME) -> AsyncIterator[list[Election]]:
    chosen = [election_for(db, name, check_seconds=CHECK) for _ in range(count)]
    try:
        yield chosen
    finally:
        for election in chosen:
            await election.close()


async def leads_within(election: Election, seconds: float) -> float:
    """Try as a follower does (every RETRY_SECONDS) until it leads; how long it took."""
    began = time.monotonic()
    while not await election.try_lead():
        assert time.monotonic() - began < seconds, f"{election.name}: still not leading after {seconds} s"
        await asyncio.sleep(RETRY_SECONDS)
    return time.monotonic() - began


def test_the_lock_key_is_the_same_in_every_process() -> None:
    import subprocess

    probe = f"from storage.leadership import lock_key; print(lock_key({NAME!r}))"
    keys = {subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.strip() for seed in (1, 2)}
    assert keys == {str(lock_key(NAME))}
    assert -(2**63) <= lock_key(NAME) < 2**63
    assert lock_key(NAME) != lock_key("matrix:@other:example.org")


def test_each_kind_of_database_gets_its_kind_of_election(tmp_path: Path) -> None:
    file_db = Database(sqlite_url_for_path(tmp_path / "kc.db"))
    election = election_for(file_db, NAME)
    assert isinstance(election, FileLockElection)
    assert election.path.parent == tmp_path and election.path.name.startswith("kc.db.lock-")
    assert isinstance(election_for(Database("postgresql+asyncpg://u@127.0.0.1/x"), NAME), AdvisoryLockElection)


async def test_one_of_two_leads_and_the_other_leads_once_it_resigns(database_url: str) -> None:
    async with migrated(database_url) as db, electors(db) as (first, second):
        assert await first.try_lead() is True
        assert await second.try_lead() is False
        assert (first.leading, second.leading) == (True, False)
        assert await first.try_lead() is True  # asking again changes nothing
        assert await second.try_lead() is False
        await first.close()
        assert await leads_within(second, 2 * RETRY_SECONDS) <= RETRY_SECONDS + 0.5
        assert await first.try_lead() is False


async def test_another_account_is_another_election(database_url: str) -> None:
    async with migrated(database_url) as db, electors(db, 1) as (ours,), \
            electors(db, 1, "matrix:@other:example.org") as (theirs,):
        assert await ours.try_lead() and await theirs.try_lead()


async def test_a_leader_killed_by_sigkill_is_succeeded_within_the_retry_interval(database_url: str) -> None:
    """The real thing: the lock is held by another process, which is killed."""
    async with migrated(database_url) as db, electors(db, 1) as (follower,):
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _HOLDER, database_url, NAME, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE)
        try:
            assert holder.stdout is not None
            assert await asyncio.wait_for(holder.stdout.readline(), 60) == b"leading\n"
            assert await follower.try_lead() is False
            await asyncio.sleep(RETRY_SECONDS)
            assert await follower.try_lead() is False
            holder.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await holder.wait()
            assert await leads_within(follower, 5.0) <= RETRY_SECONDS + 0.5
            print(f"\nsuccessor leads {time.monotonic() - killed:.2f} s after the SIGKILL")
        finally:
            if holder.returncode is None:
                holder.kill()
                await holder.wait()


_HOLDER = """
import asyncio, sys
from storage.engine import Database
from storage.leadership import election_for

async def main():
    election = election_for(Database(sys.argv[1]), sys.argv[2])
    assert await election.try_lead()
    print("leading", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_leader_whose_lock_connection_dies_steps_down_and_the_other_leads(postgres_url: str) -> None:
    async with migrated(postgres_url) as db, electors(db) as (first, second):
        assert isinstance(first, AdvisoryLockElection)
        assert await first.try_lead() and not await second.try_lead()
        lost = asyncio.ensure_future(first.lost())
        await asyncio.sleep(3 * CHECK)
        assert not lost.done()  # a healthy lock connection is not lost
        # An operator (or a failover, or the network) ends the leader's session.
        admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first.backend_pid)
        finally:
            await admin.close()
        ended = time.monotonic()
        await asyncio.wait_for(lost, 5 * CHECK + 3.5)
        assert time.monotonic() - ended <= CHECK + 3.5
        assert first.leading is False
        assert await leads_within(second, 2 * RETRY_SECONDS) <= RETRY_SECONDS + 0.5
        assert await first.try_lead() is False  # a fresh connection, and a follower now


async def test_a_try_while_the_database_is_away_is_a_try_lost_not_an_error() -> None:
    # Nothing listens on port 9 of 127.0.0.1: connecting is refused at once.
    election = AdvisoryLockElection("postgresql+asyncpg://postgres@127.0.0.1:9/none", NAME)
    try:
        assert await election.try_lead() is False
        assert await election.try_lead() is False
    finally:
        await election.close()


async def test_a_removed_lock_file_is_a_lost_election(tmp_path: Path) -> None:
    async with migrated(sqlite_url_for_path(tmp_path / "kc.db")) as db, electors(db) as (first, second):
        assert isinstance(first, FileLockElection)
        assert await first.try_lead() and not await second.try_lead()
        assert first.path.read_text().startswith(f"{os.getpid()} leads {NAME}")
        first.path.unlink()  # tidied away: a new file of that name could be locked by anyone
        await asyncio.wait_for(first.lost(), 5 * CHECK)
        assert first.leading is False
        assert await second.try_lead() is True


async def test_matrix_rows_go_to_the_process_with_the_client_and_move_on_when_it_steps_down(
        database_url: str) -> None:
    """A follower stores Matrix-addressed rows unleased; the leader's poll
    delivers them. When the leader steps down its held rows are handed back,
    and the new leader takes over even rows still leased to the old one."""
    clock = SystemClock()
    async with migrated(database_url) as db:
        leader_outbox, follower_outbox = SqlOutbox(db, owner="host:1:a"), SqlOutbox(db, owner="host:2:b")
        leader, follower = Deliverer(leader_outbox, clock, poll_seconds=0.1), Deliverer(follower_outbox, clock,
                                                                                       poll_seconds=0.1)
        old_client, new_client = RecordingMessenger("matrix"), RecordingMessenger("matrix")
        await leader.start()
        await follower.start()
        try:
            leader.attach(old_client)
            async with db.atomic():
                stored = await follower_outbox.enqueue([message("stored by a follower")], clock.now(),
                                                       timedelta(hours=1))
            assert stored == []  # not leased to the follower: it has no Matrix client
            await until(lambda: [text for _, text in old_client.sent] == ["stored by a follower"])

            # The leader holds a row whose send is slow when it steps down.
            release = asyncio.Event()
            slow = SlowMessenger("matrix", release)
            leader.attach(slow)
            async with db.atomic():
                leader.accept(await leader_outbox.enqueue([message("in flight")], clock.now(), timedelta(hours=1)))
            await until(lambda: slow.started)
            await leader.detach("matrix", grace=0.2)  # the send did not finish in time: cut short
            assert "matrix" not in leader_outbox.served
            # A row leased to the leader that it never got to (stored just before the step-down).
            async with db.atomic():
                await SqlOutbox(db, owner="host:1:a").enqueue([message("left leased")], clock.now(),
                                                               timedelta(hours=1))
            await db_lease(db, "left leased", "host:1:a")

            freed = await follower_outbox.take_over("matrix")
            assert freed == 1  # the row left leased; the one in flight was handed back already
            follower.attach(new_client)
            await until(lambda: sorted(text for _, text in new_client.sent) == ["in flight", "left leased"])
            await follower.idle()
        finally:
            await leader.stop(grace=0.1)
            await follower.stop(grace=0.1)


class SlowMessenger(RecordingMessenger):
    """Starts a send and waits for ``release`` before finishing it."""

    def __init__(self, platform: str, release: asyncio.Event) -> None:
        super().__init__(platform)
        self.release = release
        self.started = False

    async def deliver(self, message: Queued) -> list[MessageRef]:
        self.started = True
        await self.release.wait()
        return await super().deliver(message)


def message(text: str) -> Outgoing:
    return Outgoing("matrix", Kind.ROOM, document(paragraph(text)), room_id="!room:example.org")


async def db_lease(db: Database, text: str, owner: str) -> None:
    """Lease the row whose document mentions ``text`` to ``owner`` for a minute."""
    from sqlalchemy import update
    from sqlmodel import col

    from storage.models import OutboxMessage

    async with db.write() as session:
        await session.execute(update(OutboxMessage).where(col(OutboxMessage.document).contains(text))
                              .values(lease_owner=owner, lease_until=datetime.now(UTC) + timedelta(minutes=1)))


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


class FakeSync(RecordingMessenger):
    """An adapter that 'syncs' until stopped, and says what happened to it."""

    def __init__(self) -> None:
        super().__init__("matrix")
        self.started = self.closed = False
        self._stop = asyncio.Event()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def start(self) -> None:
        self.started = True

    async def run(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()

    async def close(self) -> None:
        self.closed = True


async def cut_connection(election: Election, url: str) -> None:
    """End the leader's database session, as a failover or a network cut would."""
    assert isinstance(election, AdvisoryLockElection)
    admin = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", election.backend_pid)
    finally:
        await admin.close()


async def remove_lock_file(election: Election, url: str) -> None:
    assert isinstance(election, FileLockElection)
    election.path.unlink()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_a_standby_syncs_only_while_it_leads(engine: str, tmp_path: Path, request: pytest.FixtureRequest
                                                   ) -> None:
    """Standing by while another leads (healthy, not syncing, not
    delivering); leading once it is free; stopping the sync at once when its
    lock is lost, before another takes it; leading again when free; and a
    bounded stop."""
    url = (sqlite_url_for_path(tmp_path / "kc.db") if engine == "sqlite"
           else str(request.getfixturevalue("postgres_url")))
    cut = remove_lock_file if engine == "sqlite" else cut_connection
    clock = SystemClock()
    async with migrated(url) as db, electors(db) as (ours, other):
        outbox = SqlOutbox(db)
        deliverer = Deliverer(outbox, clock, poll_seconds=0.1)
        await deliverer.start()
        made: list[FakeSync] = []

        def make() -> FakeSync:
            made.append(FakeSync())
            return made[-1]

        standby = Standby("matrix", "@kcbot:example.org", make, ours, deliverer, lambda: outbox.take_over("matrix"))
        try:
            assert await other.try_lead()
            await standby.start()
            assert (standby.leading, standby.connected, made) == (False, True, [])
            running = asyncio.ensure_future(standby.run())
            await asyncio.sleep(2 * RETRY_SECONDS)
            assert made == [] and "matrix" not in outbox.served

            await other.resign()
            await until(lambda: standby.leading, 2 * RETRY_SECONDS + 1)
            (first,) = made
            assert first.started and not first.stopped and "matrix" in outbox.served

            await cut(ours, url)
            await until(lambda: first.stopped, CHECK + 4.0)  # no sync beside a new leader
            await until(lambda: first.closed and "matrix" not in outbox.served)
            assert await leads_within(other, 2.0) >= 0  # the lock is free for another
            await asyncio.sleep(2 * RETRY_SECONDS)
            assert not standby.leading and len(made) == 1

            await other.resign()
            await until(lambda: standby.leading and len(made) == 2, 2 * RETRY_SECONDS + 1)
            began = time.monotonic()
            await standby.stop()
            await asyncio.wait_for(running, 5)
            assert time.monotonic() - began < 3 and made[1].stopped and made[1].closed
        finally:
            await standby.close()
            await deliverer.stop(grace=0.1)
