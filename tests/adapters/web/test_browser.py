"""The web pages in a real browser (issue 14's "done when"): Debian's
Chromium, driven by Playwright, does what a member does — opens the link
the bot sent in chat, presses Sign in, reads the archive, searches, opens
a post, joins a full coffee table, looks at the people and the overview —
and the tests check what the page shows. The first test runs the real
program (`kenniscafe run`) with a console session on a pipe; the others
run the bot in process with a clock they move. Each main page is saved as
a full-page PNG under ``build/screenshots/`` for people to look at."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, Response, async_playwright

from bot.config import Settings
from tests.conftest import FakeClock, Transcript, console_on, database_url_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "build" / "screenshots"
KENNISCAFE = Path(sys.executable).parent / "kenniscafe"
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/signin/[A-Za-z0-9_-]+")
XSS_TITLE = "<img src=x onerror=alert(1)>"
CHARTS = ("activity", "attendance", "members", "contributors", "topics")
# Wait this long at most for the program's answers and for a page.
PATIENCE = 30

# What rene, then martin, type at the console of the running program.
SESSION = [
    f"!kc post {XSS_TITLE} | Een verhaal over koffiebonen en het branden ervan #koffie",
    ("!kc post Slides van de lezing | De slides over fermentatie staan hier: "
     "https://example.org/slides/fermentatie.pdf #lezing #fermentatie"),
    "!kc post Thee of koffie | Over water, thee en het juiste moment #thee #koffie",
    "!kc event new Koffietafel | friday 10:00 | Utrecht | 1",
    "/as martin",
    "!kc join E1",
    "/as rene",
    "!kc web",
]


# -- the browser ------------------------------------------------------------


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium, or the test is skipped saying how to get it."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """A headless Chromium for one test (it starts in about a second)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


class Tab:
    """One browser window of one person: its own cookies, and every
    JavaScript dialog it would have shown (there must never be one)."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)

    async def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    async def open(self, url: str) -> Response:
        """Go to ``url`` and wait for the page, images included."""
        response = await self.page.goto(url, wait_until="load", timeout=PATIENCE * 1000)
        assert response is not None, url
        return response

    async def text(self, selector: str) -> str:
        """The visible text of the one element at ``selector``."""
        return (await self.page.locator(selector).inner_text()).strip()

    async def texts(self, selector: str) -> list[str]:
        """The visible texts of every element at ``selector``."""
        return [text.strip() for text in await self.page.locator(selector).all_inner_texts()]

    async def click_to(self, selector: str, url: str | re.Pattern[str]) -> None:
        """Click (a link, a button) and wait until the page at ``url`` has loaded."""
        await self.page.locator(selector).click()
        await self.page.wait_for_url(url, wait_until="load", timeout=PATIENCE * 1000)

    async def sign_in(self, link: str) -> None:
        """Open a sign-in link from chat and press the button."""
        response = await self.open(link)
        assert response.status == 200
        assert await self.text("h1") == "Sign in"
        await self.click_to("#sign-in", re.compile(r"/c/\d+/$"))

    async def screenshot(self, name: str) -> None:
        """The whole page as ``build/screenshots/<name>.png``."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def new_tab(browser: Browser) -> Tab:
    """A fresh window with no cookies (another person, or another device)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    return Tab(context, await context.new_page())


async def refusal(tab: Tab) -> str:
    """The sentence a refusal page says."""
    return await tab.text(".refusal .lead")


# -- the real program ---------------------------------------------------------


class RunningProgram:
    """`kenniscafe run` as a process: its console fed from a pipe, its
    output read line by line."""

    def __init__(self, process: asyncio.subprocess.Process, errors: Path) -> None:
        self.process = process
        self.errors = errors
        self.output: list[str] = []

    async def type(self, lines: list[str]) -> None:
        """Type lines at the console (the pipe stays open: the bot keeps running)."""
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines).encode())
        await self.process.stdin.drain()

    async def line_matching(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """Read the output until a line matches ``pattern``."""
        assert self.process.stdout is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while True:
            try:
                raw = await asyncio.wait_for(self.process.stdout.readline(), deadline - loop.time())
            except TimeoutError:
                raise AssertionError(f"no line matching {pattern.pattern} in:\n{self.transcript()}") from None
            if not raw:
                raise AssertionError(f"the bot ended (exit {await self.process.wait()}) before a line matching "
                                     f"{pattern.pattern}:\n{self.transcript()}")
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.output.append(line)
            if found := pattern.search(line):
                return found

    async def stop(self) -> int:
        """SIGTERM, as an operator stops it; its exit status."""
        assert self.process.stdout is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(self.process.stdout.read(), PATIENCE)
        self.output += rest.decode("utf-8", "replace").splitlines()
        return await asyncio.wait_for(self.process.wait(), PATIENCE)

    def transcript(self) -> str:
        """What it printed, and what it logged."""
        errors = self.errors.read_text(errors="replace") if self.errors.exists() else ""
        return "\n".join(self.output) + "\n--- stderr:\n" + errors


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def program(chromium: Path, tmp_path: Path) -> AsyncIterator[tuple[RunningProgram, int]]:
    """The real program with the web pages on, on a database of its own in
    ``tmp_path``, and the port its pages listen on; killed if a test leaves
    it running."""
    port = free_port()
    database = database_url_for(tmp_path / "kc.db")
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndatabase = "{database}"\ndata_dir = "{tmp_path / "data"}"\n\n'
        '[console]\nuser = "rene"\n\n'
        f'[web]\nenabled = true\nbind = "127.0.0.1:{port}"\n\n'
        '[[communities]]\nname = "Kenniscafé"\nmanagers = ["rene"]\nrooms = ["console"]\n',
        encoding="utf-8",
    )
    environment = {name: value for name, value in os.environ.items() if not name.startswith("KENNISCAFE_")}
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            str(KENNISCAFE), "run", "--config", str(config), cwd=tmp_path, env=environment,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr)
    running = RunningProgram(process, errors)
    try:
        yield running, port
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_member_signs_in_from_chat_and_uses_the_pages(
    browser: Browser, program: tuple[RunningProgram, int]
) -> None:
    bot, port = program
    await bot.type(SESSION)
    link_line = await bot.line_matching(re.compile(r"^\[m\d+\] bot → rene \(DM\): .*" + LINK.pattern))
    link = LINK.search(link_line[0])
    assert link is not None and int(link[1]) == port, bot.transcript()
    table_page = f"http://127.0.0.1:{port}/c/1/tables/1"
    assert any(line.strip() == f"On the web: {table_page}" for line in bot.output), bot.transcript()
    tab = await new_tab(browser)

    # Sign in: the link shows a button; pressing it lands on the archive.
    await tab.sign_in(link[0])
    assert tab.page.url == f"http://127.0.0.1:{port}/c/1/"
    assert await tab.text("h1") == "Newest posts"
    assert await tab.text("header .who a") == "rene"
    titles = await tab.texts("ol.posts li.post a.title")
    assert titles == ["#3 Thee of koffie", "#2 Slides van de lezing", f"#1 {XSS_TITLE}"]
    # The hostile title is text on the page, not an image that runs a script.
    assert await tab.page.locator('img[src="x"]').count() == 0
    assert await tab.page.locator("main img").count() == 0
    assert "#koffie" in await tab.texts("aside.tags a.tag")
    await tab.screenshot("archive")

    # Search: ranked results, the matching words marked.
    await tab.page.locator("input[name=q]").fill("fermentatie")
    await tab.click_to("form.search button[type=submit]", re.compile(r"\?q=fermentatie$"))
    assert await tab.text("h1") == "Results for “fermentatie”"
    assert await tab.texts("ol.posts li.post a.title") == ["#2 Slides van de lezing"]
    marked = await tab.texts("ol.posts li.post .snippet mark")
    assert marked and all(word.lower() == "fermentatie" for word in marked)
    await tab.screenshot("search")

    # A post: its title, its document, and one view (this member, today).
    await tab.click_to("ol.posts li.post a.title", re.compile(r"/c/1/posts/2$"))
    assert await tab.text("h1") == "#2 Slides van de lezing"
    assert await tab.text("#views") == "1 view"
    document = tab.page.locator("ul.documents li a")
    assert await document.get_attribute("href") == "https://example.org/slides/fermentatie.pdf"
    assert await tab.text("ul.documents li .kind") == "PDF"
    assert "De slides over fermentatie staan hier" in await tab.text("article .body")
    await tab.screenshot("post")
    await tab.open(f"http://127.0.0.1:{port}/c/1/posts/2")
    assert await tab.text("#views") == "1 view"  # again today: still one
    await tab.open(f"http://127.0.0.1:{port}/c/1/posts/1")
    assert await tab.text("h1") == f"#1 {XSS_TITLE}"
    assert await tab.page.title() == f"#1 {XSS_TITLE} · Kenniscafé"
    assert await tab.page.locator('img[src="x"]').count() == 0

    # The coffee tables: E1 is full (martin took the only seat).
    await tab.click_to("header nav a >> text=Coffee tables", re.compile(r"/c/1/tables$"))
    assert await tab.text("h1") == "Upcoming coffee tables"
    assert (await tab.texts("ol.tables li.table a.title")) == ["E1 Koffietafel"]
    await tab.screenshot("tables")
    await tab.click_to("ol.tables li.table a.title", re.compile(r"/c/1/tables/1$"))
    assert await tab.text("h1") == "E1 Koffietafel"
    assert await tab.texts("ol#going li") == ["martin"]
    assert await tab.text("#mine") == "You're not signed up."
    await tab.click_to("#join", re.compile(r"/c/1/tables/1$"))
    said = await tab.text("#said")
    assert "full" in said and "number 1 on the waitlist" in said, said
    assert await tab.texts("ol#going li") == ["martin"]
    assert await tab.texts("ol#waitlist li") == ["rene"]
    assert await tab.text("#mine") == "You're on the waitlist, place 1."
    assert await tab.page.locator("#join").count() == 0
    assert await tab.page.locator("#leave").count() == 1
    await tab.screenshot("table-waitlist")
    await tab.open(table_page)  # the link in the announcement
    assert await tab.page.locator("#said").count() == 0  # said once, then gone
    assert await tab.text("#mine") == "You're on the waitlist, place 1."

    # People: both members, rene as a manager.
    await tab.click_to("header nav a >> text=People", re.compile(r"/c/1/people$"))
    people = await tab.texts("ul.people > li > a")
    assert sorted(people) == ["martin", "rene"]
    assert "3 posts" in await tab.text("ul.people > li:has(> a:text-is('rene'))")
    await tab.screenshot("people")

    # The overview (rene manages): every chart has loaded, with its numbers beside it.
    await tab.click_to("header nav a >> text=Overview", re.compile(r"/c/1/overview$"))
    assert await tab.text("h1") == "How the community is doing: the last 12 weeks"
    for chart in CHARTS:
        width = await tab.page.evaluate(
            "id => { const img = document.getElementById(id); return img.complete ? img.naturalWidth : 0; }",
            f"chart-{chart}")
        assert width > 0, f"the {chart} chart did not load"
    activity = tab.page.locator("section.chart", has=tab.page.locator("#chart-activity"))
    posts_per_week = [int(cell) for cell in await activity.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert len(posts_per_week) == 12 and sum(posts_per_week) == 3
    contributors = tab.page.locator("section.chart", has=tab.page.locator("#chart-contributors"))
    assert await contributors.locator("tbody tr").first.locator("td").all_inner_texts() == ["rene", "3", "0"]
    topics = tab.page.locator("section.chart", has=tab.page.locator("#chart-topics"))
    rows = [await row.locator("td").all_inner_texts() for row in await topics.locator("tbody tr").all()]
    assert ["#koffie", "2"] in rows and ["#fermentatie", "1"] in rows
    await tab.screenshot("overview")
    assert tab.dialogs == []

    # The link worked once: another browser that opens it is refused, in words.
    stranger = await new_tab(browser)
    response = await stranger.open(link[0])
    assert response.status == 403
    assert await refusal(stranger) == ("This sign-in link was used already or has expired. "
                                       "Type !kc web in chat for a new one.")
    assert await stranger.page.locator("#sign-in").count() == 0
    await stranger.screenshot("refusal-link-used")

    assert await bot.stop() == 0, bot.transcript()
    logged = bot.errors.read_text(errors="replace")
    assert "Traceback" not in logged and " ERROR " not in logged, logged


# -- in process, with a clock the test moves ----------------------------------


def two_communities(db_path: Path) -> Settings:
    """Rene's community on the console, another one elsewhere; pages on a free port."""
    return Settings.model_validate({
        "bot": {"database": database_url_for(db_path)},
        "web": {"enabled": True, "bind": "127.0.0.1:0"},
        "communities": [
            {"name": "Kenniscafé", "rooms": ["console"], "managers": ["rene"]},
            {"name": "Andere club", "rooms": ["!room:example.org"], "managers": ["@ann:example.org"]},
        ],
    })


async def link_for(t: Transcript, user: str = "rene") -> str:
    """The sign-in link `web` sends ``user`` privately."""
    answer = await t.say("!kc web", as_user=user)
    found = LINK.search(answer)
    assert found and f"bot → {user} (DM)" in answer, answer
    return found[0]


async def test_a_link_pressed_after_fifteen_minutes_is_refused_and_a_new_one_works(
    browser: Browser, db_path: Path
) -> None:
    clock = FakeClock()
    async with console_on(db_path, clock=clock, settings=two_communities(db_path)) as t:
        assert t.core.web is not None
        base = t.core.web.url
        link = await link_for(t)
        assert link.startswith(f"{base}/signin/")
        tab = await new_tab(browser)
        response = await tab.open(link)
        assert response.status == 200 and await tab.page.locator("#sign-in").count() == 1
        clock.advance(timedelta(minutes=16))  # the member came back to the tab later
        await tab.page.locator("#sign-in").click()
        await tab.page.wait_for_load_state("load")
        assert await refusal(tab) == ("This sign-in link was used already or has expired. "
                                      "Type !kc web in chat for a new one.")
        assert await tab.text("header .who") == "Not signed in"
        response = await tab.open(link)
        assert response.status == 403 and await tab.page.locator("#sign-in").count() == 0
        response = await tab.open(f"{base}/c/1/")
        assert response.status == 401
        assert await refusal(tab) == ("Sign in to see this page: type !kc web in a chat room of your "
                                      "community and open the link I send you.")

        await tab.sign_in(await link_for(t))
        assert tab.page.url == f"{base}/c/1/"
        assert await tab.text("h1") == "Newest posts"
        assert await tab.texts("ol.posts li") == []
        assert await tab.text("main .muted") == "No posts found."
        assert tab.dialogs == []


async def test_members_see_their_own_community_and_only_managers_the_overview(
    browser: Browser, db_path: Path
) -> None:
    async with console_on(db_path, clock=FakeClock(), settings=two_communities(db_path)) as t:
        assert t.core.web is not None
        base = t.core.web.url
        await t.say("!kc post Koffie zetten | met een filter #koffie")
        rene = await new_tab(browser)
        await rene.sign_in(await link_for(t))

        response = await rene.open(f"{base}/c/2/")
        assert response.status == 403
        assert await refusal(rene) == "This page belongs to a community you are not a member of."
        assert "Koffie zetten" not in await rene.text("main")
        response = await rene.open(f"{base}/c/3/")
        assert response.status == 404 and await refusal(rene) == "There is no such page."

        response = await rene.open(f"{base}/c/1/overview")
        assert response.status == 200
        assert await rene.text("h1") == "How the community is doing: the last 12 weeks"
        assert "Overview" in await rene.texts("header nav a")

        sara = await new_tab(browser)
        await sara.sign_in(await link_for(t, "sara"))
        assert sara.page.url == f"{base}/c/1/"
        assert await sara.texts("ol.posts li.post a.title") == ["#1 Koffie zetten"]
        assert await sara.texts("header nav a") == ["Archive", "Coffee tables", "People"]
        response = await sara.open(f"{base}/c/1/overview")
        assert response.status == 403
        assert await refusal(sara) == "Only managers of this community can see this page."
        assert await sara.page.locator("img#chart-activity").count() == 0
        await sara.screenshot("refusal-managers-only")
        response = await sara.open(f"{base}/c/1/overview/activity.svg")
        assert response.status == 403
        assert rene.dialogs == [] and sara.dialogs == []
