"""``GET /healthz`` and ``GET /metrics`` on a local port, for operators.

``/healthz`` answers 200 when the database answers ``SELECT 1`` within
:data:`DATABASE_TIMEOUT`, every chat adapter is connected and the
scheduler's minute knock is at most :data:`LAG_LIMIT` late; else 503. Its
JSON says which part failed (the database's error by type only: an error
message may carry a host or user name). An adapter whose account another
process syncs (this one stands by to take over) counts as connected: the
process is doing its part; ``leading`` in the JSON and the
``kenniscafe_sync_leader`` gauge tell which process syncs. ``/metrics`` is
the Prometheus text format, the outbox read from the database at scrape time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Gauge

from adapters.ops.metrics import PrometheusObserver
from adapters.startup import StartupError
from bot.app import Bot
from bot.config import OpsSettings
from bot.delivery import Deliverer
from bot.observe import NO_OBSERVER
from bot.ports import Clock
from storage.engine import Database
from storage.repositories.health import SqlHealth

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 2.0
# The minute knock may be this late before /healthz says 503.
LAG_LIMIT = 120.0


class OpsServer:
    """The health check and metrics endpoint of one core."""

    def __init__(self, host: str, port: int, observer: PrometheusObserver, health: SqlHealth, clock: Clock) -> None:
        self.host, self.port = host, port
        self.observer = observer
        self.health = health
        self.clock = clock
        self.adapters: dict[str, Callable[[], bool]] = {}
        self.leaders: dict[str, Callable[[], bool]] = {}
        self._runner: web.AppRunner | None = None

    def watch(self, name: str, connected: Callable[[], bool]) -> None:
        """Report adapter ``name`` as connected while ``connected()`` says so."""
        self.adapters[name] = connected

    def watch_leadership(self, name: str, leading: Callable[[], bool]) -> None:
        """Report whether this process syncs adapter ``name``'s account (one
        process of several on a database does) while ``leading()`` says so."""
        self.leaders[name] = leading

    @property
    def url(self) -> str:
        """Where it listens (with the port taken when ``bind`` asked for port 0)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise StartupError(f"ops.bind: cannot listen on {self.host}:{self.port} ({error.strerror})") from error
        self.port = int(self._runner.addresses[0][1])
        log.info("ops: /healthz and /metrics on %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- probes ----------------------------------------------------------------

    async def _database(self) -> str | None:
        """None when the database answers, else what went wrong (its type)."""
        try:
            await asyncio.wait_for(self.health.ping(), DATABASE_TIMEOUT)
        except TimeoutError:
            return f"no answer within {DATABASE_TIMEOUT:.0f} s"
        except Exception as error:  # noqa: BLE001 - whatever it is, the database is not healthy
            log.warning("ops: the database does not answer: %s", error)
            return type(error).__name__
        return None

    def _connected(self) -> dict[str, bool]:
        return _ask(self.adapters, self.observer.adapter_connected)

    def _leading(self) -> dict[str, bool]:
        return _ask(self.leaders, self.observer.sync_leader)

    # -- endpoints ---------------------------------------------------------------

    async def _healthz(self, request: web.Request) -> web.Response:
        problem = await self._database()
        adapters = self._connected()
        lag = self.observer.lag()
        self.observer.scheduler_lag.set(lag)
        healthy = problem is None and all(adapters.values()) and lag <= LAG_LIMIT
        body: dict[str, Any] = {
            "status": "ok" if healthy else "unhealthy",
            "database": {"ok": problem is None, **({"error": problem} if problem else {})},
            "adapters": adapters,
            "scheduler": {"ok": lag <= LAG_LIMIT, "lag_seconds": round(lag, 3)},
        }
        leading = self._leading()
        if leading:
            body["leading"] = leading
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        self.observer.scheduler_lag.set(self.observer.lag())
        self._connected()
        self._leading()
        try:
            counts, oldest = await asyncio.wait_for(self.health.outbox_depth(), DATABASE_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - the other metrics are still worth a scrape
            log.warning("ops: could not read the outbox for /metrics: %s", error or type(error).__name__)
            self.observer.database_up.set(0)
        else:
            self.observer.database_up.set(1)
            self.observer.set_outbox(counts, oldest, self.clock.now())
        return web.Response(body=self.observer.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


@asynccontextmanager
async def ops_serving(settings: OpsSettings, bot: Bot, deliverer: Deliverer, db: Database
                      ) -> AsyncIterator[OpsServer | None]:
    """The ops server of a core while the block runs (None when ``[ops]`` is
    off): the bot and its deliverer report to its metrics meanwhile."""
    if not settings.enabled:
        yield None
        return
    observer = PrometheusObserver()
    host, port = settings.host_and_port
    server = OpsServer(host, port, observer, SqlHealth(db), bot.clock)
    await server.start()
    bot.observer = deliverer.observer = observer
    try:
        yield server
    finally:
        bot.observer = deliverer.observer = NO_OBSERVER
        await server.stop()


def _ask(probes: dict[str, Callable[[], bool]], gauge: Gauge) -> dict[str, bool]:
    """Each probe's answer by name, also set on ``gauge``; a probe that
    cannot say (it raised) counts as no."""
    answers = {}
    for name, probe in probes.items():
        try:
            answers[name] = bool(probe())
        except Exception:  # noqa: BLE001 - an adapter that cannot say is not connected, nor leading
            answers[name] = False
        gauge.labels(name).set(answers[name])
    return answers
