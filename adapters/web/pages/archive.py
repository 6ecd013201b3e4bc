"""The archive: newest first or searched (the chat's ranked search, with
snippets), by tag or by member, page by page; and one post's page."""

from __future__ import annotations

from aiohttp import web

from adapters.web.site import Site, number_in
from bot.commands.args import SearchArg, SearchQuery
from bot.messages import say_text
from bot.refusal import Refusal
from bot.text import TAG_RE, link_spans, normalize_tag, sanitize

PER_PAGE = 20
MAX_PAGE = 500
MAX_QUERY = 200
# Searches rank this many hits at most (pages past it would be empty).
SEARCH_HITS = 100
# Links that are documents rather than pages, by their ending.
_FILE_ENDINGS = (".pdf", ".ppt", ".pptx", ".key", ".odp", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ods",
                 ".csv", ".zip", ".png", ".jpg", ".jpeg", ".mp4", ".mp3")


def with_links(line: str) -> list[tuple[str, bool]]:
    """A line of text as pieces, each a link or not (templates escape both)."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in link_spans(line):
        pieces += [(line[position:start], False), (line[start:end], True)]
        position = end
    return [piece for piece in (*pieces, (line[position:], False)) if piece[0]]


def file_kind(url: str) -> str:
    """``PDF`` for a link to slides.pdf: the kind of file a link points at, by its name."""
    name = url.split("?", 1)[0].split("#", 1)[0].lower()
    return name.rsplit(".", 1)[-1].upper() if name.endswith(_FILE_ENDINGS) else ""


class ArchivePages:
    """``/c/<id>/`` and ``/c/<id>/posts/<number>``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[web.RouteDef]:
        """This part's routes."""
        return [
            web.get(r"/c/{community:\d+}/", self.archive),
            web.get(r"/c/{community:\d+}", self._slash),
            web.get(r"/c/{community:\d+}/posts/{number:\d+}", self.post),
        ]

    async def _slash(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(request.path + "/")

    async def archive(self, request: web.Request) -> web.StreamResponse:
        """Newest posts, or search results, with filters and pages."""
        site = self.site
        visit = await site.visit(request)
        community = visit.community
        query = sanitize(request.query.get("q", "")).strip()[:MAX_QUERY]
        tag = _tag(request.query.get("tag", ""))
        author = await self._author(request, community.id)
        page = _page(request)
        problem = None
        searched: SearchQuery | None = None
        if query:
            try:
                searched = SearchArg().take(query)[0]  # type: ignore[assignment]
            except Refusal as refusal:
                problem = say_text(visit.language, refusal.key, **{k: str(v) for k, v in refusal.values.items()})
        if searched is not None:
            tag = searched.tags[0] if searched.tags else tag
            if searched.members:
                found = await site.bot.repos.directory.find_member(community.id, searched.members[0])
                author = (found.id, found.display_name) if found else author
        author_id = author[0] if author else None
        if searched is not None and searched.words:
            hits = await site.bot.repos.archive.search(community.id, searched.words, tag=tag, author_id=author_id,
                                                       limit=min(page * PER_PAGE + 1, SEARCH_HITS))
            posts = hits[(page - 1) * PER_PAGE:]
        else:
            posts = await site.pages.posts(community.id, tag=tag, author_id=author_id,
                                           offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
        more = len(posts) > PER_PAGE
        tags = (await site.bot.repos.archive.tag_counts(community.id))[:30]
        return site.render("archive.html", visit.language, visit=visit, posts=posts[:PER_PAGE], more=more,
                           page=page, query=query, tag=tag, author=author, tags=tags, problem=problem,
                           searching=bool(searched and searched.words))

    async def post(self, request: web.Request) -> web.StreamResponse:
        """A post with its documents, reactions, comments, people and views."""
        site = self.site
        visit = await site.visit(request)
        post = await site.bot.repos.archive.get_post(visit.community.id, number_in(request, "number"))
        if post is None or post.removed:
            raise web.HTTPNotFound()
        now = site.now()
        views = await site.pages.viewed(post.id, visit.member.id if visit.member else None, now.date().isoformat())
        comments = await site.pages.comments(post.id)
        titles = dict(post.link_titles)
        documents = [(url, titles.get(url), file_kind(url)) for url in post.links]
        paragraphs = [with_links(line) for line in post.body.splitlines() if line.strip()] \
            if post.body != post.title else []
        return site.render("post.html", visit.language, visit=visit, post=post, views=views, comments=comments,
                           documents=documents, paragraphs=paragraphs)

    async def _author(self, request: web.Request, community_id: int) -> tuple[int, str] | None:
        """The member of ``?by=<id>``, if they belong to the community."""
        by = request.query.get("by", "")
        if not by.isascii() or not by.isdigit() or len(by) > 9:
            return None
        member = await self.site.pages.member(community_id, int(by))
        return (member.id, member.display_name) if member else None


def _page(request: web.Request) -> int:
    """``?page=N``, from 1 to :data:`MAX_PAGE` (anything else is page 1)."""
    text = request.query.get("page", "1")
    return min(int(text), MAX_PAGE) if text.isascii() and text.isdigit() and 0 < len(text) < 5 and int(text) else 1


def _tag(text: str) -> str | None:
    """``?tag=`` as a stored tag, or None when it is none."""
    tag = normalize_tag(sanitize(text.strip())[:60])
    return tag if TAG_RE.fullmatch(f"#{tag}") else None
