"""The management overview's charts, drawn on the server as SVG, and its CSV.

Each chart is one function from plain data to an SVG document (text) that
can be inlined in a page or served as ``image/svg+xml``. The charts are
drawn by pygal, configured in :func:`_config`: no JavaScript (pygal's
tooltips script and its inline config script are left out), no external
references (no stylesheet or font is fetched), no XML declaration, a fixed
size of 800×360 and a calm style. What a chart shows is also a table on the
page, so nothing depends on hovering.

Names of members and tags are user text: they are set as element text, which
the XML serializer escapes (``<`` ``&`` ``>``); characters XML cannot carry
at all are dropped first (:func:`_text`). Titles, legends and the "no data"
text are parameters, so the caller can translate them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from pygal.etree import etree
from pygal.style import Style

from bot.domain import Contributor, WeekStats

WIDTH = 800
HEIGHT = 360
CSV_HEADER = ("week", "posts", "comments", "reactions", "active_members", "new_members",
              "returning_members", "signups", "came", "no_shows")

# Calm, distinguishable colours (blue, teal, sand, rose, grey).
_BLUE, _TEAL, _SAND, _ROSE, _GREY = "#4e79a7", "#59a89c", "#e0b25a", "#d37a7a", "#9aa5b1"
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
# Characters XML 1.0 cannot carry (controls other than tab and newlines, lone
# surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# More weeks than this: the bars are too narrow for their numbers, and the
# week labels are turned.
_NUMBERED_WEEKS = 12
# Longer names of members and tags are cut short on the bars.
_NAME_LENGTH = 24


def activity_chart(weeks: Sequence[WeekStats], labels: Sequence[str], *,
                   title: str,
                   legend: tuple[str, str, str],
                   no_data: str) -> str:
    """Posts, comments and reactions per week, stacked (the bar's height is
    the week's activity); ``labels`` name the weeks."""
    series = [[w.posts for w in weeks], [w.comments for w in weeks], [w.reactions for w in weeks]]
    return _week_chart(pygal.StackedBar, title, labels, legend, series, (_BLUE, _TEAL, _SAND), no_data,
                       stacked=True)


def attendance_chart(weeks: Sequence[WeekStats], labels: Sequence[str], *,
                     title: str,
                     legend: tuple[str, str, str],
                     no_data: str) -> str:
    """Sign-ups per week beside who came and who did not (of the tables
    that took place that week), as grouped bars."""
    series = [[w.signups for w in weeks], [w.came for w in weeks], [w.no_shows for w in weeks]]
    return _week_chart(pygal.Bar, title, labels, legend, series, (_BLUE, _TEAL, _ROSE), no_data)


def members_chart(weeks: Sequence[WeekStats], labels: Sequence[str], *,
                  title: str,
                  legend: tuple[str, str],
                  no_data: str) -> str:
    """Members who joined in the week beside active members who had joined
    before it, as grouped bars."""
    series = [[w.new_members for w in weeks], [w.returning_members for w in weeks]]
    return _week_chart(pygal.Bar, title, labels, legend, series, (_SAND, _BLUE), no_data)


def contributors_chart(contributors: Sequence[Contributor], *,
                       title: str,
                       legend: tuple[str, str],
                       no_data: str) -> str:
    """Each contributor's posts and comments as one horizontal bar, the
    first of ``contributors`` at the top."""
    top_down = list(reversed(contributors))  # pygal draws the first label at the bottom
    series = [[c.posts for c in top_down], [c.comments for c in top_down]]
    chart = pygal.HorizontalStackedBar(_config(title, (_BLUE, _TEAL), no_data, print_values=True))
    return _render(chart, [_short(c.name) for c in top_down], legend, series,
                   max((c.posts + c.comments for c in top_down), default=0))


def topics_chart(topics: Sequence[tuple[str, int]], *,
                 title: str,
                 legend: str,
                 no_data: str) -> str:
    """How many posts carry each tag, as horizontal bars, the first of
    ``topics`` at the top."""
    top_down = list(reversed(topics))
    chart = pygal.HorizontalBar(_config(title, (_BLUE,), no_data, print_values=True, show_legend=False))
    counts = [n for _, n in top_down]
    return _render(chart, [_short(name) for name, _ in top_down], (legend,), [counts], max(counts, default=0))


def overview_csv(weeks: Sequence[WeekStats], labels: Sequence[str]) -> str:
    """The weeks' numbers as CSV: a header row (:data:`CSV_HEADER`), then
    one row per week, named by its label. Lines end in CRLF (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for label, w in zip(labels, weeks, strict=True):
        writer.writerow((label, w.posts, w.comments, w.reactions, w.active_members, w.new_members,
                         w.returning_members, w.signups, w.came, w.no_shows))
    return out.getvalue()


def _week_chart(kind: Callable[..., Any], title: str, labels: Sequence[str], legend: Sequence[str],
                series: Sequence[Sequence[int]], colors: Sequence[str], no_data: str, *,
                stacked: bool = False) -> str:
    """A chart of weeks (one bar or group per label)."""
    if len(labels) != len(series[0]):
        raise ValueError(f"{len(labels)} labels for {len(series[0])} weeks")
    per_week = [sum(values) if stacked else max(values) for values in zip(*series, strict=True)]
    highest = max(per_week, default=0)
    many = len(labels) > _NUMBERED_WEEKS
    chart = kind(_config(title, colors, no_data, print_values=not many, x_label_rotation=30 if many else 0))
    return _render(chart, [_text(label) for label in labels], legend, series, highest)


def _config(title: str, colors: Sequence[str], no_data: str, **extra: Any) -> pygal.Config:
    """The settings every chart shares: self-contained SVG, fixed size, calm style."""
    config = pygal.Config()
    config.js = []  # no tooltips script from kozea.github.io
    config.disable_xml_declaration = True  # render() returns text, ready to inline in HTML
    config.width, config.height = WIDTH, HEIGHT
    config.explicit_size = False  # the viewBox scales it to the page
    config.style = Style(
        background="#ffffff", plot_background="#ffffff", foreground="#3b4351",
        foreground_strong="#1f2430", foreground_subtle="#d8dee4", opacity=".9", opacity_hover="1",
        colors=tuple(colors), font_family=_FONT, title_font_size=18, label_font_size=12,
        major_label_font_size=12, legend_font_size=13, value_font_size=12, no_data_font_size=20,
        # Numbers are printed inside the bars: white on the bars' colours reads best.
        value_colors=("#ffffff",) * len(colors))
    config.title = _text(title)
    config.no_data_text = _text(no_data)
    config.legend_at_bottom = True
    config.legend_at_bottom_columns = len(colors)
    config.print_zeroes = False
    config.value_formatter = lambda value: str(int(value))
    for key, value in extra.items():
        setattr(config, key, value)
    return config


def _render(chart: Any, labels: list[str], legend: Sequence[str], series: Sequence[Sequence[int]],
            highest: int) -> str:
    """Add the labels and series to ``chart`` (its value axis in whole
    numbers up to ``highest``) and draw it; "no data" when there is nothing
    to draw."""
    chart.add_xml_filter(_without_scripts_and_comments)
    if labels:
        chart.x_labels = labels
        chart.y_labels = _integer_axis(highest)
        for name, values in zip(legend, series, strict=True):
            chart.add(_text(name), list(values))
    return str(chart.render(is_unicode=True))


def _integer_axis(highest: int) -> list[int]:
    """Whole-number value-axis marks from 0 past ``highest`` (counts have no
    halves), about five to ten of them, in steps of 1, 2 or 5 times a power
    of ten."""
    step = 1
    while highest > 8 * step:
        step = _next_step(step)
    top = max(step, math.ceil(highest / step) * step)
    return list(range(0, top + 1, step))


def _next_step(step: int) -> int:
    """The step after ``step`` in 1, 2, 5, 10, 20, 50, …"""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


def _without_scripts_and_comments(root: Any) -> Any:
    """pygal's xml filter: drop every script (pygal always writes an inline
    one holding its config, for its tooltips) and comment (its credits,
    with links)."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag
            if tag is etree.Comment or (isinstance(tag, str) and tag.rpartition("}")[2] == "script"):
                parent.remove(child)
    return root


def _text(value: str) -> str:
    """``value`` without the characters XML cannot carry."""
    return _NOT_XML.sub("", value)


def _short(name: str) -> str:
    """A name for a bar: at most :data:`_NAME_LENGTH` characters (pygal
    would narrow the plot for a long one); the table beside shows it whole."""
    name = _text(name)
    return name if len(name) <= _NAME_LENGTH else name[: _NAME_LENGTH - 1].rstrip() + "…"
