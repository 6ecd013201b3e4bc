"""A per-member limit on commands, so one member (or one script) cannot
keep everyone else waiting: a token bucket per member — ``burst`` commands
at once, refilled at ``per_minute``. The first command over the limit gets
one friendly answer; after that the member hears nothing until the bucket
has refilled enough for a command again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Verdict(Enum):
    """What to do with a command."""

    RUN = "run"
    SLOW_DOWN = "slow_down"  # refused, with one answer saying so
    IGNORE = "ignore"  # refused again: silence until the bucket refills


@dataclass
class _Bucket:
    tokens: float
    at: datetime
    warned: bool = False


@dataclass
class CommandRateLimit:
    """Token buckets by member; ``per_minute`` of 0 means no limit."""

    per_minute: int
    burst: int
    _buckets: dict[object, _Bucket] = field(default_factory=dict)

    def check(self, member: object, now: datetime) -> Verdict:
        """Take a command of ``member`` at ``now`` into account."""
        if self.per_minute <= 0:
            return Verdict.RUN
        bucket = self._buckets.get(member)
        if bucket is None:
            bucket = self._buckets[member] = _Bucket(float(self.burst), now)
        # A clock moved back gives no negative refill; forward, at most a full bucket.
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_minute / 60)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return Verdict.RUN
        if bucket.warned:
            return Verdict.IGNORE
        bucket.warned = True
        return Verdict.SLOW_DOWN
