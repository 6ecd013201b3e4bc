"""People: who belongs to the community, what they know and care about,
`who` on the web (members likely to know a topic, and why), and a
member's profile with their posts and tables."""

from __future__ import annotations

from aiohttp import web

from adapters.web.site import Site, number_in
from bot.services.people import MAX_TOPIC, WHO_LIMIT, PeopleService
from bot.text import clean_line, sanitize


class PeoplePages:
    """``/c/<id>/people`` and ``/c/<id>/people/<member>``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """This part's routes."""
        return [
            web.get(r"/c/{community:\d+}/people", self.people),
            web.get(r"/c/{community:\d+}/people/{member:\d+}", self.person),
        ]

    async def people(self, request: web.Request) -> web.StreamResponse:
        """Everyone, or with ``?topic=`` who knows about it."""
        site = self.site
        visit = await site.visit(request, members_only=True)
        topic = clean_line(sanitize(request.query.get("topic", "")))[:MAX_TOPIC].lstrip("#")
        found = []
        if topic:
            evidence = await site.bot.repos.people.who(visit.community.id, topic, topic.split(), WHO_LIMIT,
                                                       site.now())
            found = [(e, PeopleService.reasons(visit.language, e, topic)) for e in evidence]
        people = await site.pages.people(visit.community.id)
        return site.render("people.html", visit.language, visit=visit, topic=topic, found=found, people=people)

    async def person(self, request: web.Request) -> web.StreamResponse:
        """A member's profile."""
        site = self.site
        visit = await site.visit(request, members_only=True)
        member = await site.pages.member(visit.community.id, number_in(request, "member"))
        if member is None:
            raise web.HTTPNotFound()
        profile = await site.bot.repos.people.profile(visit.community.id, member, site.now())
        return site.render("person.html", visit.language, visit=visit, profile=profile,
                           own=visit.member is not None and visit.member.id == member.id)
