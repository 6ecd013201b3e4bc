"""The web server inside `kenniscafe run` (``[web]``): aiohttp, pages from
Jinja2 templates, no JavaScript.

Every response carries a strict Content-Security-Policy (nothing but this
site's own style sheet and images; no script at all), refuses framing and
sniffing, and sends no referrer to other sites. A refusal (not found, not a
member, sign in first, too many attempts) is a page saying so in the
reader's language; only a real bug is a 500, and it is logged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from adapters.startup import StartupError
from adapters.web.access import viewer_of
from adapters.web.pages.archive import ArchivePages
from adapters.web.pages.calendar import CalendarPages
from adapters.web.pages.home import HomePages
from adapters.web.pages.overview import OverviewPages
from adapters.web.pages.people import PeoplePages
from adapters.web.pages.tables import TablePages
from adapters.web.site import Site
from bot.app import Bot
from bot.config import WebSettings
from bot.weblinks import WebLinks
from storage.engine import Database
from storage.repositories.calendar import SqlCalendar
from storage.repositories.web_access import SqlWebAccess
from storage.repositories.web_pages import SqlWebPages

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
          "frame-ancestors 'none'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Refusals shown as a page: status → the sentence's catalog key.
REFUSALS = {401: "web.error_sign_in", 403: "web.error_forbidden", 404: "web.error_not_found",
            405: "web.error_not_found", 429: "web.error_too_many", 400: "web.error_bad_request"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def web_links(settings: WebSettings) -> WebLinks | None:
    """The pages' addresses for chat (None when the web is off); without a
    configured ``base_url`` the server fills it in when it listens."""
    if not settings.enabled:
        return None
    return WebLinks(settings.base_url or "")


class WebServer:
    """The web pages of one core."""

    def __init__(self, site: Site, host: str, port: int) -> None:
        self.site = site
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Where it listens (with the port taken when ``bind`` asked for port 0)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def app(self) -> web.Application:
        """The aiohttp application with every page."""
        app = web.Application(middlewares=[self._headers, self._refusals, self._same_origin],
                              client_max_size=64 * 1024)
        site = self.site
        for pages in (HomePages(site), ArchivePages(site), TablePages(site), PeoplePages(site),
                      OverviewPages(site), CalendarPages(site)):
            app.add_routes(pages.routes())
        app.router.add_static("/static/", STATIC, append_version=True)
        return app

    async def start(self) -> None:
        """Listen; a ``bind`` that cannot be used stops the start with one line."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise StartupError(f"web.bind: cannot listen on {self.host}:{self.port} ({error.strerror})") from error
        self.port = int(self._runner.addresses[0][1])
        if not self.site.links.base_url:
            self.site.links.base_url = self.url
        log.info("web: pages on %s (members open %s)", self.url, self.site.links.base_url)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.update(HEADERS)
        if not request.path.startswith("/static/"):
            # Pages show what one member may see: no shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.middleware
    async def _refusals(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as refusal:
            if refusal.status not in REFUSALS:
                raise  # redirects
            return await self._refusal_page(request, refusal.status, refusal.reason)
        except Exception:
            log.exception("web: %s %s failed", request.method, request.path)
            return await self._refusal_page(request, 500, "")

    @web.middleware
    async def _same_origin(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Forms are only taken from this site's own pages: browsers say where a
        POST comes from, and another site's form (which could sign a visitor in
        as someone else, or press a button for them) is refused."""
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin is not None:
            ours = {_origin(self.site.links.base_url), f"{request.scheme}://{request.host}"}
            if origin not in ours:
                raise web.HTTPForbidden(reason="csrf")
        return await handler(request)

    async def _refusal_page(self, request: web.Request, status: int, reason: str) -> web.Response:
        try:
            viewer = await viewer_of(request, self.site.access, self.site.now())
        except Exception:  # noqa: BLE001 - the database may be what failed; say so in English
            viewer = None
        language = self.site.language_of(viewer)
        key = {"role": "web.error_role", "csrf": "web.error_csrf"}.get(reason) or REFUSALS.get(status, "web.error_internal")
        return self.site.render("refusal.html", language, status=status, viewer=viewer, message_key=key)


def _origin(url: str) -> str:
    """``https://host:port`` of an address."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@asynccontextmanager
async def web_serving(settings: WebSettings, bot: Bot, db: Database) -> AsyncIterator[WebServer | None]:
    """The web server of a core while the block runs (None when ``[web]`` is off)."""
    if not settings.enabled or bot.web is None:
        yield None
        return
    host, port = settings.host_and_port
    secure = (settings.base_url or "").startswith("https://")
    site = Site(bot, bot.web, SqlWebAccess(db), SqlWebPages(db), SqlCalendar(db), secure=secure)
    server = WebServer(site, host, port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
