"""The management overview (managers only): activity per week, sign-ups
against attendance, new and returning members, top contributors and
topics — each a chart drawn on the server as SVG, with the numbers behind
it as a table — and the weekly numbers as CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from adapters.web import charts
from adapters.web.site import Site, Visit
from bot.domain import Contributor, Role, WeekStats
from bot.messages import say_text
from bot.services.stats import MAX_WEEKS, week_starts
from bot.timefmt import format_day

DEFAULT_WEEKS = 12
TOP = 10
# The charts' own style sheet is inside the SVG: a chart is served with a
# policy that allows that and nothing else (as an <img>, it runs nothing).
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
CHARTS = ("activity", "attendance", "members", "contributors", "topics")


@dataclass(frozen=True)
class Numbers:
    """What the overview shows, for a number of weeks up to now."""

    weeks: list[WeekStats]
    labels: list[str]
    contributors: list[Contributor]
    topics: list[tuple[str, int]]


class OverviewPages:
    """``/c/<id>/overview``, its charts and its CSV."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """This part's routes."""
        chart = "|".join(CHARTS)
        return [
            web.get(r"/c/{community:\d+}/overview", self.overview),
            web.get(rf"/c/{{community:\d+}}/overview/{{chart:{chart}}}.svg", self.chart),
            web.get(r"/c/{community:\d+}/overview.csv", self.csv),
        ]

    async def overview(self, request: web.Request) -> web.StreamResponse:
        """The page: charts and their tables."""
        visit = await self.site.visit(request, role=Role.MANAGER)
        weeks = _weeks(request)
        numbers = await self._numbers(visit, weeks)
        return self.site.render("overview.html", visit.language, visit=visit, numbers=numbers, weeks=weeks,
                                rows=list(zip(numbers.labels, numbers.weeks, strict=True)), charts=CHARTS,
                                max_weeks=MAX_WEEKS)

    async def chart(self, request: web.Request) -> web.StreamResponse:
        """One chart as SVG."""
        visit = await self.site.visit(request, role=Role.MANAGER)
        numbers = await self._numbers(visit, _weeks(request))
        name = request.match_info["chart"]
        svg = _DRAW[name](numbers, lambda key: say_text(visit.language, key))
        return web.Response(text=svg, content_type="image/svg+xml", charset="utf-8",
                            headers={"Content-Security-Policy": CHART_POLICY})

    async def csv(self, request: web.Request) -> web.StreamResponse:
        """The weekly numbers as CSV."""
        visit = await self.site.visit(request, role=Role.MANAGER)
        numbers = await self._numbers(visit, _weeks(request))
        body = charts.overview_csv(numbers.weeks, numbers.labels)
        return web.Response(text=body, content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="overview.csv"'})

    async def _numbers(self, visit: Visit, weeks: int) -> Numbers:
        stats = self.site.bot.repos.stats
        now = self.site.now()
        community = visit.community
        starts = week_starts(weeks, community.timezone, now)
        found = await stats.weekly(community.id, starts, now)
        labels = [format_day(w.start, community.timezone, visit.language, now=now) for w in found]
        contributors = await stats.top_contributors(community.id, starts[0], now, TOP)
        topics = await stats.top_topics(community.id, starts[0], now, TOP)
        return Numbers(found, labels, contributors, topics)


Say = Callable[[str], str]
_DRAW: dict[str, Callable[[Numbers, Say], str]] = {
    "activity": lambda n, t: charts.activity_chart(
        n.weeks, n.labels, title=t("web.chart_activity"), no_data=t("web.no_data"),
        legend=(t("web.col_posts"), t("web.col_comments"), t("web.col_reactions"))),
    "attendance": lambda n, t: charts.attendance_chart(
        n.weeks, n.labels, title=t("web.chart_attendance"), no_data=t("web.no_data"),
        legend=(t("web.col_signups"), t("web.col_came"), t("web.col_no_shows"))),
    "members": lambda n, t: charts.members_chart(
        n.weeks, n.labels, title=t("web.chart_members"), no_data=t("web.no_data"),
        legend=(t("web.col_new"), t("web.col_returning"))),
    "contributors": lambda n, t: charts.contributors_chart(
        n.contributors, title=t("web.chart_contributors"), no_data=t("web.no_data"),
        legend=(t("web.col_posts"), t("web.col_comments"))),
    "topics": lambda n, t: charts.topics_chart(
        n.topics, title=t("web.chart_topics"), no_data=t("web.no_data"), legend=t("web.col_posts")),
}


def _weeks(request: web.Request) -> int:
    """``?weeks=N`` from 1 to the maximum (anything else: the default)."""
    text = request.query.get("weeks", "")
    if text.isascii() and text.isdigit() and 0 < len(text) < 3 and 1 <= int(text) <= MAX_WEEKS:
        return int(text)
    return DEFAULT_WEEKS
