"""Coffee tables: upcoming and past, one table's page with who comes and
who waits, Join / Leave / Interested (through the core's sign-up, as in
chat: one capacity, one waitlist), and an .ics per table."""

from __future__ import annotations

from aiohttp import web

from adapters.web.pages.calendar import calendar_response
from adapters.web.site import Site, Visit, number_in
from bot.domain import EventDetails
from bot.ics import event_calendar
from bot.lifecycle import APPLIES_IN, Request, event_state
from bot.richtext import render_plain
from bot.services.events import EventsService

UPCOMING = 50
PAST = 30
# Answers waiting to be shown on the page a button returns to, at most.
SAID_KEPT = 1000


class TablePages:
    """``/c/<id>/tables`` and everything under it."""

    def __init__(self, site: Site) -> None:
        self.site = site
        # What a member's last button said, shown once on the page it returns to (this process).
        self._said: dict[tuple[str, int], str] = {}

    def routes(self) -> list[web.RouteDef]:
        """This part's routes."""
        return [
            web.get(r"/c/{community:\d+}/tables", self.tables),
            web.get(r"/c/{community:\d+}/tables/{number:\d+}", self.table),
            web.get(r"/c/{community:\d+}/tables/{number:\d+}.ics", self.ics),
            web.post(r"/c/{community:\d+}/tables/{number:\d+}/{action:join|leave|interested}", self.act),
        ]

    async def tables(self, request: web.Request) -> web.StreamResponse:
        """Upcoming tables (soonest first) and past ones (latest first)."""
        site = self.site
        visit = await site.visit(request)
        now = site.now()
        upcoming = await site.bot.repos.events.upcoming(visit.community.id, now, UPCOMING)
        past = await site.pages.past_tables(visit.community.id, now, PAST)
        feed, mine = await self._feeds(visit)
        return site.render("tables.html", visit.language, visit=visit, upcoming=upcoming, past=past,
                           seats=lambda e: EventsService.seats_text(visit.language, e), feed=feed, mine_feed=mine)

    async def table(self, request: web.Request) -> web.StreamResponse:
        """One table: when, where, seats, going, waitlist, and one's own buttons."""
        site = self.site
        visit = await site.visit(request)
        found = await self._table(request, visit)
        mine = await site.pages.signup_of(found.info.id, visit.member.id) if visit.member else None
        said = self._said.pop((visit.viewer.session_hash, found.info.id), None) if visit.viewer else None
        state = event_state(found.info.status, found.info.starts_at, site.now())
        return site.render("table.html", visit.language, visit=visit, table=found, info=found.info, mine=mine,
                           said=said, can_join=state in APPLIES_IN[Request.JOIN],
                           can_leave=state in APPLIES_IN[Request.LEAVE], state=state.value,
                           seats=EventsService.seats_text(visit.language, found.info),
                           zone=visit.community.timezone)

    async def act(self, request: web.Request) -> web.StreamResponse:
        """Join, leave or note interest: the core decides, the page tells."""
        site = self.site
        visit = await site.visit(request)
        site.check_csrf(visit, await request.post())
        if visit.member is None or visit.viewer is None:
            raise web.HTTPForbidden(reason="not a member")
        info = (await self._table(request, visit)).info
        number = info.number
        answer = await site.bot.act_on_web(visit.community, visit.member, request.match_info["action"], number)
        if len(self._said) >= SAID_KEPT:  # answers whose page was never opened again
            self._said.pop(next(iter(self._said)))
        self._said[visit.viewer.session_hash, info.id] = render_plain(answer)
        raise web.HTTPSeeOther(f"/c/{visit.community.id}/tables/{number}")

    async def ics(self, request: web.Request) -> web.StreamResponse:
        """The table as an iCalendar file."""
        visit = await self.site.visit(request)
        info = (await self._table(request, visit)).info
        return calendar_response(event_calendar(visit.community.name, visit.community.timezone, info,
                                                self.site.now(), language=visit.language), f"E{info.number}.ics")

    async def _table(self, request: web.Request, visit: Visit) -> EventDetails:
        """The table of the ``number`` path part, or not found."""
        found = await self.site.bot.repos.events.get_event(visit.community.id, number_in(request, "number"))
        if found is None:
            raise web.HTTPNotFound()
        return found

    async def _feeds(self, visit: Visit) -> tuple[str | None, str | None]:
        """The webcal addresses of the community's feed and of the member's
        own tables, for this viewer (a visitor: the public feed alone)."""
        base = self.site.links.base_url.split("://", 1)[-1]
        if visit.member is not None:
            token = await self.site.calendar.token_of(visit.member.id)
            return (f"webcal://{base}/calendar/{token}/c/{visit.community.id}.ics",
                    f"webcal://{base}/calendar/{token}/mine.ics")
        if visit.community.web_public:
            return f"webcal://{base}/c/{visit.community.id}/calendar.ics", None
        return None, None


