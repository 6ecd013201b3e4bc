"""The management overview's charts and CSV: what a manager sees in them.

Charts are read back as XML: the bars of each series (by its legend name)
with their labels and numbers, the texts drawn. The SVG must stand alone in
a page: no script, nothing fetched from elsewhere, member and tag names
escaped.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.web.charts import (
    CSV_HEADER,
    activity_chart,
    attendance_chart,
    contributors_chart,
    members_chart,
    overview_csv,
    topics_chart,
)
from bot.domain import Contributor, WeekStats

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
LABELS = ["2 Nov", "9 Nov", "16 Nov"]
WEEKS = [
    WeekStats(start=MONDAY, posts=3, comments=5, reactions=7, active_members=4, new_members=2,
              returning_members=2, signups=6, came=4, no_shows=1),
    WeekStats(start=MONDAY + timedelta(weeks=1), posts=1, comments=0, reactions=2, active_members=2,
              new_members=0, returning_members=2, signups=0, came=0, no_shows=0),
    WeekStats(start=MONDAY + timedelta(weeks=2), posts=4, comments=2, reactions=9, active_members=5,
              new_members=1, returning_members=3, signups=8, came=7, no_shows=2),
]
PEOPLE: dict[str, Any] = {"title": "Wie droegen bij", "legend": ("Posts", "Comments"), "no_data": "Niets"}
HOSTILE = "<script>x</script> & co"  # 23 characters: shown whole


def parsed(svg: str) -> ET.Element:
    """The chart as XML; fails when it is not well-formed."""
    return ET.fromstring(svg)


def bars(svg: str) -> dict[str, dict[str, int]]:
    """Each series (by legend name; "" when there is none): its bars'
    labels and numbers."""
    root = parsed(svg)
    legends = [g.findtext(f"{SVG}text") for g in root.iter(f"{SVG}g")
               if "activate-serie" in g.get("class", "")]
    shown: dict[str, dict[str, int]] = {}
    series = [g for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("series serie-")
              and g.find(f"{SVG}g[@class='bars']") is not None]
    for name, group in zip(legends or [""] * len(series), series, strict=True):
        assert name is not None
        shown[name] = {}
        for bar in group.iter(f"{SVG}g"):
            if bar.get("class") == "bar":
                descs = {d.get("class"): d.text for d in bar.iter(f"{SVG}desc")}
                shown[name][str(descs["x_label"])] = int(str(descs["value"]))
    return shown


def texts(svg: str) -> list[str]:
    """Every text drawn."""
    return [t.text or "" for t in parsed(svg).iter(f"{SVG}text")]


def assert_self_contained(svg: str) -> None:
    """No script, no stylesheet or font from elsewhere, no XML declaration:
    ready to inline in a page under a strict content security policy."""
    root = parsed(svg)
    assert svg.startswith("<svg ")
    assert "<script" not in svg and "javascript" not in svg.lower()
    assert not [e for e in root.iter() if e.tag == f"{SVG}script"]
    assert set(re.findall(r"https?://[^\s\"'<>]*", svg)) <= {"http://www.w3.org/2000/svg",
                                                            "http://www.w3.org/1999/xlink"}
    assert "//" not in svg.replace("http://www.w3.org/2000/svg", "").replace("http://www.w3.org/1999/xlink", "")
    assert root.get("viewBox") == "0 0 800 360"


def test_activity_chart_shows_each_weeks_posts_comments_and_reactions() -> None:
    svg = activity_chart(WEEKS, LABELS, title="Activiteit per week", legend=("Berichten", "Reacties", "Duimpjes"), no_data="Niets")
    assert_self_contained(svg)
    assert bars(svg) == {
        "Berichten": {"2 Nov": 3, "9 Nov": 1, "16 Nov": 4},
        "Reacties": {"2 Nov": 5, "9 Nov": 0, "16 Nov": 2},
        "Duimpjes": {"2 Nov": 7, "9 Nov": 2, "16 Nov": 9},
    }
    drawn = texts(svg)
    assert "Activiteit per week" in drawn
    assert {"2 Nov", "9 Nov", "16 Nov"} <= set(drawn)
    assert parsed(svg).findtext(f"{SVG}title") == "Activiteit per week"
    # The numbers are written on the bars (zeros are not); the axis counts in
    # whole numbers just past the highest week (15 stacked), never halves.
    assert {"3", "5", "7", "9"} <= set(drawn)
    assert not any("." in t for t in drawn if re.fullmatch(r"[\d.]+", t))
    assert {"0", "2", "14", "16"} <= set(drawn) and "18" not in drawn


def test_attendance_chart_shows_sign_ups_beside_who_came_and_who_did_not() -> None:
    svg = attendance_chart(WEEKS, LABELS, title="Sign-ups and attendance per week", legend=("Sign-ups", "Came", "No-shows"), no_data="Niets")
    assert_self_contained(svg)
    assert bars(svg) == {
        "Sign-ups": {"2 Nov": 6, "9 Nov": 0, "16 Nov": 8},
        "Came": {"2 Nov": 4, "9 Nov": 0, "16 Nov": 7},
        "No-shows": {"2 Nov": 1, "9 Nov": 0, "16 Nov": 2},
    }
    assert "Sign-ups and attendance per week" in texts(svg)


def test_members_chart_shows_new_beside_returning_members() -> None:
    svg = members_chart(WEEKS, LABELS, title="Nieuw en terug", legend=("Nieuw", "Terug"), no_data="Niets")
    assert_self_contained(svg)
    assert bars(svg) == {
        "Nieuw": {"2 Nov": 2, "9 Nov": 0, "16 Nov": 1},
        "Terug": {"2 Nov": 2, "9 Nov": 2, "16 Nov": 3},
    }
    assert "Nieuw en terug" in texts(svg)


def test_many_weeks_still_make_one_bar_per_week() -> None:
    weeks = [WeekStats(start=MONDAY + timedelta(weeks=i), posts=i) for i in range(26)]
    labels = [f"week {i}" for i in range(26)]
    svg = activity_chart(weeks, labels, title="Activiteit", legend=("Posts", "Comments", "Reactions"), no_data="No data")
    assert_self_contained(svg)
    assert bars(svg)["Posts"] == {f"week {i}": i for i in range(26)}
    assert set(labels) <= set(texts(svg))


def test_contributors_chart_shows_posts_and_comments_most_active_at_the_top() -> None:
    people = [Contributor("sanne", 5, 2), Contributor("Anna & Piet", 2, 1), Contributor("piet", 0, 1)]
    svg = contributors_chart(people, title="Wie droegen het meest bij", legend=("Posts", "Comments"), no_data="Niets")
    assert_self_contained(svg)
    assert bars(svg) == {
        "Posts": {"sanne": 5, "Anna & Piet": 2, "piet": 0},
        "Comments": {"sanne": 2, "Anna & Piet": 1, "piet": 1},
    }
    assert "Wie droegen het meest bij" in texts(svg)
    heights = {t.text: float(t.get("y", "0")) for t in parsed(svg).iter(f"{SVG}text")
               if t.text in {"sanne", "Anna & Piet", "piet"}}
    assert heights["sanne"] < heights["Anna & Piet"] < heights["piet"], "first of the list on top"


def test_topics_chart_shows_how_many_posts_carry_each_tag_first_on_top() -> None:
    svg = topics_chart([("koffie", 7), ("bonen", 3), ("thee", 1)], title="Onderwerpen", legend="Berichten", no_data="Niets")
    assert_self_contained(svg)
    assert bars(svg) == {"": {"koffie": 7, "bonen": 3, "thee": 1}}, "one series: no legend"
    heights = {t.text: float(t.get("y", "0")) for t in parsed(svg).iter(f"{SVG}text")
               if t.text in {"koffie", "bonen", "thee"}}
    assert heights["koffie"] < heights["bonen"] < heights["thee"]
    assert "Onderwerpen" in texts(svg)


def test_names_of_members_and_tags_are_text_never_markup() -> None:
    for svg in (contributors_chart([Contributor(HOSTILE, 1, 1), Contributor("a\x0bb\x00c", 1, 0)], **PEOPLE),
                topics_chart([(HOSTILE, 2), ("a\x0bb\x00c", 1)], title="T", legend="Posts", no_data="Niets"),
                activity_chart(WEEKS[:1], [HOSTILE], title=HOSTILE, legend=(HOSTILE, "&amp;", "]]>"), no_data="Niets")):
        assert_self_contained(svg)  # well-formed, and no <script> element came of it
        assert HOSTILE in texts(svg)
        assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in svg
    assert "abc" in texts(contributors_chart([Contributor("a\x0bb\x00c", 1, 0)], **PEOPLE)), "controls XML cannot carry are left out"
    assert {"&amp;", "]]>"} <= set(texts(activity_chart(WEEKS[:1], ["x"], title="A", legend=("p", "&amp;", "]]>"), no_data="Niets")))


def test_long_names_are_cut_short_on_the_bars() -> None:
    svg = contributors_chart([Contributor("Maria " + "van " * 10 + "Dam", 3, 0)], **PEOPLE)
    assert bars(svg)["Posts"] == {"Maria van van van van v…": 3}
    assert "Maria van van van van v…" in texts(svg)


@pytest.mark.parametrize("svg", [
    activity_chart([], [], title="A", legend=("a", "b", "c"), no_data="Geen gegevens"),
    attendance_chart([], [], title="A", legend=("a", "b", "c"), no_data="Geen gegevens"),
    members_chart([], [], title="M", legend=("a", "b"), no_data="Geen gegevens"),
    contributors_chart([], title="C", legend=("a", "b"), no_data="Geen gegevens"),
    topics_chart([], title="T", legend="a", no_data="Geen gegevens"),
], ids=["activity", "attendance", "members", "contributors", "topics"])
def test_no_data_still_draws_a_chart_that_says_so(svg: str) -> None:
    assert_self_contained(svg)
    assert "Geen gegevens" in texts(svg)
    assert bars(svg) == {}


def test_quiet_weeks_draw_zero_bars_and_a_whole_number_axis() -> None:
    svg = members_chart([WeekStats(start=MONDAY)] * 2, ["2 Nov", "9 Nov"], title="M", legend=("New", "Returning"), no_data="No data")
    assert_self_contained(svg)
    assert bars(svg) == {"New": {"2 Nov": 0, "9 Nov": 0}, "Returning": {"2 Nov": 0, "9 Nov": 0}}
    assert {"0", "1"} <= set(texts(svg))


def test_a_label_for_each_week_or_none_at_all() -> None:
    with pytest.raises(ValueError, match="2 labels for 3 weeks"):
        activity_chart(WEEKS, LABELS[:2], title="A", legend=("a", "b", "c"), no_data="-")
    with pytest.raises(ValueError):
        overview_csv(WEEKS, LABELS[:2])


def test_csv_has_a_header_and_each_weeks_numbers() -> None:
    text = overview_csv(WEEKS, ["2026-11-02", "2026-11-09", "2026-11-16"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_HEADER) == ["week", "posts", "comments", "reactions", "active_members",
                                           "new_members", "returning_members", "signups", "came", "no_shows"]
    assert rows[1:] == [
        ["2026-11-02", "3", "5", "7", "4", "2", "2", "6", "4", "1"],
        ["2026-11-09", "1", "0", "2", "2", "0", "2", "0", "0", "0"],
        ["2026-11-16", "4", "2", "9", "5", "1", "3", "8", "7", "2"],
    ]
    assert overview_csv([], []) == ",".join(CSV_HEADER) + "\r\n"
