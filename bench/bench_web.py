"""Server time of the web pages on the 200k-post benchmark database.

The database is bench_search's (200k posts, 200 members, 30 tags on a
fifth of the posts), copied for this run (the pages write: a post page
counts a view, signing in stores a session). The core is built as the
product builds it, ``running_core`` with ``[web]`` on, and a member is
signed in by a session row (``SqlWebAccess.add_session``) whose cookie goes
with every request. The posts whose pages are asked for get a few comments
and reactions first, so that their pages show some.

Pages asked, one request at a time from an aiohttp client on loopback,
after a warm-up of each kind (the database file read into the page cache
first):
- the archive, page 1 and page 50 (newest posts, 20 a page, with the tag
  list beside them), and page 1 of one tag;
- searches (``?q=``): words drawn by their frequency in the text (one or
  two, bench_search's query sets: common words dominate) and words drawn
  uniformly from the vocabulary (mostly rare);
- post pages of posts drawn at random (each a member's first view of the
  post that day: the view is written).

Ours, the figure with the target: the SERVER time of a page, from the
moment aiohttp hands the parsed request to the application until the
handler's response is ready (the site's middlewares, the session lookup,
the reads, the template and the encoding of the page), by ``perf_counter``
in a middleware put outside the site's own: the same ``WebServer`` on the
same ``Site`` as the core's, with that middleware added. Not in it: reading
the request off the socket and writing the page to it.

Beside it, in the same run on the same data:
- "its reads alone": the repository calls the page's handler makes (the
  session and memberships lookup, the posts or the search, the tag counts;
  for a post: the post, counting the view, the comments), called directly
  without HTTP or templates (for the post page by another member, so the
  view is written there too): what templates and aiohttp add is the
  difference;
- "request, client": the whole request as the client sees it, loopback and
  both HTTP stacks included;
- "static page, client": the same, from a bare aiohttp handler returning
  the bytes of one of these pages (the floor of the HTTP stack here);
- "ours on postgresql": the server time on a PostgreSQL copy of the same
  database (a copy, made with CREATE DATABASE ... TEMPLATE, of bench_search's
  cached ``kenniscafe_bench_search_<key>``, named after this process and
  dropped afterwards); skipped when no server answers.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus

import aiohttp
import asyncpg
from aiohttp import web

from adapters.runtime import Core, running_core
from adapters.web.access import COOKIE
from adapters.web.pages.archive import PER_PAGE, SEARCH_HITS
from adapters.web.server import Handler, WebServer
from adapters.web.site import Site
from bench.bench_search import (
    COMMUNITY_ID,
    FULL,
    LANGUAGE,
    QUICK,
    Params,
    _as_built,
    _prewarm,
    ensure_database,
    ensure_postgres,
    query_sets,
)
from bench.common import Result, percentile, warm_file
from bench.postgres import admin, url_of
from bot.commands.args import SearchArg, SearchQuery
from bot.config import Settings
from bot.ports import SystemClock
from bot.services.web import token_hash
from storage.engine import sqlite_url_for_path
from storage.sql import Sql, stamp

TARGET_P95_MS = 50.0
DEEP_PAGE = 50
# The member signed in over HTTP, and the one whose reads are timed alone
# (another member: each first view of a post is written for both).
READER, READS_ALONE = 1, 2
# The PostgreSQL copy of this run (the process id: runs at once, a quick one
# by the tests beside a full one, do not drop each other's).
PG_COPY = f"kenniscafe_bench_web_{os.getpid()}"
PG = "ours on postgresql"
READS = "its reads alone"
CLIENT = "request, client"
STATIC = "static page, client"


@dataclass(frozen=True)
class Page:
    """One request: its path and what the handler reads for it."""

    path: str
    page: int = 1
    tag: str | None = None
    words: tuple[str, ...] = ()  # a search
    number: int = 0  # a post page


@dataclass
class Timings:
    """Milliseconds per request of one kind of page."""

    server: list[float] = field(default_factory=list)
    client: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    static: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    body: bytes = b""  # one of the pages, for the static baseline


def _archive(page: int = 1, tag: str | None = None) -> Page:
    query = "&".join(([f"tag={tag}"] if tag else []) + ([f"page={page}"] if page > 1 else []))
    return Page(f"/c/{COMMUNITY_ID}/" + (f"?{query}" if query else ""), page=page, tag=tag)


def _search(words: list[str]) -> Page:
    return Page(f"/c/{COMMUNITY_ID}/?q={quote_plus(' '.join(words))}", words=tuple(words))


def _post(number: int) -> Page:
    return Page(f"/c/{COMMUNITY_ID}/posts/{number}", number=number)


def plan(params: Params, quick: bool) -> dict[str, tuple[list[Page], list[Page]]]:
    """Per kind of page: the warm-up requests, then the measured ones."""
    n, warm = (20, 5) if quick else (200, 30)
    rng = random.Random(params.seed + 21)
    sets = query_sets(params)
    half = n // 2

    def searches(one: str, two: str) -> tuple[list[Page], list[Page]]:
        ones, twos = sets[one], sets[two]
        measured = [_search(words) for pair in zip(ones[:half], twos[:half]) for words in pair]
        warmup = [_search(words) for pair in zip(ones[half:half + warm // 2], twos[half:half + warm // 2])
                  for words in pair]
        return warmup, measured

    numbers = rng.sample(range(1, params.posts + 1), n + warm)
    tags = [f"tag{rng.randrange(30)}" for _ in range(n + warm)]
    return {
        "archive, page 1": ([_archive()] * warm, [_archive()] * n),
        f"archive, page {DEEP_PAGE}": ([_archive(DEEP_PAGE)] * warm, [_archive(DEEP_PAGE)] * n),
        "archive, one tag, page 1": ([_archive(tag=t) for t in tags[n:]], [_archive(tag=t) for t in tags[:n]]),
        "search, words by frequency": searches("1 word, by frequency", "2 words, by frequency"),
        "search, words uniform (rare)": searches("1 word, uniform", "2 words, uniform"),
        "post page": ([_post(i) for i in numbers[n:]], [_post(i) for i in numbers[:n]]),
    }


class _TimedServer(WebServer):
    """The site's web server with one more middleware, outside its own,
    that times each request's handling."""

    def __init__(self, site: Site) -> None:
        super().__init__(site, "127.0.0.1", 0)
        self.timings: list[float] = []

    def app(self) -> web.Application:
        app = super().app()
        app.middlewares.insert(0, self._timed)
        return app

    @web.middleware
    async def _timed(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self.timings.append((time.perf_counter() - started) * 1000)


def _settings(database: str) -> Settings:
    """The product's settings on the benchmark database: its community (same
    name, zone and language, so nothing is re-indexed) and the web on."""
    return Settings.model_validate({
        "bot": {"database": database},
        "web": {"enabled": True, "bind": "127.0.0.1:0"},
        "communities": [{"name": "Kenniscafé", "timezone": "Europe/Amsterdam", "language": LANGUAGE,
                         "managers": ["rene"], "rooms": ["console"]}],
    })


async def _sign_in(site: Site, member_id: int) -> str:
    """A session for the member, as pressing a sign-in link makes; its cookie."""
    cookie = secrets.token_urlsafe(32)
    now = site.now()
    await site.access.add_session(token_hash(cookie), member_id, now, now + timedelta(days=1))
    return cookie


async def _discuss(core: Core, numbers: list[int], params: Params) -> None:
    """A few comments and reactions on the posts whose pages are asked for."""
    rng = random.Random(params.seed + 22)
    others = range(3, params.members + 1)  # not the members who read
    now = core.bot.clock.now()
    async with core.db.write() as session:
        sql = await Sql.of(session)
        at = stamp(session, now)
        for number in numbers:
            post_id = (await sql.all("SELECT id FROM post WHERE community_id = :c AND number = :n",
                                     {"c": COMMUNITY_ID, "n": number}))[0][0]
            for member in rng.sample(others, rng.randint(0, 6)):
                await sql.run("INSERT INTO reaction (post_id, member_id, emoji, created_at) VALUES (:p, :m, :e, :at)",
                              {"p": post_id, "m": member, "e": rng.choice("👍🎉❤"), "at": at})
            for _ in range(rng.randint(0, 4)):
                await sql.run("INSERT INTO comment (post_id, member_id, body, created_at) VALUES (:p, :m, :b, :at)",
                              {"p": post_id, "m": rng.choice(others), "at": at,
                               "b": "Eens! Het team deelt kennis over koffie en data, zie de slides."})


async def _reads(site: Site, page: Page, session_hash: str) -> None:
    """What the page's handler reads, called directly."""
    now = site.now()
    member_id = await site.access.session_member(session_hash, now)
    assert member_id is not None
    await site.access.memberships(member_id)
    archive = site.bot.repos.archive
    if page.number:
        post = await archive.get_post(COMMUNITY_ID, page.number)
        assert post is not None
        await site.pages.viewed(post.id, member_id, now.date().isoformat())
        await site.pages.comments(post.id)
        return
    if page.words:
        searched: SearchQuery = SearchArg().take(" ".join(page.words))[0]  # type: ignore[assignment]
        await archive.search(COMMUNITY_ID, searched.words, tag=None, author_id=None,
                             limit=min(page.page * PER_PAGE + 1, SEARCH_HITS))
    else:
        await site.pages.posts(COMMUNITY_ID, tag=page.tag, author_id=None, offset=(page.page - 1) * PER_PAGE,
                               limit=PER_PAGE + 1)
    await archive.tag_counts(COMMUNITY_ID)


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[float, bytes]:
    """Milliseconds of one request as the client sees it, and the page."""
    started = time.perf_counter()
    async with http.get(url, allow_redirects=False) as response:
        body = await response.read()
        status = response.status
    elapsed = (time.perf_counter() - started) * 1000
    assert status == 200, (url, status, body[:500])
    return elapsed, body


async def measure(database: str, kinds: dict[str, tuple[list[Page], list[Page]]], params: Params, *,
                  warm: Path | None = None, reads: bool = True) -> dict[str, Timings]:
    """Every kind of page on one database: server and client time, and
    (``reads``) the handler's reads alone."""
    results: dict[str, Timings] = {}
    async with running_core(_settings(database), SystemClock()) as core:
        assert core.web is not None and core.bot.communities[0].id == COMMUNITY_ID
        server = _TimedServer(core.web.site)
        await server.start()
        try:
            site = server.site
            cookie = await _sign_in(site, READER)
            alone = token_hash(await _sign_in(site, READS_ALONE))
            await _discuss(core, [page.number for warmup, measured in kinds.values()
                                  for page in [*warmup, *measured] if page.number], params)
            async with aiohttp.ClientSession(headers={"Cookie": f"{COOKIE}={cookie}"}) as http:
                for kind, (warmup, measured) in kinds.items():
                    timings = results[kind] = Timings()
                    if warm is not None:
                        warm_file(warm)
                    for page in warmup:
                        await _get(http, server.url + page.path)
                    for page in measured:
                        before = len(server.timings)
                        elapsed, body = await _get(http, server.url + page.path)
                        assert len(server.timings) == before + 1
                        timings.server.append(server.timings[-1])
                        timings.client.append(elapsed)
                        timings.sizes.append(len(body))
                        timings.body = timings.body or body
                    if reads:
                        for page in measured:
                            started = time.perf_counter()
                            await _reads(site, page, alone)
                            timings.reads.append((time.perf_counter() - started) * 1000)
        finally:
            await server.stop()
    return results


async def measure_static(results: dict[str, Timings], counts: dict[str, int]) -> None:
    """The static baseline: a bare aiohttp handler returning one of each
    kind's pages, asked as often as ours, by the same client."""
    bodies = {str(i): timings.body for i, timings in enumerate(results.values())}

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=bodies[request.match_info["kind"]], content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/static-page/{kind}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(headers={"Cookie": f"{COOKIE}={'x' * 43}"}) as http:
            for i, (kind, timings) in enumerate(results.items()):
                url = f"http://127.0.0.1:{port}/static-page/{i}"
                for _ in range(10):
                    await _get(http, url)
                for _ in range(counts[kind]):
                    timings.static.append((await _get(http, url))[0])
    finally:
        await runner.cleanup()


@contextmanager
def _sqlite_copy(source: Path) -> Iterator[Path]:
    """A copy of the cached database for this run (the pages write)."""
    with tempfile.TemporaryDirectory(prefix="kc-web-") as folder:
        path = Path(folder) / "web.db"
        shutil.copyfile(source, path)
        _as_built(path)  # every run measures the first search of a word's surface form
        yield path


async def _postgres_copy(template: str) -> str:
    """A copy of bench_search's PostgreSQL database, made anew; its URL.
    The template may have no other connection: while a search benchmark
    reads it, this waits (a minute at most)."""
    await admin(f'DROP DATABASE IF EXISTS "{PG_COPY}" WITH (FORCE)')
    for attempt in range(60):
        try:
            await admin(f'CREATE DATABASE "{PG_COPY}" TEMPLATE "{template}"')
            break
        except asyncpg.ObjectInUseError:
            if attempt == 59:
                raise
            await asyncio.sleep(1)
    url = url_of(PG_COPY)
    await _prewarm(url)
    return url


def run(quick: bool) -> list[Result]:
    params = QUICK if quick else FULL
    kinds = plan(params, quick)
    source = ensure_database(params)
    with _sqlite_copy(source) as path:
        warm_file(path)
        ours = asyncio.run(measure(sqlite_url_for_path(path), kinds, params, warm=path))
        size_mb = path.stat().st_size / 1e6
    asyncio.run(measure_static(ours, {kind: len(measured) for kind, (_, measured) in kinds.items()}))

    postgres: dict[str, Timings] = {}
    built = asyncio.run(ensure_postgres(params, source))
    if built is not None:
        try:
            url = asyncio.run(_postgres_copy(built[0].rsplit("/", 1)[1]))
            postgres = asyncio.run(measure(url, kinds, params, reads=False))
        except (OSError, asyncpg.PostgresError) as problem:
            print(f"   (PostgreSQL copy failed: {problem}; its figures are skipped)")
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{PG_COPY}" WITH (FORCE)'))

    results = []
    for index, (kind, timings) in enumerate(ours.items()):
        for q in (50, 95):
            value = percentile(timings.server, q)
            baselines = {READS: percentile(timings.reads, q), CLIENT: percentile(timings.client, q),
                         STATIC: percentile(timings.static, q)}
            if postgres:
                baselines[PG] = percentile(postgres[kind].server, q)
            note = ""
            if q == 50:
                note = (f"{len(timings.server)} requests after {len(kinds[kind][0])} to warm up; pages of"
                        f" {sum(timings.sizes) / len(timings.sizes) / 1000:.0f} kB on average")
                if index == 0:
                    note += (f"; {params.posts:,} posts, {params.members} members, SQLite database"
                             f" {size_mb:,.0f} MB. Ours: server time (the middlewares, session lookup, reads,"
                             " template and encoding; not the socket), timed in a middleware of the product's"
                             " WebServer. Reads alone: the handler's repository calls without HTTP or"
                             " templates. Client columns: the whole request over loopback, ours and a bare"
                             " aiohttp handler returning one of these pages. On PostgreSQL: our server time on a copy of the same database")
            results.append(Result(
                f"{kind}, p{q}", value, "ms", baselines,
                target=f"< {TARGET_P95_MS:g}" if q == 95 else None,
                passed=value < TARGET_P95_MS if q == 95 else None,
                note=note,
            ))
    return results
