"""The knowledge archive: post, save, show, comment, react, search, list, remove."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.commands.args import PostArg, PostTextArg, SearchArg, SearchQuery, TagsArg, TextArg
from bot.commands.registry import Args, Context, Response, command
from bot.domain import (
    Anchor,
    CommunityInfo,
    MemberInfo,
    NewPost,
    PostDetails,
    PostSummary,
    Role,
    SourceMessage,
    reading_language,
)
from bot.incoming import QuotedMessage
from bot.messages import count, say, say_text, typed_command
from bot.ports import Archive, Directory
from bot.richtext import (
    Block,
    Bold,
    BulletList,
    Code,
    Document,
    Inline,
    Link,
    Paragraph,
    Text,
    document,
    inlines,
    join_inlines,
)
from bot.text import (
    ParsedPostText,
    clean_text,
    find_links,
    find_tags,
    link_spans,
    parse_post_number,
    title_from_message,
)
from bot.timefmt import format_day
from bot.weblinks import WebLinks

SEARCH_LIMIT = 5
RECENT_LIMIT = 10
BOOKMARK = "🔖"


def post_ref(number: int) -> Bold:
    """``#12`` in bold: how a post id is shown."""
    return Bold((Text(f"#{number}"),))


def tag_text(tag: str) -> str:
    """``#tag``."""
    return f"#{tag}"


def snippet_inlines(snippet: Sequence[tuple[str, bool]]) -> tuple[Inline, ...]:
    """A search snippet, indented under its hit: the post's words as text
    (every renderer escapes them), the matched ones in bold."""
    return (Text("    "), *(Bold((Text(part),)) if marked else Text(part) for part, marked in snippet))


def body_inlines(body: str) -> tuple[Inline, ...]:
    """A body with its links as link pieces and everything else as text."""
    parts: list[Inline] = []
    position = 0
    for start, end in link_spans(body):
        if start > position:
            parts.append(Text(body[position:start]))
        parts.append(Link(body[start:end]))
        position = end
    if position < len(body):
        parts.append(Text(body[position:]))
    return tuple(parts)


class ArchiveService:
    """Commands and reactions of the knowledge archive."""

    def __init__(self, archive: Archive, directory: Directory, web: WebLinks | None = None) -> None:
        self.archive = archive
        self.directory = directory
        self.web = web  # the web pages' addresses, when they are on

    # -- commands -----------------------------------------------------------

    @command("post", PostTextArg())
    async def post(self, ctx: Context, args: Args) -> Response:
        """Archive a typed post."""
        content = args.get("content")
        ref = ctx.message.ref
        saved = await self.archive.create_post(
            NewPost(
                community_id=ctx.community.id,
                author_id=ctx.member.id,
                title=content.title,
                body=content.body,
                tags=content.tags,
                links=content.links,
                created_at=ctx.now,
                # The command's message: editing it edits the post.
                source=SourceMessage(ref.room.platform, ref.room.room_id, ref.message_id),
            )
        )
        return self._saved_reply(ctx.language, saved.id, saved.number, content.title, content.tags, content.links)

    @command("save", TagsArg())
    async def save(self, ctx: Context, args: Args) -> Response:
        """Archive the chat message this command replies to."""
        quoted = ctx.message.reply_to
        if quoted is None:
            save_cmd = typed_command(ctx.language, ctx.prefix, "save")
            return Response(document(say(ctx.language, "save.no_reply", save=save_cmd)))
        return await self.archive_message(ctx.community, ctx.member, quoted, args.get("tags"), ctx.now)

    @command("show", PostArg())
    async def show(self, ctx: Context, args: Args) -> Response:
        """Show a post with everything known about it."""
        post = await self._visible_post(ctx, args.get("post"))
        if isinstance(post, Response):
            return post
        return Response(self._details(ctx, post), anchor=Anchor(post.id, post.number))

    @command("comment", PostArg(), TextArg("text"))
    async def comment(self, ctx: Context, args: Args) -> Response:
        """Add a comment to a post."""
        post = await self._visible_post(ctx, args.get("post"))
        if isinstance(post, Response):
            return post
        ref = ctx.message.ref
        return await self.add_comment(ctx.community, post.id, post.number, ctx.member, args.get("text"), ctx.now,
                                      SourceMessage(ref.room.platform, ref.room.room_id, ref.message_id))

    @command("search", SearchArg())
    async def search(self, ctx: Context, args: Args) -> Response:
        """Ranked full-text search, best few first."""
        query: SearchQuery = args.get("query")
        author_id: int | None = None
        for name in query.members:
            member = await self.directory.find_member(ctx.community.id, name)
            if member is None:
                return Response(document(say(ctx.language, "search.unknown_member", name=name)))
            author_id = member.id
        tag = query.tags[0] if query.tags else None
        hits = await self.archive.search(
            ctx.community.id, query.words, tag=tag, author_id=author_id, limit=SEARCH_LIMIT
        )
        shown = " ".join((*query.words, *map(tag_text, query.tags), *(f"@{m}" for m in query.members)))
        if not hits:
            recent = typed_command(ctx.language, ctx.prefix, "recent")
            return Response(document(say(ctx.language, "search.none", query=f"“{shown}”", recent=recent)))
        header = say(ctx.language, "search.header", query=f"“{shown}”")
        return Response(self._hits(ctx, header, hits))

    @command("recent", TagsArg(single=True))
    async def recent(self, ctx: Context, args: Args) -> Response:
        """The newest posts, optionally with one tag."""
        tags: tuple[str, ...] = args.get("tags")
        tag = tags[0] if tags else None
        posts = await self.archive.recent(ctx.community.id, tag=tag, limit=RECENT_LIMIT)
        if not posts:
            if tag:
                return Response(document(say(ctx.language, "recent.none_tag", tag=tag_text(tag))))
            example = Code(f"{ctx.prefix} {say_text(ctx.language, 'example.post')}")
            return Response(document(say(ctx.language, "recent.none", post=example)))
        header = (
            say(ctx.language, "recent.header_tag", tag=tag_text(tag))
            if tag
            else say(ctx.language, "recent.header")
        )
        return Response(self._listing(ctx, header, posts))

    @command("tags")
    async def tags(self, ctx: Context, args: Args) -> Response:
        """Tags of visible posts with their counts."""
        counts = await self.archive.tag_counts(ctx.community.id)
        if not counts:
            example = Code(f"{ctx.prefix} {say_text(ctx.language, 'example.post')}")
            return Response(document(say(ctx.language, "tags.none", example=example)))
        listing = join_inlines(
            (inlines(tag_text(tag), f" {n}") for tag, n in counts), " · "
        )
        return Response(document(say(ctx.language, "tags.header"), listing))

    @command("remove", PostArg())
    async def remove(self, ctx: Context, args: Args) -> Response:
        """Soft-delete a post: author or manager only."""
        post = await self._visible_post(ctx, args.get("post"))
        if isinstance(post, Response):
            return post
        if post.author_id != ctx.member.id and ctx.member.role < Role.MANAGER:
            return Response(document(say(ctx.language, "post.remove_denied", ref=post_ref(post.number))))
        await self.archive.remove_post(post.id, ctx.member.id, ctx.now)
        return Response(
            document(say(ctx.language, "post.removed", ref=post_ref(post.number), title=post.title))
        )

    # -- shared with reactions and thread replies ----------------------------

    async def archive_message(
        self,
        community: CommunityInfo,
        saver: MemberInfo,
        quoted: QuotedMessage,
        tags: Sequence[str],
        now: datetime,
    ) -> Response:
        """Archive a chat message as a post credited to its author."""
        lang = reading_language(community, saver)
        if quoted.from_bot:
            return Response(document(say(lang, "save.bot_message")))
        text = clean_text(quoted.text)
        title = title_from_message(text)
        if not title:
            return Response(document(say(lang, "save.empty")))
        author = await self.directory.ensure_member(community.id, quoted.author)
        all_tags = tuple(dict.fromkeys((*tags, *find_tags(text))))
        links = find_links(text)
        saved = await self.archive.create_post(
            NewPost(
                community_id=community.id,
                author_id=author.id,
                title=title,
                body=text,
                tags=all_tags,
                links=links,
                created_at=now,
                saved_by_id=saver.id,
                source=SourceMessage(quoted.ref.room.platform, quoted.ref.room.room_id, quoted.ref.message_id),
            )
        )
        if not saved.created:
            existing = await self.archive.get_post(community.id, saved.number)
            shown_title = existing.title if existing else title
            return Response(
                document(
                    say(lang, "post.already_saved", ref=post_ref(saved.number), title=shown_title)
                ),
                anchor=Anchor(saved.id, saved.number),
            )
        return self._saved_reply(lang, saved.id, saved.number, title, all_tags, links)

    async def add_comment(
        self, community: CommunityInfo, post_id: int, number: int, member: MemberInfo, text: str, now: datetime,
        source: SourceMessage | None = None,
    ) -> Response:
        """Add a comment and confirm with the new comment count."""
        total = await self.archive.add_comment(post_id, member.id, clean_text(text), now, source)
        lang = reading_language(community, member)
        return Response(document(say(lang, "comment.added", ref=post_ref(number), count=count(lang, "comment", total))))

    async def apply_edit(self, community: CommunityInfo, editor: MemberInfo, source: SourceMessage, text: str,
                         command: str | None, now: datetime) -> Response | None:
        """An edited chat message: the post it became takes the new text when
        its author edited it (a `post` command stays a `post`), and so does a
        comment. Anything else was a command, which an edit does not run
        again: None, nothing to say."""
        number = await self.archive.post_from(community.id, source)
        if number is not None:
            post = await self.archive.get_post(community.id, number)
            if post is None or post.removed or post.author_id != editor.id:
                return None
            if command is not None:
                verb, _, rest = command.partition(" ")
                if verb.lower() != "post":
                    return None
                content = PostTextArg().take(rest)[0]
                assert isinstance(content, ParsedPostText)
                title, body, tags, links = content.title, content.body, content.tags, content.links
            else:
                title, body = title_from_message(text), clean_text(text)
                tags, links = tuple(dict.fromkeys((*post.tags, *find_tags(body)))), find_links(body)
            if not title:
                return None
            await self.archive.update_post(post.id, title, body, tags, links, now)
            return Response(document(say(reading_language(community, editor), "post.updated", ref=post_ref(number),
                                         title=title)))
        comment = await self.archive.comment_from(source)
        if comment is None or comment.member_id != editor.id:
            return None
        if command is not None:
            verb, _, rest = command.partition(" ")
            target, _, body = rest.strip().partition(" ")
            if verb.lower() not in ("comment", "reageer") or parse_post_number(target) != comment.post_number:
                return None
        else:
            body = text
        if not clean_text(body):
            return None
        await self.archive.update_comment(comment.id, clean_text(body))
        return Response(document(say(reading_language(community, editor), "comment.updated",
                                     ref=post_ref(comment.post_number))))

    async def source_removed(self, community: CommunityInfo, member: MemberInfo, source: SourceMessage,
                             now: datetime) -> None:
        """The chat message a post came from was taken back: so is the post
        (kept, out of search and lists, like `remove`)."""
        number = await self.archive.post_from(community.id, source)
        post = await self.archive.get_post(community.id, number) if number is not None else None
        if post is not None and not post.removed:
            await self.archive.remove_post(post.id, member.id, now)

    async def react(self, post_id: int, member: MemberInfo, emoji: str, present: bool, now: datetime) -> None:
        """Count (or uncount) an emoji reaction on a post; silent."""
        await self.archive.set_reaction(post_id, member.id, emoji, present, now)

    # -- rendering -----------------------------------------------------------

    def _saved_reply(
        self,
        language: str,
        post_id: int,
        number: int,
        title: str,
        tags: Sequence[str],
        links: Sequence[str],
    ) -> Response:
        facts: list[tuple[Inline, ...]] = [say(language, "post.saved", ref=post_ref(number), title=title)]
        if tags:
            facts.append(inlines(" ".join(map(tag_text, tags))))
        if links:
            facts.append(inlines(count(language, "link", len(links))))
        return Response(document(join_inlines(facts, " · ")), anchor=Anchor(post_id, number))

    def _details(self, ctx: Context, post: PostDetails) -> Document:
        language = ctx.language
        when = format_day(post.created_at, ctx.community.timezone, language, now=ctx.now)
        blocks: list[Paragraph] = [
            Paragraph(say(language, "post.by", ref=post_ref(post.number), title=post.title, author=post.author_name, date=when))
        ]
        if post.body and post.body != post.title:
            blocks.extend(Paragraph(body_inlines(line)) for line in post.body.splitlines() if line.strip())
        blocks.extend(Paragraph(say(language, "post.link_title", title=title, url=Link(url)))
                      for url, title in post.link_titles)
        facts: list[tuple[Inline, ...]] = []
        if post.tags:
            facts.append(inlines(" ".join(map(tag_text, post.tags))))
        facts.extend(inlines(f"{emoji} {n}") for emoji, n in post.reactions)
        facts.append(inlines(count(language, "comment", post.comment_count)))
        facts.append(say(language, "post.people", names=", ".join(post.involved)))
        blocks.append(Paragraph(join_inlines(facts, " · ")))
        if self.web is not None:
            blocks.append(Paragraph(say(language, "post.web_page",
                                        link=Link(self.web.post(ctx.community.id, post.number)))))
        return Document(tuple(blocks))

    def _listing(self, ctx: Context, header: tuple[Inline, ...], posts: Sequence[PostSummary]) -> Document:
        return Document((Paragraph(header), BulletList(tuple(self._item(ctx, p) for p in posts))))

    def _hits(self, ctx: Context, header: tuple[Inline, ...], hits: Sequence[PostSummary]) -> Document:
        """Search results: each hit's line, and under it the snippet of what matched."""
        blocks: list[Block] = [Paragraph(header)]
        for hit in hits:
            blocks.append(BulletList((self._item(ctx, hit),)))
            if hit.snippet:
                blocks.append(Paragraph(snippet_inlines(hit.snippet)))
        return Document(tuple(blocks))

    @staticmethod
    def _item(ctx: Context, post: PostSummary) -> tuple[Inline, ...]:
        return say(
            ctx.language,
            "list.item",
            ref=post_ref(post.number),
            title=post.title,
            author=post.author_name,
            date=format_day(post.created_at, ctx.community.timezone, ctx.language, now=ctx.now),
        )

    async def _visible_post(self, ctx: Context, number: int) -> PostDetails | Response:
        post = await self.archive.get_post(ctx.community.id, number)
        if post is None:
            recent = typed_command(ctx.language, ctx.prefix, "recent")
            return Response(document(say(ctx.language, "post.not_found", ref=f"#{number}", recent=recent)))
        if post.removed:
            return Response(document(say(ctx.language, "post.is_removed", ref=f"#{number}")))
        return post

