"""The composition root: config → database → migrations → core → deliverer →
adapters → scheduler.

The only place that knows every layer. It runs until the input ends or the
process is asked to stop (SIGINT/SIGTERM). Stopping is orderly and bounded:
the adapters take no new events and finish the one in hand, the scheduler
finishes its job, the deliverer gives sends in flight a moment and hands
every unsent row back to the outbox for the next start; the whole takes a
few seconds whatever is queued. A second signal exits at once.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

from prompt_toolkit.patch_stdout import patch_stdout

from adapters.console.adapter import CONSOLE_COMMANDS, ConsoleAdapter
from adapters.console.terminal import typed_lines
from adapters.log_redaction import LogRedaction
from adapters.matrix.standby import Standby, SyncingAdapter
from adapters.ops.server import OpsServer, ops_serving
from adapters.ops.signups import NotingEvents
from adapters.page_titles import PageTitleFetcher, fetcher_for
from adapters.readers import readers_of
from adapters.startup import StartupError
from adapters.web.server import WebServer, web_links, web_serving
from bot.app import Bot, Repositories, RoomMap
from bot.config import Settings, parse_duration, platform_of
from bot.delivery import Deliverer
from bot.domain import CommunityInfo, Role
from bot.incoming import Actor, Incoming, RoomRef
from bot.ports import Clock, Messenger, SystemClock
from bot.ratelimit import CommandRateLimit
from jobs.scheduler import JobScheduler
from storage.engine import Database, DatabaseUnusable
from storage.leadership import election_for
from storage.repositories.adapter_state import SqlAdapterState
from storage.repositories.archive import SqlArchive
from storage.repositories.directory import SqlDirectory
from storage.repositories.ledger import SqlLedger
from storage.repositories.linking import SqlLinking
from storage.repositories.outbox import SqlOutbox
from storage.repositories.pairing import SqlPairing
from storage.repositories.people import SqlPeople
from storage.repositories.records import SqlRecords
from storage.repositories.schedule import SqlSchedule
from storage.repositories.stats import SqlStats
from storage.repositories.web_access import SqlWebAccess

log = logging.getLogger(__name__)

# Seconds the parts of a shutdown get: the event in hand, the job in hand,
# the sends in flight. Together well under the 10 s a service manager allows.
STOP_ADAPTERS_SECONDS = 3.0
STOP_SCHEDULER_SECONDS = 2.0
STOP_DELIVERY_SECONDS = 3.0
# Runs of the start-up writes that lost a race with another process starting at once.
STARTUP_ATTEMPTS = 3


def room_ref(external_id: str) -> RoomRef:
    """A configured room id as a platform-qualified room."""
    return RoomRef(platform_of(external_id), external_id)


def console_user(settings: Settings) -> str:
    """Who the console speaks as by default: ``[console] user``, else the
    first community's first manager (preferring a console name)."""
    if settings.console.user:
        return settings.console.user
    managers = settings.communities[0].managers
    console_names = [m for m in managers if platform_of(m) == "console"]
    return (console_names or managers or ["admin"])[0]


async def load_communities(settings: Settings, directory: SqlDirectory) -> tuple[RoomMap, list[CommunityInfo]]:
    """The configured communities in the database (created or updated), their
    rooms bound and their managers made; which room is whose."""
    rooms = RoomMap()
    infos: list[CommunityInfo] = []
    for community in settings.communities:
        info = await directory.ensure_community(community.name, community.timezone, community.language)
        digest, pairing = community.digest_schedule, community.pairing_schedule
        info = replace(
            info,
            reminders=tuple(community.reminder_offsets),
            digest_weekday=digest.weekday if digest else None,
            digest_time=digest.at if digest else None,
            pairing_weekday=pairing.weekday if pairing else None,
            pairing_time=pairing.at if pairing else None,
            pairing_weeks=community.pairing_weeks,
            web_public=community.web.public,
        )
        infos.append(info)
        listed = [room_ref(r) for r in community.rooms if r != "*"]
        await directory.bind_rooms(info.id, listed, [room_ref(r) for r in community.digest_rooms])
        for room in listed:
            rooms.add(info, room)
        if "*" in community.rooms:
            rooms.add(info, None)
        for manager in community.managers:
            actor = Actor(platform_of(manager), manager, manager)
            await directory.ensure_member(info.id, actor, at_least=Role.MANAGER)
        await directory.preload(info.id)
    return rooms, infos


async def build_bot(settings: Settings, db: Database, clock: Clock, *, limit_commands: bool = True) -> Bot:
    """Migrate the database, load the communities from config and build the core.
    ``limit_commands``: hold each member to the configured command rate (not
    on the console, where one person types, or runs a script)."""
    await db.migrate()
    directory = SqlDirectory(db, clock)
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        try:
            rooms, infos = await load_communities(settings, directory)
            break
        except Exception as error:
            # Processes started together write the same rooms and managers: the
            # loser of such a race finds the winner's rows when it runs again.
            if attempt == STARTUP_ATTEMPTS or not db.is_conflict(error):
                raise
            directory.forget_cached()
    events = NotingEvents(db)  # SqlEvents that tells the metrics of sign-ups
    repos = Repositories(
        directory=directory, archive=SqlArchive(db, clock), events=events,
        schedule=SqlSchedule(db, events), ledger=SqlLedger(db), outbox=SqlOutbox(db), transactions=db,
        people=SqlPeople(db), pairing=SqlPairing(db), linking=SqlLinking(db), stats=SqlStats(db), records=SqlRecords(db),
        web=SqlWebAccess(db),
    )
    rate = CommandRateLimit(settings.bot.commands_per_minute if limit_commands else 0, settings.bot.command_burst)
    return Bot(repos, rooms, clock, prefix=settings.bot.prefix, communities=infos,
               keep_for=parse_duration(settings.bot.delivery_expiry), rate_limit=rate,
               page_titles=fetcher_for(settings.bot.link_titles), web=web_links(settings.web))


@dataclass
class Core:
    """What one process runs whatever its platforms: the bot, its database
    and the deliverer that drains the outbox."""

    bot: Bot
    deliverer: Deliverer
    db: Database
    ops: OpsServer | None = None  # /healthz and /metrics, when [ops] is enabled
    web: WebServer | None = None  # the web pages, when [web] is enabled

    def attach(self, messenger: Messenger) -> None:
        """Deliver on the messenger's platform (and route members' DMs there)."""
        self.bot.platforms.add(messenger.platform)
        self.deliverer.attach(messenger)

    async def handle_and_deliver(self, event: Incoming) -> None:
        """Handle an event and wait until its answers went out (the console
        prints them before it reads the next line)."""
        stored = await self.bot.handle(event)
        await self.deliverer.settled([row.id for row in stored])


@asynccontextmanager
async def running_core(settings: Settings, clock: Clock, *, limit_commands: bool = True) -> AsyncIterator[Core]:
    """The core with a started deliverer; stopped and closed on exit."""
    try:
        db = Database(settings.bot.database)
    except DatabaseUnusable as error:
        raise StartupError(str(error)) from error
    try:
        try:
            bot = await build_bot(settings, db, clock, limit_commands=limit_commands)
        except DatabaseUnusable as error:
            raise StartupError(str(error)) from error
        deliverer = Deliverer(bot.repos.outbox, clock)
        bot.on_stored = deliverer.accept
        await deliverer.start()
        try:
            async with ops_serving(settings.ops, bot, deliverer, db) as ops, \
                    web_serving(settings.web, bot, db) as pages:
                yield Core(bot, deliverer, db, ops, pages)
        finally:
            await deliverer.stop(grace=STOP_DELIVERY_SECONDS)
            if isinstance(bot.page_titles, PageTitleFetcher):
                await bot.page_titles.close()
    finally:
        await db.dispose()


async def stdin_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines of a text stream without blocking the event loop; ends at EOF.

    A daemon thread does the blocking reads, so a signal can stop the bot
    while it waits for a line (an executor thread would hold up the exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    if isinstance(stream, io.TextIOWrapper):
        # Bytes that are no UTF-8 become U+FFFD instead of ending the input.
        stream.reconfigure(errors="replace")

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def run_console(settings: Settings, *, user: str | None = None,
                      stream_in: TextIO = sys.stdin, stream_out: TextIO = sys.stdout) -> None:
    """The bot on the console until ``/quit``, end of input, or a signal: a
    prompt with editing and history when a person types at a terminal, plain
    lines read to the end of input otherwise (scripts, pipes)."""
    async with running_core(settings, SystemClock(), limit_commands=False) as core:
        data = private_folder(Path(settings.bot.data_dir))
        interactive = stream_in.isatty() and stream_out.isatty()
        with patch_stdout() if interactive else nullcontext():
            out = sys.stdout if interactive else stream_out  # above the prompt, when there is one
            console = ConsoleAdapter(core.handle_and_deliver, out, user or console_user(settings), data / "files")
            core.attach(console)
            scheduler = JobScheduler(core.bot, core.bot.communities)
            scheduler.start()
            if interactive:
                out.write(f"Kenniscafé bot on the console, as {console.user}. "
                          f"Try `{settings.bot.prefix} help` (Tab completes); /help for console commands.\n")
                words = [f"{settings.bot.prefix} {word}" for word in core.bot.registry.words()] + CONSOLE_COMMANDS
                lines = typed_lines(lambda: f"{console.user}> ", data / "console_history", words, console.note)
            else:
                lines = stdin_lines(stream_in)
            work = asyncio.ensure_future(console.run(lines))
            if core.ops:
                core.ops.watch("console", lambda: not work.done())
            try:
                await until_stopped(work, lambda: None)
            finally:
                await _bounded(scheduler.stop(), STOP_SCHEDULER_SECONDS, "the scheduler's job")


class Service(Protocol):
    """What the composition root runs on a chat platform: an adapter (a
    Messenger too, attached to the deliverer), or a :class:`Standby` that
    runs one while this process leads."""

    platform: str

    async def start(self) -> None: ...
    async def run(self) -> None: ...
    async def stop(self) -> None: ...
    async def close(self) -> None: ...


async def run_platforms(settings: Settings, *, secrets: LogRedaction | None = None) -> None:
    """The bot on the enabled chat platforms until SIGINT/SIGTERM; tokens it
    learns (a Matrix login's) are added to ``secrets``.

    Several processes may run on one database: each serves Slack and runs
    the jobs, but only the elected one syncs the Matrix account (and
    delivers its messages); the others stand by to take over."""
    from adapters.matrix.adapter import MatrixAdapter
    from adapters.slack.adapter import SlackAdapter

    clock = SystemClock()
    async with running_core(settings, clock) as core:
        services: list[Service] = []
        matrix: Standby | None = None
        try:
            if settings.matrix.enabled:
                store = private_folder(Path(settings.bot.data_dir)) / "matrix-crypto" \
                    if settings.matrix.encryption else None
                matrix = matrix_standby(settings, core, lambda: MatrixAdapter(
                    settings.matrix, core.bot.handle, SqlAdapterState(core.db, clock),
                    secrets=secrets.add if secrets else None, crypto_store=store))
                services.append(matrix)
                await matrix.start()
            if settings.slack.enabled:
                slack = SlackAdapter(settings.slack, core.bot.handle, readers_of(core.bot), clock)
                services.append(slack)
                await slack.start()
                core.attach(slack)
            scheduler = JobScheduler(core.bot, core.bot.communities)
            scheduler.start()
            work = asyncio.ensure_future(asyncio.gather(*(service.run() for service in services)))
            if core.ops:
                for service in services:
                    core.ops.watch(service.platform, _connected(service, work))
                if matrix is not None:
                    core.ops.watch_leadership(matrix.platform, lambda: matrix.leading)

            def stop_taking_events() -> None:
                for service in services:
                    asyncio.ensure_future(service.stop())

            try:
                await until_stopped(work, stop_taking_events, grace=STOP_ADAPTERS_SECONDS)
            finally:
                await _bounded(asyncio.gather(*(s.stop() for s in services)), STOP_ADAPTERS_SECONDS, "adapters")
                await _bounded(scheduler.stop(), STOP_SCHEDULER_SECONDS, "the scheduler's job")
        finally:
            for service in services:
                await _bounded(service.close(), 1.0, "closing an adapter")


def matrix_standby(settings: Settings, core: Core, make: Callable[[], SyncingAdapter]) -> Standby:
    """The Matrix account's adapter, run while this process leads the
    account's election (one syncing process per account and database)."""
    assert settings.matrix.user_id is not None
    # Every process routes members' DMs to Matrix identities as the leader
    # would: a follower stores the rows unleased and the leader's deliverer
    # polls them (it has the client; see SqlOutbox.enqueue and Deliverer.attach).
    core.bot.platforms.add("matrix")
    outbox = core.bot.repos.outbox
    assert isinstance(outbox, SqlOutbox)
    account = settings.matrix.user_id
    return Standby("matrix", account, make, election_for(core.db, f"matrix:{account}"), core.deliverer,
                   lambda: outbox.take_over("matrix"))


def _connected(service: Service, work: asyncio.Future[Any]) -> Callable[[], bool]:
    """For /healthz: connected while its loop runs (and it says so, if it can tell)."""
    return lambda: not work.done() and bool(getattr(service, "connected", True))


def private_folder(path: Path) -> Path:
    """``path``, created for its owner alone (0700) if it does not exist."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
    return path


async def until_stopped(work: asyncio.Future[Any], stop: Callable[[], None], *, grace: float = 0.0) -> None:
    """Run ``work`` until it ends or a signal comes. The first SIGINT/SIGTERM
    calls ``stop`` (which should make the work wind down) and cancels the
    work if it is not done ``grace`` seconds later; a second one exits the
    process at once."""
    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            sys.stderr.write("Stopped at once (second signal).\n")
            os._exit(130)
        stop()
        loop.call_later(grace, work.cancel)

    # Left in place after the work ends: a second signal during the rest of
    # the shutdown still exits at once. The loop removes them when it closes.
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    with suppress(asyncio.CancelledError):
        await work


async def _bounded(work: Awaitable[Any], seconds: float, what: str) -> None:
    """Wait for ``work`` at most ``seconds``; a shutdown never hangs on one part."""
    try:
        await asyncio.wait_for(asyncio.ensure_future(work), seconds)
    except TimeoutError:
        log.warning("stopping %s took over %.0f s; cut short", what, seconds)
    except Exception:
        log.exception("stopping %s failed", what)

