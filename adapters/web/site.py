"""What every page handler needs: the core, the reads, the templates, who
is looking and whether they may.

A *visit* is one request to a community's page: the community, the
signed-in member (None for a visitor of a public community) and the
language the page is written in. :meth:`Site.visit` refuses what may not be
seen: an unknown community is not found, a community one does not belong
to is forbidden (a public one is readable by anyone), pages for managers
ask for the role.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from aiohttp import web

from adapters.web.access import Viewer, viewer_of
from bot.app import Bot
from bot.domain import CommunityInfo, MemberInfo, Role, reading_language
from bot.messages import DEFAULT_LANGUAGE, say_text
from bot.timefmt import format_day, format_when
from bot.weblinks import WebLinks
from storage.repositories.calendar import SqlCalendar
from storage.repositories.web_access import SqlWebAccess
from storage.repositories.web_pages import SqlWebPages


@dataclass(frozen=True)
class Visit:
    """One request for a community's page."""

    community: CommunityInfo
    viewer: Viewer | None
    member: MemberInfo | None  # the viewer as a member of this community (None: a visitor)
    language: str

    @property
    def is_manager(self) -> bool:
        """Whether the viewer manages this community."""
        return self.member is not None and self.member.role >= Role.MANAGER


class Site:
    """The web pages' shared parts."""

    def __init__(self, bot: Bot, links: WebLinks, access: SqlWebAccess, pages: SqlWebPages,
                 calendar: SqlCalendar, *, secure: bool) -> None:
        self.bot = bot
        self.links = links
        self.access = access
        self.pages = pages
        self.calendar = calendar
        self.secure = secure  # https: cookies are Secure
        self.communities = {c.id: c for c in bot.communities}
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("adapters.web", "templates"),
            # Every value is escaped: user text never becomes markup.
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["web_address"] = web_address

    def now(self) -> datetime:
        """The core's clock."""
        return self.bot.clock.now()

    async def visit(self, request: web.Request, *, role: Role | None = None, members_only: bool = False) -> Visit:
        """The community of the request's ``community`` path part and who
        looks at it; raises the HTTP refusal when they may not (a public
        community's pages are open to all unless ``members_only``)."""
        community = self.communities.get(_number(request.match_info["community"]))
        if community is None:
            raise web.HTTPNotFound()
        viewer = await viewer_of(request, self.access, self.now())
        member = viewer.memberships.get(community.id) if viewer else None
        if member is None and not (community.web_public and role is None and not members_only):
            if viewer is None:
                raise web.HTTPUnauthorized()
            raise web.HTTPForbidden(reason="not a member")
        if role is not None and (member is None or member.role < role):
            raise web.HTTPForbidden(reason="role")
        return Visit(community, viewer, member, reading_language(community, member))

    def check_csrf(self, visit: Visit, form: Any) -> None:
        """Refuse a form that does not carry the session's CSRF token."""
        sent = form.get("csrf", "") if visit.viewer else ""
        if visit.viewer is None or not hmac.compare_digest(str(sent), visit.viewer.csrf):
            raise web.HTTPForbidden(reason="csrf")

    def render(self, template: str, language: str, *, status: int = 200, visit: Visit | None = None,
               viewer: Viewer | None = None, **context: Any) -> web.Response:
        """A page from its template, in ``language``."""
        now = self.now()
        community = visit.community if visit else None
        zone = community.timezone if community else "UTC"

        def t(key: str, **values: Any) -> str:
            return say_text(language, key, **values)

        page = self.templates.get_template(template).render(
            t=t, lang=language, visit=visit, community=community, viewer=visit.viewer if visit else viewer,
            prefix=self.bot.prefix,
            day=lambda moment: format_day(moment, zone, language, now=now),
            when=lambda moment: format_when(moment, zone, language, now=now),
            **context,
        )
        return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")

    def language_of(self, viewer: Viewer | None) -> str:
        """The language of a page outside any community: the viewer's own
        choice, else their first community's, else English."""
        if viewer is not None:
            for community_id, member in sorted(viewer.memberships.items()):
                if community_id in self.communities:
                    return reading_language(self.communities[community_id], member)
        return DEFAULT_LANGUAGE


def web_address(url: str) -> str:
    """A link target only when it is a web address (never ``javascript:``)."""
    return url if url.lower().startswith(("https://", "http://")) else "#"


def _number(text: str) -> int:
    """A number from the path (the routes only let digits through); too long is not found."""
    if len(text) > 9:
        raise web.HTTPNotFound()
    return int(text)


def number_in(request: web.Request, name: str) -> int:
    """The number in the path part ``name``."""
    return _number(request.match_info[name])
