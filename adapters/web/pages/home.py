"""The front page, signing in with a link from chat, and signing out."""

from __future__ import annotations

import hmac

from aiohttp import web

from adapters.web.access import SESSION_LASTS, SignInLimit, end_session, start_session, viewer_of
from adapters.web.site import Site
from bot.services.web import token_hash

# A sign-in token in a path: what token_urlsafe(32) makes, with room to spare.
_TOKEN = r"[A-Za-z0-9_-]{20,100}"


class HomePages:
    """``/``, ``/signin/<token>`` and ``/signout``."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.limit = SignInLimit()

    def routes(self) -> list[web.RouteDef]:
        """This part's routes."""
        return [
            web.get("/", self.home),
            web.get(f"/signin/{{token:{_TOKEN}}}", self.sign_in_page),
            web.post(f"/signin/{{token:{_TOKEN}}}", self.sign_in),
            web.post("/signout", self.sign_out),
        ]

    async def home(self, request: web.Request) -> web.StreamResponse:
        """The communities one may look at: one's own, and the public ones."""
        site = self.site
        viewer = await viewer_of(request, site.access, site.now())
        mine = [site.communities[c] for c in sorted(viewer.memberships) if c in site.communities] if viewer else []
        public = [c for c in site.communities.values() if c.web_public and c not in mine]
        if len(mine) == 1 and not public:
            raise web.HTTPSeeOther(f"/c/{mine[0].id}/")
        return site.render("home.html", site.language_of(viewer), viewer=viewer, mine=mine, public=public)

    async def sign_in_page(self, request: web.Request) -> web.StreamResponse:
        """The page a sign-in link opens: a button, so that link previews
        (which only fetch pages) do not use the link up."""
        self._count(request)
        site = self.site
        valid = await site.access.sign_in_member(token_hash(request.match_info["token"]), site.now()) is not None
        viewer = await viewer_of(request, site.access, site.now())
        language = site.language_of(viewer)
        if not valid:
            return site.render("refusal.html", language, status=403, viewer=viewer,
                               message_key="web.error_link_used")
        return site.render("signin.html", language, viewer=viewer, action=request.path)

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """Use the link up and start a session."""
        self._count(request)
        site = self.site
        member_id = await site.access.use_sign_in(token_hash(request.match_info["token"]), site.now())
        if member_id is None:
            viewer = await viewer_of(request, site.access, site.now())
            return site.render("refusal.html", site.language_of(viewer), status=403, viewer=viewer,
                               message_key="web.error_link_used")
        response = see_other("/")
        cookie = start_session(response, secure=site.secure)
        now = site.now()
        await site.access.add_session(token_hash(cookie), member_id, now, now + SESSION_LASTS)
        return response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        """End the session (a form with the CSRF token)."""
        site = self.site
        viewer = await viewer_of(request, site.access, site.now())
        form = await request.post()
        if viewer is not None and hmac.compare_digest(str(form.get("csrf", "")), viewer.csrf):
            await site.access.end_session(viewer.session_hash)
        response = see_other("/")
        end_session(response, secure=site.secure)
        return response

    def _count(self, request: web.Request) -> None:
        if not self.limit.allow(request.remote or ""):
            raise web.HTTPTooManyRequests()


def see_other(location: str) -> web.Response:
    """A redirect after a form, as a response (cookies are set on it)."""
    return web.Response(status=303, headers={"Location": location})
