"""The titles of the web pages members link to, so that a post is found by
what its documents are called (``link_titles`` in ``[bot]``).

Fetching what members link to is done carefully, because the links are
anyone's input and the bot runs inside someone's network:

* only ``http``/``https``, at most ``MAX_REDIRECTS`` redirects, each one
  checked again, ``TIMEOUT_SECONDS`` for the whole exchange, and at most
  ``MAX_BYTES`` read (a title sits in the page's head);
* with ``link_titles = "public"`` only public internet addresses are
  contacted: a name that resolves to a private, loopback or link-local
  address (the cloud's metadata service, the database next door) is
  refused, also when a redirect or a second lookup leads there, because
  the connection uses the addresses checked (a resolver of our own).
  ``"all"`` allows the private network too, for an intranet's own pages;
* the title is plain text from the page's ``<title>`` (else its
  ``og:title``), cleaned like any title a member types and cut to
  ``MAX_TITLE`` characters. It is never rendered as markup.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.text import clean_line

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024
MAX_REDIRECTS = 3
MAX_TITLE = 200
TIMEOUT_SECONDS = 5.0
_HTML = ("text/html", "application/xhtml+xml")
USER_AGENT = "Kenniscafe-bot/link-titles"  # how the sites linked to see us
_REDIRECTS = {301, 302, 303, 307, 308}


class RefusedAddress(OSError):
    """The link leads to an address this bot may not contact."""


def _allowed(address: str, private_too: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    return private_too or ip.is_global


class _CheckedResolver(AbstractResolver):
    """Resolves names, keeping only the addresses the bot may contact: the
    connection is made to exactly these (no second lookup to rebind)."""

    def __init__(self, private_too: bool) -> None:
        self._inner = ThreadedResolver()
        self._private_too = private_too

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        found = [r for r in await self._inner.resolve(host, port, family) if _allowed(r["host"], self._private_too)]
        if not found:
            raise RefusedAddress(f"{host} has no address this bot may contact")
        return found

    async def close(self) -> None:
        await self._inner.close()


class _TitleParser(HTMLParser):
    """The first ``<title>``'s text and the ``og:title`` of a page's start."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.og_title: str | None = None
        self._parts: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and self.title is None:
            self._parts = []
        elif tag == "meta":
            found = dict(attrs)
            if found.get("property") == "og:title" and found.get("content"):
                self.og_title = found["content"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._parts is not None:
            self.title, self._parts = "".join(self._parts), None

    def handle_data(self, data: str) -> None:
        if self._parts is not None:
            self._parts.append(data)


def title_in(html: str) -> str | None:
    """The title a page gives itself, cleaned and cut to ``MAX_TITLE``; None if it has none."""
    parser = _TitleParser()
    parser.feed(html)
    raw = parser.title if parser.title and parser.title.strip() else parser.og_title
    title = clean_line(raw or "")
    if not title:
        return None
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


class PageTitleFetcher:
    """Implements the core's ``PageTitles`` port over HTTP."""

    def __init__(self, *, private_too: bool = False) -> None:
        self._private_too = private_too
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=_CheckedResolver(self._private_too), limit=4)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
                headers={"User-Agent": USER_AGENT, "Accept": "text/html"},
            )
        return self._session

    async def title_of(self, url: str) -> str | None:
        """The page's title, or None (no title, not a page, refused, unreachable)."""
        try:
            return await self._fetch(url)
        except (aiohttp.ClientError, OSError, TimeoutError, UnicodeError, ValueError) as problem:
            log.info("no title for %s: %s", url[:200], problem)
            return None

    async def _fetch(self, url: str) -> str | None:
        for _ in range(MAX_REDIRECTS + 1):
            self._check(url)
            async with self._client().get(url, allow_redirects=False) as response:
                if response.status in _REDIRECTS and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status != 200 or response.content_type not in _HTML:
                    return None
                body = await self._start_of(response)
                return title_in(body.decode(response.charset or "utf-8", errors="replace"))
        return None

    def _check(self, url: str) -> None:
        """Refuse what is no web page, and addresses written as numbers that
        are not allowed (a name is checked by the resolver)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not a web address")
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return
        if not _allowed(str(literal), self._private_too):
            raise RefusedAddress(f"{parts.hostname} may not be contacted")

    @staticmethod
    async def _start_of(response: aiohttp.ClientResponse) -> bytes:
        body = bytearray()
        while len(body) < MAX_BYTES:
            chunk = await response.content.read(MAX_BYTES - len(body))
            if not chunk:
                break
            body += chunk
        return bytes(body)

    async def close(self) -> None:
        """Close the HTTP client (at shutdown)."""
        if self._session is not None:
            await self._session.close()


def fetcher_for(setting: str) -> PageTitleFetcher | None:
    """The fetcher ``link_titles`` asks for: None for ``"off"``."""
    return None if setting == "off" else PageTitleFetcher(private_too=setting == "all")
