"""The composition root: config → database → migrations → core → adapters.

The only place that knows every layer. It runs until the input ends or the
process is asked to stop (SIGINT/SIGTERM), then closes the database cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from adapters.console.adapter import ConsoleAdapter
from bot.app import Bot, Repositories, RoomMap
from bot.config import Settings, platform_of
from bot.domain import CommunityInfo, Role
from bot.incoming import Actor, RoomRef
from bot.ports import Clock, SystemClock
from jobs.scheduler import JobScheduler
from storage.engine import Database
from storage.repositories.adapter_state import SqlAdapterState
from storage.repositories.archive import SqlArchive
from storage.repositories.directory import SqlDirectory
from storage.repositories.events import SqlEvents
from storage.repositories.ledger import SqlLedger
from storage.repositories.schedule import SqlSchedule
from storage.signup_writer import SignupRunner, signup_runner

log = logging.getLogger(__name__)


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


async def build_bot(settings: Settings, db: Database, clock: Clock, runner: SignupRunner) -> Bot:
    """Migrate the database, load the communities from config and build the core.

    ``runner`` applies sign-up decisions; its owner closes it after the bot."""
    await db.migrate()
    directory = SqlDirectory(db, clock)
    rooms = RoomMap()
    infos: list[CommunityInfo] = []
    for community in settings.communities:
        info = await directory.ensure_community(community.name, community.timezone, community.language)
        digest = community.digest_schedule
        info = replace(
            info,
            reminders=tuple(community.reminder_offsets),
            digest_weekday=digest.weekday if digest else None,
            digest_time=digest.at if digest else None,
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
    events = SqlEvents(db, runner)
    repos = Repositories(
        directory=directory, archive=SqlArchive(db, clock), events=events,
        schedule=SqlSchedule(db, events), ledger=SqlLedger(db),
    )
    return Bot(repos, rooms, clock, prefix=settings.bot.prefix, communities=infos)


async def stdin_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines of a text stream without blocking the event loop; ends at EOF.

    A daemon thread does the blocking reads, so a signal can stop the bot
    while it waits for a line (an executor thread would hold up the exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def run_console(settings: Settings, *, user: str | None = None,
                      stream_in: TextIO = sys.stdin, stream_out: TextIO = sys.stdout) -> None:
    """The bot on the console until ``/quit``, end of input, or a signal."""
    db = Database(settings.bot.database)
    runner = signup_runner(db)
    try:
        bot = await build_bot(settings, db, SystemClock(), runner)
        files = Path(settings.bot.data_dir) / "files"
        console = ConsoleAdapter(bot.handle, stream_out, user or console_user(settings), files)
        bot.attach(console)
        scheduler = JobScheduler(bot, bot.communities)
        scheduler.start()
        if stream_in.isatty():
            stream_out.write(f"Kenniscafé bot on the console, as {console.user}. "
                             f"Try `{settings.bot.prefix} help`; /help for console commands.\n")
        try:
            await _until_stopped(console.run(stdin_lines(stream_in)))
        finally:
            await scheduler.stop()
    finally:
        await runner.close()
        await db.dispose()


async def run_platforms(settings: Settings) -> None:
    """The bot on the enabled chat platforms until SIGINT/SIGTERM."""
    from adapters.matrix.adapter import MatrixAdapter
    from adapters.slack.adapter import SlackAdapter

    db = Database(settings.bot.database)
    runner = signup_runner(db)
    clock = SystemClock()
    adapters: list[MatrixAdapter | SlackAdapter] = []
    try:
        bot = await build_bot(settings, db, clock, runner)
        if settings.matrix.enabled:
            matrix = MatrixAdapter(settings.matrix, bot.handle, SqlAdapterState(db, clock))
            await matrix.start()
            bot.attach(matrix)
            adapters.append(matrix)
        if settings.slack.enabled:
            slack = SlackAdapter(settings.slack, bot.handle, community_settings(bot), clock)
            await slack.start()
            bot.attach(slack)
            adapters.append(slack)
        scheduler = JobScheduler(bot, bot.communities)
        scheduler.start()
        try:
            await _until_stopped(_run_all(adapters))
        finally:
            for adapter in adapters:
                await adapter.stop()
            await scheduler.stop()
    finally:
        for adapter in adapters:
            await adapter.close()
        await runner.close()
        await db.dispose()


def community_settings(bot: Bot) -> Callable[[RoomRef], tuple[str, str] | None]:
    """Time zone and language of a room's community, for adapters that
    check input before the core sees it (Slack's modal)."""

    def lookup(room: RoomRef) -> tuple[str, str] | None:
        community = bot.rooms.community_for(room)
        return (community.timezone, community.language) if community else None

    return lookup


async def _run_all(adapters: list[Any]) -> None:
    await asyncio.gather(*(adapter.run() for adapter in adapters))


async def _until_stopped(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` until it ends or SIGINT/SIGTERM cancels it."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, task.cancel)
    with suppress(asyncio.CancelledError):
        await task
