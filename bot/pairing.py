"""Coffee pairing: who meets whom this round.

Everyone who opted in is placed, in pairs (and one three when the count is
odd). A pair that has met in an earlier round is used only when no grouping
of everyone avoids it: the grouping with the fewest repeats (counting a pair
that met twice as worse than one that met once) wins, and among those the one
whose pairs share the most interests. For up to :data:`EXACT_UP_TO` members
every grouping is considered; beyond that a greedy grouping is improved by
swaps until no swap helps.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import combinations

Group = tuple[int, ...]
EXACT_UP_TO = 10
_SWAP_ROUNDS = 50


def pairs_in(group: Group) -> Iterator[frozenset[int]]:
    """The pairs who meet in a group (all three pairs of a three)."""
    return (frozenset(p) for p in combinations(group, 2))


def group_members(members: Sequence[int], met: Mapping[frozenset[int], int],
                  topics: Mapping[int, frozenset[str]], seed: str) -> list[Group]:
    """This round's groups for ``members``. ``met`` counts earlier meetings
    per pair; ``topics`` are each member's interests and expertise; ``seed``
    (the round's key) varies the choice among equally good groupings."""
    if len(members) < 2:
        return []
    order = list(dict.fromkeys(members))
    random.Random(seed).shuffle(order)

    def cost(groups: Sequence[Group]) -> tuple[int, int]:
        repeats = sum(met.get(pair, 0) ** 2 for g in groups for pair in pairs_in(g))
        shared = sum(len(topics.get(a, frozenset()) & topics.get(b, frozenset()))
                     for g in groups for a, b in combinations(g, 2))
        return repeats, -shared

    if len(order) <= EXACT_UP_TO:
        return min(_groupings(order), key=cost)
    return _improved(_greedy(order, met), cost)


def _groupings(people: list[int]) -> Iterator[list[Group]]:
    """Every way to split ``people`` into pairs (and one three if odd)."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    if len(people) == 3:
        yield [tuple(people)]
        return
    for i, partner in enumerate(rest):
        others = rest[:i] + rest[i + 1:]
        for grouping in _groupings(others):
            yield [(first, partner), *grouping]
    if len(people) % 2 == 1:  # the three includes the first person
        for i, j in combinations(range(len(rest)), 2):
            others = [p for k, p in enumerate(rest) if k not in (i, j)]
            for grouping in _groupings(others):
                yield [(first, rest[i], rest[j]), *grouping]


def _greedy(people: list[int], met: Mapping[frozenset[int], int]) -> list[Group]:
    free = list(people)
    groups: list[Group] = []
    while len(free) > 3 or len(free) == 2:
        first = free.pop(0)
        partner = min(free, key=lambda other: met.get(frozenset((first, other)), 0))
        free.remove(partner)
        groups.append((first, partner))
    if free:
        groups.append(tuple(free))
    return groups


def _improved(groups: list[Group], cost: Callable[[Sequence[Group]], tuple[int, int]]) -> list[Group]:
    """Swap members between groups while that lowers the cost."""
    best = list(groups)
    for _ in range(_SWAP_ROUNDS):
        better = False
        for i, j in combinations(range(len(best)), 2):
            for a in range(len(best[i])):
                for b in range(len(best[j])):
                    trial = list(best)
                    gi, gj = list(best[i]), list(best[j])
                    gi[a], gj[b] = gj[b], gi[a]
                    trial[i], trial[j] = tuple(gi), tuple(gj)
                    if cost(trial) < cost(best):
                        best, better = trial, True
        if not better:
            break
    return best


def times_met(history: Sequence[Group]) -> Counter[frozenset[int]]:
    """How often each pair met in these groups."""
    return Counter(pair for group in history for pair in pairs_in(group))
