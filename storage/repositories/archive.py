"""The knowledge archive on the database: posts, tags, links, reactions, comments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import col, select

from bot.domain import CommentRef, NewPost, PostDetails, PostSummary, SavedPost, SourceMessage
from bot.ports import Clock
from storage.engine import Database, DbSession
from storage.models import Comment, Community, Member, Post, PostLink, PostTag, Reaction, Tag
from storage.search import post_written, search_posts
from storage.sql import Sql


class SqlArchive:
    """The Archive port on the database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create_post(self, post: NewPost) -> SavedPost:
        """Store a post with the next number of its community; a chat message
        already archived returns its existing post instead."""
        async with self.db.write() as session:
            # Numbers and tags are allocated per community: lock its row so two
            # writers on PostgreSQL queue up (SQLite's BEGIN IMMEDIATE already does).
            await session.execute(select(Community.id).where(Community.id == post.community_id).with_for_update())
            return await self._insert_post(session, post)

    async def _insert_post(self, session: DbSession, post: NewPost) -> SavedPost:
        if post.source is not None:
            existing = (
                await session.execute(
                    select(Post.id, Post.number).where(
                        Post.community_id == post.community_id,
                        Post.source_platform == post.source.platform,
                        Post.source_message_id == post.source.message_id,
                    )
                )
            ).first()
            if existing is not None:
                return SavedPost(existing.id, existing.number, created=False)
        number = (
            await session.execute(
                select(func.coalesce(func.max(Post.number), 0) + 1).where(Post.community_id == post.community_id)
            )
        ).scalar_one()
        row = Post(
            community_id=post.community_id,
            number=number,
            title=post.title,
            body=post.body,
            author_id=post.author_id,
            saved_by_id=post.saved_by_id,
            source_platform=post.source.platform if post.source else None,
            source_room=post.source.room_id if post.source else None,
            source_message_id=post.source.message_id if post.source else None,
            created_at=post.created_at,
            updated_at=post.created_at,
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        for name in post.tags:
            tag_id = await self._tag_id(session, post.community_id, name)
            session.add(PostTag(post_id=row.id, tag_id=tag_id))
        for position, url in enumerate(post.links):
            session.add(PostLink(post_id=row.id, position=position, url=url))
        await session.flush()
        await post_written(session, row.id)
        return SavedPost(row.id, number, created=True)

    @staticmethod
    async def _tag_id(session: DbSession, community_id: int, name: str) -> int:
        tag_id = (
            await session.execute(select(Tag.id).where(Tag.community_id == community_id, Tag.name == name))
        ).scalar_one_or_none()
        if tag_id is None:
            tag = Tag(community_id=community_id, name=name)
            session.add(tag)
            await session.flush()
            tag_id = tag.id
        assert tag_id is not None
        return tag_id

    async def get_post(self, community_id: int, number: int) -> PostDetails | None:
        """A post by its number with its tags, links, reactions and people."""
        async with self.db.read() as session:
            found = (
                await session.execute(
                    select(Post, Member.display_name)
                    .join(Member, col(Member.id) == Post.author_id)
                    .where(Post.community_id == community_id, Post.number == number)
                )
            ).first()
            if found is None:
                return None
            post, author_name = found
            assert post.id is not None
            tags = (await self.tags_of(session, [post.id])).get(post.id, ())
            links = (
                await session.execute(
                    select(PostLink.url, PostLink.title).where(PostLink.post_id == post.id)
                    .order_by(col(PostLink.position))
                )
            ).all()
            reactions = (
                await session.execute(
                    select(Reaction.emoji, func.count())
                    .where(Reaction.post_id == post.id)
                    .group_by(col(Reaction.emoji))
                    .order_by(func.count().desc(), func.min(Reaction.id))
                )
            ).all()
            commenters = (
                await session.execute(
                    select(Member.display_name, func.count())
                    .join(Comment, col(Comment.member_id) == Member.id)
                    .where(Comment.post_id == post.id)
                    .group_by(col(Member.id), col(Member.display_name))
                    .order_by(func.min(Comment.id))
                )
            ).all()
        involved = tuple(dict.fromkeys([author_name, *(name for name, _ in commenters)]))
        return PostDetails(
            id=post.id,
            number=post.number,
            title=post.title,
            body=post.body,
            author_id=post.author_id,
            author_name=author_name,
            created_at=post.created_at,
            removed=post.removed_at is not None,
            tags=tags,
            links=tuple(url for url, _ in links),
            link_titles=tuple((url, title) for url, title in links if title),
            reactions=tuple((emoji, n) for emoji, n in reactions),
            comment_count=sum(n for _, n in commenters),
            involved=involved,
        )

    async def add_comment(self, post_id: int, member_id: int, body: str, at: datetime,
                          source: SourceMessage | None = None) -> int:
        """Add a comment (remembering the chat message it came from; the post
        is found by its words from now on); returns the post's comment count."""
        async with self.db.write() as session:
            session.add(Comment(post_id=post_id, member_id=member_id, body=body, created_at=at,
                                source_platform=source.platform if source else None,
                                source_room=source.room_id if source else None,
                                source_message_id=source.message_id if source else None))
            await session.flush()
            await post_written(session, post_id)
            total: int = (
                await session.execute(select(func.count()).select_from(Comment).where(Comment.post_id == post_id))
            ).scalar_one()
            return total

    async def post_from(self, community_id: int, source: SourceMessage) -> int | None:
        """The number of the post that came from this chat message, if any."""
        async with self.db.read() as session:
            number: int | None = (await session.execute(
                select(Post.number).where(Post.community_id == community_id,
                                          Post.source_platform == source.platform,
                                          Post.source_message_id == source.message_id)
            )).scalar_one_or_none()
            return number

    async def comment_from(self, source: SourceMessage) -> CommentRef | None:
        """The comment that came from this chat message, if any."""
        async with self.db.read() as session:
            row = (await session.execute(
                select(Comment.id, Comment.post_id, Post.number, Comment.member_id)
                .join(Post, col(Post.id) == Comment.post_id)
                .where(Comment.source_platform == source.platform, Comment.source_message_id == source.message_id)
            )).first()
        return CommentRef(*row) if row is not None else None

    async def links_to_title(self, limit: int) -> list[tuple[int, str]]:
        """Links of live posts whose page title was not looked for yet, oldest first."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(PostLink.id, PostLink.url)
                .join(Post, col(Post.id) == PostLink.post_id)
                .where(col(PostLink.title_checked_at).is_(None), col(Post.removed_at).is_(None))
                .order_by(col(PostLink.id))
                .limit(limit)
            )
            return [(int(link_id), url) for link_id, url in rows]

    async def set_link_title(self, link_id: int, title: str | None, at: datetime) -> None:
        """Record what was found at a link (None: no title); a title is
        searched with its post from now on."""
        async with self.db.write() as session:
            link = await session.get(PostLink, link_id)
            if link is None:  # the post was edited meanwhile: its links were replaced
                return
            link.title, link.title_checked_at = title, at
            await session.flush()
            if title is not None:
                await post_written(session, link.post_id)

    async def update_post(self, post_id: int, title: str, body: str, tags: Sequence[str], links: Sequence[str],
                          at: datetime) -> None:
        """Replace a post's title, body, tags and links (search kept in step)."""
        async with self.db.write() as session:
            post = await session.get_one(Post, post_id)
            post.title, post.body, post.updated_at = title, body, at
            await session.execute(delete(PostTag).where(col(PostTag.post_id) == post_id))
            await session.execute(delete(PostLink).where(col(PostLink.post_id) == post_id))
            for name in dict.fromkeys(tags):
                session.add(PostTag(post_id=post_id, tag_id=await self._tag_id(session, post.community_id, name)))
            for position, url in enumerate(links):
                session.add(PostLink(post_id=post_id, position=position, url=url))
            await session.flush()
            await post_written(session, post_id)

    async def update_comment(self, comment_id: int, body: str) -> None:
        """Replace a comment's text (search kept in step)."""
        async with self.db.write() as session:
            comment = await session.get_one(Comment, comment_id)
            comment.body = body
            await session.flush()
            await post_written(session, comment.post_id)

    async def set_reaction(self, post_id: int, member_id: int, emoji: str, present: bool, at: datetime) -> bool:
        """Count or uncount one member's emoji on a post; True if it changed."""
        async with self.db.write() as session:
            mine = (col(Reaction.post_id) == post_id) & (col(Reaction.member_id) == member_id) & (col(Reaction.emoji) == emoji)
            exists = (await session.execute(select(Reaction.id).where(mine))).first() is not None
            if present and not exists:
                session.add(Reaction(post_id=post_id, member_id=member_id, emoji=emoji, created_at=at))
                return True
            if not present and exists:
                await session.execute(delete(Reaction).where(mine))
                return True
            return False

    async def search(
        self, community_id: int, words: Sequence[str], *, tag: str | None, author_id: int | None, limit: int
    ) -> list[PostSummary]:
        """Best matches first, each with its snippet; removed posts never appear."""
        async with self.db.read() as session:
            hits = await search_posts(session, community_id, list(words), tag=tag, author_id=author_id, limit=limit)
            summaries = await self._summaries(session, [hit.post_id for hit in hits])
        snippets = {hit.post_id: hit.snippet for hit in hits}
        return [replace(summary, snippet=snippets[summary.id]) for summary in summaries]

    async def recent(self, community_id: int, *, tag: str | None, limit: int) -> list[PostSummary]:
        """Newest visible posts first, optionally with one tag."""
        query = select(Post.id).where(Post.community_id == community_id, col(Post.removed_at).is_(None))
        if tag is not None:
            query = query.join(PostTag, col(PostTag.post_id) == Post.id).join(Tag, col(Tag.id) == PostTag.tag_id).where(
                Tag.name == tag
            )
        async with self.db.read() as session:
            ids = (await session.execute(query.order_by(col(Post.created_at).desc(), col(Post.id).desc()).limit(limit))).scalars().all()
            return await self._summaries(session, list(ids))

    async def tag_counts(self, community_id: int) -> list[tuple[str, int]]:
        """Tags of visible posts with their counts, most used first."""
        # Leaving out the few removed posts (by their partial index) instead of
        # joining every tagged post to check it: 12 ms instead of 95 on 200k posts.
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                "SELECT t.name, count(*) FROM posttag pt JOIN tag t ON t.id = pt.tag_id "
                "WHERE t.community_id = :c AND pt.post_id NOT IN (SELECT id FROM post WHERE removed_at IS NOT NULL) "
                "GROUP BY t.name ORDER BY count(*) DESC, t.name", {"c": community_id})
            return [(str(name), int(n)) for name, n in rows]

    async def remove_post(self, post_id: int, by_member_id: int, at: datetime) -> None:
        """Soft delete: out of search and lists, the data kept."""
        async with self.db.write() as session:
            post = await session.get_one(Post, post_id)
            post.removed_at = at
            post.removed_by_id = by_member_id
            post.updated_at = at
            await session.flush()
            await post_written(session, post_id)

    async def _summaries(self, session: DbSession, ids: Sequence[int]) -> list[PostSummary]:
        if not ids:
            return []
        rows = (
            await session.execute(
                sa.select(col(Post.id), col(Post.number), col(Post.title), col(Member.display_name), col(Post.created_at))
                .join(Member, col(Member.id) == Post.author_id)
                .where(col(Post.id).in_(ids))
            )
        ).all()
        tags = await self.tags_of(session, ids)
        by_id = {row.id: PostSummary(row.id, row.number, row.title, row.display_name, row.created_at, tags.get(row.id, ())) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    @staticmethod
    async def tags_of(session: DbSession, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """Each post's tags, in the order they were first used."""
        rows = await session.execute(
            select(PostTag.post_id, Tag.name)
            .join(Tag, col(Tag.id) == PostTag.tag_id)
            .where(col(PostTag.post_id).in_(ids))
            .order_by(col(PostTag.post_id), col(Tag.id))
        )
        tags: dict[int, list[str]] = {}
        for post_id, name in rows:
            tags.setdefault(post_id, []).append(name)
        return {post_id: tuple(names) for post_id, names in tags.items()}
