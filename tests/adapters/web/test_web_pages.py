"""The web pages over HTTP (issue 14): signing in by a link from chat,
who may see what, sign-ups through the same core as chat, calendar feeds
whose SEQUENCE rises with each change, views per member per day, and the
hostile cases: forged forms, guessed links, odd parameters."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar

from adapters.startup import StartupError
from bot.config import Settings, WebSettings, check_config_file, load_settings
from tests.conftest import FakeClock, Transcript, console_on, database_url_for

LINK = re.compile(r"http://127\.0\.0\.1:\d+/signin/[A-Za-z0-9_-]+")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def web_settings(db_path: Path, *, public: bool = False, base_url: str | None = None) -> Settings:
    """Rene's community on the console, and a second one elsewhere; the web on a free port."""
    web: dict[str, Any] = {"enabled": True, "bind": "127.0.0.1:0"}
    if base_url:
        web["base_url"] = base_url
    return Settings.model_validate({
        "bot": {"database": database_url_for(db_path)},
        "web": web,
        "communities": [
            {"name": "Kenniscafé", "managers": ["rene"], "rooms": ["console"], "web": {"public": public}},
            {"name": "Andere club", "managers": ["@ann:example.org"], "rooms": ["!room:example.org"]},
        ],
    })


@dataclass
class Browser:
    """A cookie-keeping HTTP client on the bot's web server."""

    http: aiohttp.ClientSession
    base: str

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path, allow_redirects=True) as response:
            return response.status, await response.text()

    async def post(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        async with self.http.post(self.base + path, data=data or {}, allow_redirects=True) as response:
            return response.status, await response.text()

    async def sign_in(self, t: Transcript, user: str = "rene") -> None:
        link = await link_for(t, user)
        status, _ = await self.post(link.removeprefix(self.base))
        assert status == 200

    async def csrf(self, path: str) -> str:
        _, page = await self.get(path)
        found = CSRF.search(page)
        assert found, page
        return found[1]


async def link_for(t: Transcript, user: str = "rene") -> str:
    """The sign-in link `web` sends ``user`` privately."""
    answer = await t.say("!kc web", as_user=user)
    found = LINK.search(answer)
    assert found and "(DM)" in answer, answer
    return found[0]


@asynccontextmanager
async def web_on(db_path: Path, clock: FakeClock | None = None, **options: Any) -> AsyncIterator[tuple[Transcript, Browser]]:
    async with console_on(db_path, clock=clock or FakeClock(), settings=web_settings(db_path, **options)) as t:
        assert t.core.web is not None
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            yield t, Browser(http, t.core.web.url)


async def test_web_is_refused_in_plain_words_when_the_pages_are_off(transcript: Transcript) -> None:
    answer = await transcript.say("!kc web")
    assert "not switched on" in answer and "something went wrong" not in answer


async def test_a_link_signs_in_once_and_the_cookie_is_httponly_and_lax(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        link = await link_for(t)
        path = link.removeprefix(browser.base)
        status, page = await browser.get(path)  # a link preview fetches this: nothing is used up
        assert status == 200 and 'id="sign-in"' in page
        async with browser.http.post(link, allow_redirects=False) as response:
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
        assert "Secure" not in cookie  # plain http on 127.0.0.1
        status, page = await browser.get("/")
        assert status == 200 and "Newest posts" in page
        async with aiohttp.ClientSession() as stranger, stranger.post(link) as again:
            assert again.status == 403
            assert "used already or has expired" in await again.text()


async def test_behind_https_the_cookie_is_secure_and_links_use_the_public_address(db_path: Path) -> None:
    async with web_on(db_path, base_url="https://kc.example.org/") as (t, browser):
        answer = await t.say("!kc web")
        assert "https://kc.example.org/signin/" in answer
        token = answer.split("https://kc.example.org/signin/")[1].split()[0]
        async with browser.http.post(f"{browser.base}/signin/{token}", allow_redirects=False) as response:
            assert "Secure" in response.headers["Set-Cookie"]


async def test_an_expired_link_is_refused(db_path: Path) -> None:
    clock = FakeClock()
    async with web_on(db_path, clock) as (t, browser):
        link = await link_for(t)
        clock.advance(timedelta(minutes=15, seconds=1))
        status, page = await browser.post(link.removeprefix(browser.base))
        assert status == 403 and "expired" in page
        status, _ = await browser.get("/c/1/")
        assert status == 401


async def test_pages_carry_a_strict_policy_and_no_script(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc post <script>alert(1)</script> | <b>bold</b> https://example.org/x.pdf")
        await browser.sign_in(t)
        for path in ("/c/1/", "/c/1/posts/1", "/c/1/tables", "/c/1/people", "/c/1/overview", "/nope"):
            async with browser.http.get(browser.base + path) as response:
                policy = response.headers["Content-Security-Policy"]
                assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                page = await response.text()
                assert "<script" not in page and "<b>" not in page
        _, post = await browser.get("/c/1/posts/1")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in post and "&lt;b&gt;bold&lt;/b&gt;" in post


async def test_a_member_of_another_community_and_a_stranger_are_refused(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc post Alleen voor ons | geheim")
        status, page = await browser.get("/c/1/posts/1")
        assert status == 401 and "!kc web" in page and "geheim" not in page
        await browser.sign_in(t)
        assert (await browser.get("/c/2/"))[0] == 403
        assert (await browser.get("/c/3/"))[0] == 404
        assert (await browser.get("/c/99999999999999/"))[0] == 404
        await t.say("!kc web", as_user="sara")  # sara exists now, a plain member
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            sara = Browser(other, browser.base)
            await sara.sign_in(t, "sara")
            assert (await sara.get("/c/1/overview"))[0] == 403
            assert (await sara.get("/c/1/overview.csv"))[0] == 403
            assert (await sara.get("/c/1/posts/1"))[0] == 200


async def test_joining_on_the_web_shares_one_capacity_and_waitlist_with_chat(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc event new Koffietafel | friday 10:00 | Utrecht | 1")
        await t.say("!kc join E1", as_user="martin")
        await browser.sign_in(t, "rene")
        token = await browser.csrf("/c/1/tables/1")
        status, page = await browser.post("/c/1/tables/1/join", {"csrf": token})
        assert status == 200
        assert "waitlist" in page and "place 1" in page
        assert re.search(r'<ol id="waitlist"><li>rene</li></ol>', page)
        # martin leaves in chat: rene moves up and is told in chat
        answer = await t.say("!kc leave E1", as_user="martin")
        await t.delivered()
        assert "bot → rene (DM): A seat opened up: you're in for E1 Koffietafel" in answer
        _, page = await browser.get("/c/1/tables/1")
        assert "You&#39;re going." in page
        status, page = await browser.post("/c/1/tables/1/leave", {"csrf": token})
        assert status == 200 and "You&#39;re not signed up." in page


async def test_a_form_without_the_session_token_changes_nothing(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc event new Koffietafel | friday 10:00 | Utrecht | 5")
        await browser.sign_in(t)
        status, page = await browser.post("/c/1/tables/1/join", {"csrf": "0" * 32})
        assert status == 403 and "out of date" in page
        status, page = await browser.post("/c/1/tables/1/join")
        assert status == 403
        assert "Going (0/5): nobody yet" in await t.say("!kc event E1")


async def test_forms_from_another_site_are_refused(db_path: Path) -> None:
    """Another site's page cannot sign a visitor in (as someone else) or press a button for them."""
    async with web_on(db_path) as (t, browser):
        await t.say("!kc event new Koffietafel | friday 10:00 | Utrecht | 5")
        link = await link_for(t)
        async with browser.http.post(link, headers={"Origin": "https://evil.example"}) as response:
            assert response.status == 403
        async with browser.http.post(link, headers={"Origin": browser.base}, allow_redirects=False) as response:
            assert response.status == 303  # the link was not used up by the refused attempt
        token = await browser.csrf("/c/1/tables/1")
        async with browser.http.post(f"{browser.base}/c/1/tables/1/join", data={"csrf": token},
                                     headers={"Origin": "https://evil.example"}) as response:
            assert response.status == 403
        assert "Going (0/5): nobody yet" in await t.say("!kc event E1")


async def test_views_are_counted_once_per_member_per_day(db_path: Path) -> None:
    clock = FakeClock()
    async with web_on(db_path, clock) as (t, browser):
        await t.say("!kc post Slides van de koffietafel | https://example.org/slides.pdf")
        await browser.sign_in(t)
        for _ in range(3):
            _, page = await browser.get("/c/1/posts/1")
        assert '<span id="views">1 view</span>' in page
        clock.advance(timedelta(days=1))
        _, page = await browser.get("/c/1/posts/1")
        assert '<span id="views">2 views</span>' in page
        assert '<span class="kind">PDF</span> <a href="https://example.org/slides.pdf"' in page


async def test_the_calendar_feed_parses_and_an_edit_raises_the_sequence(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc event new Koffietafel | friday 10:00 | Utrecht | 5")
        await t.say("!kc join E1")
        await browser.sign_in(t)
        _, tables = await browser.get("/c/1/tables")
        feed = re.search(r'href="webcal://[^/]+(/calendar/[^"]+/c/1\.ics)"', tables)
        mine = re.search(r'href="webcal://[^/]+(/calendar/[^"]+/mine\.ics)"', tables)
        assert feed and mine

        async def sequences(path: str) -> list[tuple[str, int, str]]:
            # a calendar app: no cookie
            async with aiohttp.ClientSession() as phone, phone.get(browser.base + path) as response:
                assert response.status == 200 and response.content_type == "text/calendar"
                calendar = Calendar.from_ical(await response.read())
            return [(str(e["summary"]), int(e["sequence"]), str(e["status"])) for e in calendar.walk("VEVENT")]

        assert await sequences(feed[1]) == [("E1 Koffietafel", 0, "CONFIRMED")]
        await t.say("!kc event edit E1 where Amersfoort")
        assert await sequences(feed[1]) == [("E1 Koffietafel", 1, "CONFIRMED")]
        await t.say("!kc event cancel E1 te weinig mensen")
        assert await sequences(mine[1]) == [("E1 Koffietafel", 2, "CANCELLED")]
        token = await browser.csrf("/c/1/tables")
        await browser.post("/calendar/reset", {"csrf": token})
        async with aiohttp.ClientSession() as phone, phone.get(browser.base + feed[1]) as response:
            assert response.status == 404


async def test_a_public_community_is_readable_without_signing_in_but_not_its_people(db_path: Path) -> None:
    async with web_on(db_path, public=True) as (t, browser):
        await t.say("!kc post Open kennis | voor iedereen #open")
        await t.say("!kc event new Koffietafel | friday 10:00 | Utrecht | 5")
        assert "Open kennis" in (await browser.get("/c/1/"))[1]
        status, page = await browser.get("/c/1/posts/1")
        assert status == 200 and "voor iedereen" in page and "0 views" in page
        status, page = await browser.get("/c/1/tables/1")
        assert status == 200 and 'id="join"' not in page
        assert (await browser.get("/c/1/people"))[0] == 401
        assert (await browser.get("/c/1/overview"))[0] == 401
        assert (await browser.post("/c/1/tables/1/join", {"csrf": "x"}))[0] == 403
        assert (await browser.get("/c/1/calendar.ics"))[0] == 200
        assert (await browser.get("/c/2/calendar.ics"))[0] == 404


async def test_show_and_announcements_link_to_their_pages(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc post Koffie | tekst")
        assert f"{browser.base}/c/1/posts/1" in await t.say("!kc show #1")
        assert f"{browser.base}/c/1/tables/1" in await t.say("!kc event new Tafel | friday 10:00 | Utrecht | 5")


async def test_odd_parameters_get_pages_not_errors(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc post Koffie | tekst #koffie")
        await browser.sign_in(t)
        queries = ["?q=" + "woord " * 11, "?q=" + "x" * 4000, "?page=abc", "?page=-1", "?page=99999999",
                   "?tag=%3Cscript%3E", "?by=-1", "?by=99999999999999999999", "?q=%00%01%ED", "?q=%23koffie",
                   "?q=@nobody koffie", "?tag="]
        for query in queries:
            status, page = await browser.get("/c/1/" + query)
            assert status == 200, query
            assert "Something went wrong" not in page and "<script>" not in page
        assert (await browser.get("/c/1/?q=" + "x" * 20_000))[0] in (400, 414)  # refused by the HTTP server
        _, page = await browser.get("/c/1/?q=" + "woord%20" * 11)
        assert "10 words" in page
        _, page = await browser.get("/c/1/?q=%23koffie")
        assert "#1 Koffie" in page
        for path in ("/c/1/posts/0", "/c/1/posts/99", "/c/1/tables/7", "/c/1/people/424242", "/c/1/tables/1.ics"):
            assert (await browser.get(path))[0] == 404, path
        status, page = await browser.get("/c/1/people?topic=" + "%3Cb%3E" * 40)
        assert status == 200 and "<b>" not in page


async def test_sign_in_attempts_are_limited_per_address(db_path: Path) -> None:
    async with web_on(db_path) as (_t, browser):
        statuses = [(await browser.get("/signin/" + "A" * 43))[0] for _ in range(12)]
        assert statuses[:10] == [403] * 10 and statuses[10:] == [429, 429]


async def test_signing_out_ends_the_session(db_path: Path) -> None:
    async with web_on(db_path) as (t, browser):
        await browser.sign_in(t)
        token = await browser.csrf("/c/1/")
        await browser.post("/signout", {"csrf": token})
        assert (await browser.get("/c/1/"))[0] == 401


@pytest.mark.parametrize("weeks", ["", "?weeks=4", "?weeks=0", "?weeks=999"])
async def test_the_overview_draws_its_charts_and_offers_csv(db_path: Path, weeks: str) -> None:
    async with web_on(db_path) as (t, browser):
        await t.say("!kc post Koffie | tekst #koffie")
        await browser.sign_in(t)
        status, page = await browser.get("/c/1/overview" + weeks)
        assert status == 200 and page.count("<img") == 5
        for chart in ("activity", "attendance", "members", "contributors", "topics"):
            async with browser.http.get(f"{browser.base}/c/1/overview/{chart}.svg{weeks}") as response:
                assert response.status == 200 and response.content_type == "image/svg+xml"
                assert "<script" not in await response.text()
        status, csv = await browser.get("/c/1/overview.csv" + weeks)
        assert status == 200 and csv.startswith("week,posts,comments")


def test_the_web_is_off_by_default_and_its_keys_are_checked(tmp_path: Path) -> None:
    settings = load_settings(None, {})
    assert not settings.web.enabled and settings.web.bind == "127.0.0.1:8080"
    assert not settings.communities[0].web.public
    on = load_settings(None, {"KENNISCAFE_WEB_ENABLED": "true", "KENNISCAFE_WEB_BASE_URL": "https://kc.example.org/"})
    assert on.web.enabled and on.web.base_url == "https://kc.example.org"
    config = tmp_path / "bot.toml"
    config.write_text('[web]\nbind = "localhost"\nbase_url = "kc.example.org"\n'
                      '[[communities]]\nname = "K"\nmanagers = ["rene"]\nweb = { public = "yes" }\n')
    assert sorted(check_config_file(config, {})) == [
        'communities[0].web.public: expected true or false, got "yes"',
        'web.base_url: "kc.example.org" is not a URL; write e.g. "https://example.org"',
        'web.bind: "localhost" is not host:port; write e.g. "127.0.0.1:9108"',
    ]


async def test_a_port_in_use_stops_the_start_with_one_line(db_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = web_settings(db_path).model_copy(
            update={"web": WebSettings(enabled=True, bind=f"127.0.0.1:{port}")})
        with pytest.raises(StartupError, match=rf"web.bind: cannot listen on 127.0.0.1:{port}"):
            async with console_on(db_path, settings=settings):
                pass
