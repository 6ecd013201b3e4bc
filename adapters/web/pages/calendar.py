"""Calendar feeds to subscribe to (webcal): a community's tables and a
member's own. A calendar app has no session, so a member's feeds are
reached by a secret token in the address (`SqlCalendar`); a public
community's feed needs none. Every change of a table raises its SEQUENCE,
so subscribed calendars update it, cancellations included."""

from __future__ import annotations

import hmac
from datetime import timedelta

from aiohttp import web

from adapters.web.access import viewer_of
from adapters.web.site import Site, number_in
from bot.domain import reading_language
from bot.ics import FeedEntry, feed_calendar
from bot.messages import say_text

# Tables this long past stay in the feeds (so calendars keep their history).
KEPT_FOR = timedelta(days=90)
_TOKEN = r"[A-Za-z0-9_-]{16,64}"


class CalendarPages:
    """``/calendar/<token>/…`` and a public community's ``calendar.ics``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """This part's routes."""
        return [
            web.get(rf"/calendar/{{token:{_TOKEN}}}/c/{{community:\d+}}.ics", self.community_feed),
            web.get(rf"/calendar/{{token:{_TOKEN}}}/mine.ics", self.member_feed),
            web.get(r"/c/{community:\d+}/calendar.ics", self.public_feed),
            web.post("/calendar/reset", self.reset),
        ]

    async def community_feed(self, request: web.Request) -> web.StreamResponse:
        """A community's tables, for a member who holds the token."""
        site = self.site
        member_id = await site.calendar.member_of_token(request.match_info["token"])
        community = site.communities.get(number_in(request, "community"))
        if member_id is None or community is None:
            raise web.HTTPNotFound()
        member = await site.pages.member(community.id, member_id)
        if member is None:
            raise web.HTTPNotFound()
        return await self._feed(community.id, reading_language(community, member))

    async def public_feed(self, request: web.Request) -> web.StreamResponse:
        """A public community's tables, for anyone."""
        community = self.site.communities.get(number_in(request, "community"))
        if community is None or not community.web_public:
            raise web.HTTPNotFound()
        return await self._feed(community.id, community.language)

    async def member_feed(self, request: web.Request) -> web.StreamResponse:
        """The tables a member is going to or waiting for, in all their communities."""
        site = self.site
        member_id = await site.calendar.member_of_token(request.match_info["token"])
        if member_id is None:
            raise web.HTTPNotFound()
        now = site.now()
        entries = [FeedEntry(c.name, c.timezone, event)
                   for community_id, event in await site.calendar.member_feed(member_id, now - KEPT_FOR)
                   if (c := site.communities.get(community_id)) is not None]
        language = site.language_of(await viewer_of(request, site.access, now))
        return calendar_response(feed_calendar(say_text(language, "web.my_tables"), entries, now, language), "mine.ics")

    async def reset(self, request: web.Request) -> web.StreamResponse:
        """A new token: the old feed addresses stop working."""
        site = self.site
        viewer = await viewer_of(request, site.access, site.now())
        form = await request.post()
        if viewer is None or not hmac.compare_digest(str(form.get("csrf", "")), viewer.csrf):
            raise web.HTTPForbidden(reason="csrf")
        await site.calendar.reset_token(viewer.member_id)
        raise web.HTTPSeeOther(request.headers.get("Referer", "/") if _same_site(request) else "/")

    async def _feed(self, community_id: int, language: str) -> web.Response:
        site = self.site
        community = site.communities[community_id]
        now = site.now()
        events = await site.calendar.community_feed(community_id, now - KEPT_FOR)
        entries = [FeedEntry(community.name, community.timezone, event) for event in events]
        return calendar_response(feed_calendar(community.name, entries, now, language), f"community-{community_id}.ics")


def _same_site(request: web.Request) -> bool:
    referer = request.headers.get("Referer", "")
    return referer.startswith(f"{request.scheme}://{request.host}/")


def calendar_response(content: bytes, filename: str) -> web.Response:
    """An iCalendar body with its file name."""
    return web.Response(body=content, content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": f'inline; filename="{filename}"'})
