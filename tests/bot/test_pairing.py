"""Coffee pairing: everyone placed every round, no pair met twice while a
grouping without repeats exists, each round sent once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from itertools import combinations
from pathlib import Path

from bot.pairing import group_members, pairs_in, times_met
from bot.services.pairing import round_moment
from tests.conftest import FakeClock, console_on, console_settings

PEOPLE = ["anna", "piet", "sanne", "joost", "lotte", "kees", "fenna"]


def every_grouping(people: list[int]) -> Iterator[list[tuple[int, ...]]]:
    """All splits into pairs plus one three when odd (written out independently)."""
    if len(people) <= 3:
        yield [tuple(people)]
        return
    first, rest = people[0], people[1:]
    sizes = (1, 2) if len(people) % 2 == 1 else (1,)
    for size in sizes:
        for partners in combinations(rest, size):
            left = [p for p in rest if p not in partners]
            if len(left) % 2 == 1 and size == 2:
                continue
            for grouping in every_grouping(left):
                yield [(first, *partners), *grouping]


def test_seven_members_over_six_rounds() -> None:
    members = list(range(1, 8))
    history: list[tuple[int, ...]] = []
    for round_number in range(6):
        met = times_met(history)
        groups = group_members(members, met, {}, seed=f"round-{round_number}")
        placed = [m for group in groups for m in group]
        assert sorted(placed) == members  # everyone, once
        assert sorted(len(g) for g in groups) == [2, 2, 3]
        repeats = sum(1 for g in groups for pair in pairs_in(g) if met[pair])
        fewest = min(sum(1 for g in grouping for pair in pairs_in(g) if met[pair])
                     for grouping in every_grouping(members))
        assert repeats == fewest, f"round {round_number}: {repeats} repeated pairs where {fewest} could do"
        history += groups
    assert set(times_met(history)) == {frozenset(p) for p in combinations(members, 2)}  # all 21 met


def test_shared_interests_are_preferred() -> None:
    topics = {1: frozenset({"koffie"}), 2: frozenset({"fietsen"}), 3: frozenset({"koffie"}), 4: frozenset({"fietsen"})}
    groups = group_members([1, 2, 3, 4], Counter(), topics, seed="x")
    assert sorted(sorted(g) for g in groups) == [[1, 3], [2, 4]]


async def test_rounds_are_introduced_by_dm_once(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "pair.db", clock=clock) as console:
        for name in PEOPLE:
            assert "You're in for coffee pairing: every 2 weeks" in await console.say("!kc pair on", as_user=name)
        await console.say("!kc me interests koffie", as_user="anna")
        await console.say("!kc me interests koffie", as_user="piet")
        status = await console.say("!kc pair status", as_user="anna")
        assert "Coffee pairing: on for you; 7 taking part; 0 rounds so far; next round Mon" in status
        community = console.bot.communities[0]
        seen: Counter[str] = Counter()
        moment = clock.current
        for _ in range(6):
            nxt = console.bot.pairing.next_round(community, moment)
            assert nxt is not None and round_moment(community, nxt) == nxt
            clock.current = moment = nxt + timedelta(minutes=1)
            start = len(console.out.getvalue())
            assert await console.bot.hold_pairing_rounds() == 1
            assert await console.bot.hold_pairing_rounds() == 0  # the same round again: nothing
            await console.delivered()
            intros = [line for line in console.out.getvalue()[start:].splitlines() if "Coffee pairing: meet" in line]
            assert sorted(line.split(" → ")[1].split(" (DM)")[0] for line in intros) == sorted(PEOPLE)
            seen.update(line for line in intros if "You share an interest in koffie" in line)
        assert "6 rounds so far" in await console.say("!kc pair status")
        assert "You're out of coffee pairing." in await console.say("!kc pair off", as_user="fenna")
    assert seen  # anna and piet were matched on what they share at least once


async def test_pairing_off_in_the_config_holds_no_rounds(tmp_path: Path) -> None:
    settings = console_settings(tmp_path / "off.db", pairing="off")
    async with console_on(tmp_path / "off.db", settings=settings) as console:
        for name in ("anna", "piet"):
            await console.say("!kc pair on", as_user=name)
        assert "next round not planned (pairing is off here)" in await console.say("!kc pair status")
        assert await console.bot.hold_pairing_rounds() == 0
