"""Linked pages' titles: fetched carefully from a real HTTP server on
127.0.0.1, searched with the post and shown by `show`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters import page_titles
from adapters.page_titles import MAX_TITLE, PageTitleFetcher
from jobs.scheduler import JobScheduler
from tests.conftest import console_on, console_settings

PAGES = {
    "/doc": "<html><head><title>Handleiding  koffie&shy;machine &amp; melkopschuimer</title></head></html>",
    "/og": '<html><head><meta property="og:title" content="Slides van de koffietafel"></head></html>',
    "/markup": "<title>&lt;img src=x onerror=alert(1)&gt; \u202eevil</title>",
    "/long": f"<title>{'koffie ' * 100}</title>",
    "/late": "<html>" + " " * 100_000 + "<title>too far down</title>",
    "/none": "<html><body>no title here</body></html>",
}


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A small web site on 127.0.0.1; its base URL."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGES[request.path], content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/doc")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def json(request: web.Request) -> web.Response:
        return web.json_response({"title": "not a page"})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)  # the fetcher gives up after 1 s here
        return web.Response(text="<title>too slow</title>", content_type="text/html")

    app = web.Application()
    for path in PAGES:
        app.router.add_get(path, page)
    app.router.add_get("/moved", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/json", json)
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_titles_are_read_cleaned_and_cut(site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_titles, "TIMEOUT_SECONDS", 1.0)
    fetcher = PageTitleFetcher(private_too=True)
    try:
        assert await fetcher.title_of(f"{site}/doc") == "Handleiding koffiemachine & melkopschuimer"
        assert await fetcher.title_of(f"{site}/moved") == "Handleiding koffiemachine & melkopschuimer"
        assert await fetcher.title_of(f"{site}/og") == "Slides van de koffietafel"
        # Markup stays text (never rendered); the bidi override is gone.
        assert await fetcher.title_of(f"{site}/markup") == "<img src=x onerror=alert(1)> evil"
        long = await fetcher.title_of(f"{site}/long")
        assert long is not None and len(long) == MAX_TITLE and long.endswith("…")
        for nothing in ("/late", "/none", "/json", "/slow", "/loop", "/missing"):
            assert await fetcher.title_of(f"{site}{nothing}") is None, nothing
        for not_web in ("ftp://127.0.0.1/x", "javascript:alert(1)", "http://", "not a url"):
            assert await fetcher.title_of(not_web) is None
    finally:
        await fetcher.close()


async def test_public_only_never_contacts_the_private_network(site: str) -> None:
    fetcher = PageTitleFetcher()
    port = site.rsplit(":", 1)[1]
    try:
        for url in (f"{site}/doc", f"http://localhost:{port}/doc", f"http://[::1]:{port}/doc",
                    "http://169.254.169.254/latest/meta-data/", f"http://0.0.0.0:{port}/doc"):
            assert await fetcher.title_of(url) is None, url
    finally:
        await fetcher.close()


async def test_a_linked_page_title_is_searched_and_shown(site: str, tmp_path: Path) -> None:
    plain = console_settings(tmp_path / "links.db", language="nl")
    settings = plain.model_copy(update={"bot": plain.bot.model_copy(update={"link_titles": "all"})})
    async with console_on(tmp_path / "links.db", settings=settings) as nl:
        await nl.say(f"!kc post Voor de nieuwe vrijwilligers | Lees dit eerst: {site}/doc")
        assert "Niets gevonden" in await nl.say("!kc zoek melkopschuimer")
        assert await nl.bot.fetch_link_titles() == 1
        assert await nl.bot.fetch_link_titles() == 0  # each link is looked at once
        found = await nl.say("!kc zoek melkopschuimer")
        assert "#1 Voor de nieuwe vrijwilligers" in found
        shown = await nl.say("!kc toon #1")
        assert f"🔗 Handleiding koffiemachine & melkopschuimer: {site}/doc" in shown
        # A new post's link is looked at on the next knock.
        await nl.say("!kc post Slides | Hier: " + f"{site}/og")
        assert await nl.bot.fetch_link_titles() == 1
        assert "#2 Slides" in await nl.say("!kc zoek koffietafel")
        assert "link-titles" in JobScheduler(nl.bot, nl.bot.communities).job_ids()


async def test_titles_are_off_unless_the_operator_turns_them_on(tmp_path: Path) -> None:
    async with console_on(tmp_path / "off.db") as en:
        await en.say("!kc post Slides | http://127.0.0.1:9/slides")
        assert en.bot.page_titles is None
        assert await en.bot.fetch_link_titles() == 0
        assert "link-titles" not in JobScheduler(en.bot, en.bot.communities).job_ids()
