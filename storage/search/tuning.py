"""The thresholds of the search, in one place (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchTuning:
    """Thresholds of the search; the defaults are tuned on 200k posts.

    Tests pass small values to force the common-term machinery on tiny data.
    """

    #: A term in at most this many posts (whole index) is "selective": its
    #: posts are enumerated outright and it needs no top list.
    selective_df: int = 400
    #: All-common AND queries try to enumerate the AND set when the rarest
    #: phrase is in at most this many posts (cost grows with this number).
    scan_df: int = 12_000
    #: Posts kept in each (community, term) top list.
    list_size: int = 100
    #: A list that is not complete is rebuilt when it falls below this share
    #: of its capacity (soft deletes take entries away).
    thin_fraction: float = 0.5
    #: Newest posts also scored when the lists give fewer than ``limit``.
    window: int = 200
    #: Let FTS5 rank (exactly, in C) when its estimated work is below this
    #: many microseconds; 0: FTS5 never ranks, we always do (tests).
    plain_budget_us: float = 3_000.0
    #: Rebuild a list when the mean post length moved by more than this
    #: share since it was built (post length enters every impact).
    avgdl_drift: float = 0.1


DEFAULT_TUNING = SearchTuning()
