"""The core's observations as Prometheus metrics, in a registry of their own."""

from __future__ import annotations

import time
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from jobs.scheduler import REMINDER_TICK_SECONDS

OUTBOX_STATES = ("pending", "sent", "failed", "expired")
# Handling an event takes milliseconds; a slow database or a big digest seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class PrometheusObserver:
    """An :class:`bot.observe.Observer` that counts into ``registry``."""

    def __init__(self, *, knock_seconds: float = REMINDER_TICK_SECONDS) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.knock_seconds = knock_seconds
        self._last_knock = time.monotonic()  # the scheduler knocks at once when it starts
        r = self.registry
        self.events = Counter("kenniscafe_events_handled", "Inbound events handled, per platform and outcome "
                              "(ok, ignored, repeat, refused, error, failed).", ["platform", "outcome"], registry=r)
        self.latency = Histogram("kenniscafe_event_handling_seconds", "Time to handle an inbound event "
                                 "(decide and store, not deliver).", ["platform"], buckets=LATENCY_BUCKETS, registry=r)
        self.signups = Counter("kenniscafe_signups", "Joins that committed as going or waitlisted.",
                               ["platform", "outcome"], registry=r)
        self.sends = Counter("kenniscafe_sends", "Messages delivered, per platform.", ["platform"], registry=r)
        self.send_failures = Counter("kenniscafe_send_failures", "Failed sends, per platform and kind "
                                     "(transient: retried; permanent: given up; expired).", ["platform", "kind"],
                                     registry=r)
        self.outbox = Gauge("kenniscafe_outbox_messages", "Outbox rows per state (read at scrape time; "
                            "the whole database, every process).", ["status"], registry=r)
        self.outbox_age = Gauge("kenniscafe_outbox_oldest_pending_age_seconds", "Age of the oldest row "
                                "waiting for delivery (0 when none waits).", registry=r)
        self.scheduler_lag = Gauge("kenniscafe_scheduler_lag_seconds", "How much later than due the "
                                   "scheduler's minute knock is (0 when on time).", registry=r)
        self.database_up = Gauge("kenniscafe_database_up", "1 when the last scrape could read the "
                                 "database, else 0.", registry=r)
        self.adapter_connected = Gauge("kenniscafe_adapter_connected", "1 per chat adapter that is "
                                       "connected, else 0.", ["adapter"], registry=r)
        self.sync_leader = Gauge("kenniscafe_sync_leader", "1 while this process syncs the adapter's "
                                 "account, 0 while it stands by for another process that does (one "
                                 "syncing process per account and database).", ["adapter"], registry=r)

    # -- the Observer port ---------------------------------------------------

    def handled(self, platform: str, event: str, outcome: str, seconds: float) -> None:
        self.events.labels(platform, outcome).inc()
        self.latency.labels(platform).observe(seconds)

    def signed_up(self, platform: str, outcome: str) -> None:
        self.signups.labels(platform, outcome).inc()

    def sent(self, platform: str) -> None:
        self.sends.labels(platform).inc()

    def send_failed(self, platform: str, kind: str) -> None:
        self.send_failures.labels(platform, kind).inc()

    def knocked(self, job: str) -> None:
        if job == "reminders":
            self._last_knock = time.monotonic()

    # -- read at scrape time ---------------------------------------------------

    def lag(self) -> float:
        """Seconds the next minute knock is overdue (0 when it is not yet due)."""
        return max(0.0, time.monotonic() - self._last_knock - self.knock_seconds)

    def set_outbox(self, counts: dict[str, int], oldest: datetime | None, now: datetime) -> None:
        for status in {*OUTBOX_STATES, *counts}:
            self.outbox.labels(status).set(counts.get(status, 0))
        self.outbox_age.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)
