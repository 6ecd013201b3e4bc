"""What the core tells an operator's instruments: the Observer port.

The core reports what happened (an event handled and how, a sign-up, a
send and its failure, a scheduler knock) to an :class:`Observer`; what is
made of it (Prometheus counters, say) is an adapter's business, so the
core stays free of any metrics library. The default observes nothing.

Sign-ups are decided deep inside a unit of work that may still roll back:
the events repository calls :func:`note` on the unit in hand, and the core
passes what was noted on to the observer only once the unit committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

__all__ = ["NO_OBSERVER", "NoObserver", "Observer", "note", "noting"]

# Outcomes of a handled inbound event, as Observer.handled receives them.
OK, IGNORED, REPEAT, REFUSED, ERROR, FAILED = "ok", "ignored", "repeat", "refused", "error", "failed"


class Observer(Protocol):
    """Told what the core did; every method returns at once and never raises."""

    def handled(self, platform: str, event: str, outcome: str, seconds: float) -> None:
        """An inbound ``event`` (message, reaction, …) on ``platform`` was
        handled with ``outcome`` (ok, ignored, repeat, refused, error or
        failed) in ``seconds``."""

    def signed_up(self, platform: str, outcome: str) -> None:
        """A join committed as ``outcome`` (going or waitlisted)."""

    def sent(self, platform: str) -> None:
        """A message went out on ``platform``."""

    def send_failed(self, platform: str, kind: str) -> None:
        """A send on ``platform`` failed: ``transient`` (retried later),
        ``permanent`` (given up) or ``expired`` (its time was up)."""

    def knocked(self, job: str) -> None:
        """The scheduler ran ``job`` (reminders: every minute)."""


class NoObserver:
    """Observes nothing (the default)."""

    def handled(self, platform: str, event: str, outcome: str, seconds: float) -> None:
        pass

    def signed_up(self, platform: str, outcome: str) -> None:
        pass

    def sent(self, platform: str) -> None:
        pass

    def send_failed(self, platform: str, kind: str) -> None:
        pass

    def knocked(self, job: str) -> None:
        pass


NO_OBSERVER: Observer = NoObserver()

_notes: ContextVar[list[tuple[str, str]] | None] = ContextVar("kenniscafe_observed_notes", default=None)


def note(kind: str, value: str) -> None:
    """Remember ``(kind, value)`` for the unit of work in hand (nothing
    happens outside :func:`noting`)."""
    notes = _notes.get()
    if notes is not None:
        notes.append((kind, value))


@contextmanager
def noting() -> Iterator[list[tuple[str, str]]]:
    """Collect what :func:`note` is told inside this block."""
    notes: list[tuple[str, str]] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)
