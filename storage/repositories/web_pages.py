"""What the web pages read that chat does not: the archive page by page,
a post's comments and views, past tables, one's own sign-up, the people of
a community. Raw SQL on indexed columns: every page is a few milliseconds
on a community of 200,000 posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import EventInfo, MemberInfo, PersonCard, PostComment, PostSummary, Role
from storage.engine import Database
from storage.repositories.archive import SqlArchive
from storage.repositories.calendar import EVENT_COLUMNS, event_info
from storage.sql import Sql, read_stamp, stamp

# Characters of a post's text shown under its title in the archive list.
EXCERPT = 240


class SqlWebPages:
    """Reads of the web pages."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def posts(self, community_id: int, *, tag: str | None, author_id: int | None, offset: int,
                    limit: int) -> list[PostSummary]:
        """Visible posts newest first, optionally with a tag or by an author,
        ``limit`` of them from ``offset``, each with the start of its text."""
        where = ["p.community_id = :c", "p.removed_at IS NULL"]
        params: dict[str, Any] = {"c": community_id, "n": limit, "o": offset}
        if author_id is not None:
            where.append("p.author_id = :a")
            params["a"] = author_id
        if tag is not None:
            where.append("p.id IN (SELECT pt.post_id FROM posttag pt JOIN tag t ON t.id = pt.tag_id "
                         "WHERE t.community_id = :c AND t.name = :tag)")
            params["tag"] = tag
        async with self.db.read() as session:
            sql = await Sql.of(session)
            rows = await sql.all(
                "SELECT p.id, p.number, p.title, m.display_name, p.created_at, substr(p.body, 1, :x), p.author_id "
                f"FROM post p JOIN member m ON m.id = p.author_id WHERE {' AND '.join(where)} "
                "ORDER BY p.created_at DESC, p.id DESC LIMIT :n OFFSET :o", {**params, "x": EXCERPT})
            tags = await SqlArchive.tags_of(session, [row[0] for row in rows])
        return [PostSummary(i, number, title, name, read_stamp(at), tags.get(i, ()),
                            ((_excerpt(body, title), False),) if _excerpt(body, title) else (), author)
                for i, number, title, name, at, body, author in rows]

    async def comments(self, post_id: int) -> list[PostComment]:
        """A post's comments, oldest first."""
        async with self.db.read() as session:
            rows = await (await Sql.of(session)).all(
                "SELECT k.member_id, m.display_name, k.body, k.created_at FROM comment k "
                "JOIN member m ON m.id = k.member_id WHERE k.post_id = :p ORDER BY k.created_at, k.id", {"p": post_id})
        return [PostComment(int(m), str(name), str(body), read_stamp(at)) for m, name, body, at in rows]

    async def viewed(self, post_id: int, member_id: int | None, day: str) -> int:
        """Count a member's view of a post (once per member and day; None:
        someone not signed in, not counted); the post's views so far."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            seen = member_id is None or bool(await sql.all(
                "SELECT 1 FROM postview WHERE post_id = :p AND member_id = :m AND day = :d",
                {"p": post_id, "m": member_id, "d": day}))
        if not seen:
            async with self.db.write() as session:
                await (await Sql.of(session)).run(
                    "INSERT INTO postview (post_id, member_id, day) VALUES (:p, :m, :d) ON CONFLICT DO NOTHING",
                    {"p": post_id, "m": member_id, "d": day})
        async with self.db.read() as session:
            count = await (await Sql.of(session)).all("SELECT count(*) FROM postview WHERE post_id = :p",
                                                      {"p": post_id})
        return int(count[0][0])

    async def past_tables(self, community_id: int, now: datetime, limit: int) -> list[EventInfo]:
        """Tables that started before ``now``, latest first, cancelled ones too."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            rows = await sql.all(
                f"SELECT {EVENT_COLUMNS} FROM event e WHERE e.community_id = :c AND e.starts_at < :now "
                "ORDER BY e.starts_at DESC LIMIT :n", {"c": community_id, "now": stamp(session, now), "n": limit})
        return [event_info(row) for row in rows]

    async def signup_of(self, event_id: int, member_id: int) -> tuple[str, int] | None:
        """The member's sign-up for a table: going or waitlisted, and their
        place on the waitlist (0 when going); None when not signed up."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            found = await sql.all("SELECT state, queue_seq FROM signup WHERE event_id = :e AND member_id = :m "
                                  "AND state IN ('going', 'waitlisted')", {"e": event_id, "m": member_id})
            if not found:
                return None
            state, seq = found[0]
            if state == "going":
                return "going", 0
            ahead = await sql.all("SELECT count(*) FROM signup WHERE event_id = :e AND state = 'waitlisted' "
                                  "AND queue_seq <= :q", {"e": event_id, "q": seq})
        return "waitlisted", int(ahead[0][0])

    async def member(self, community_id: int, member_id: int) -> MemberInfo | None:
        """A member of the community by id."""
        async with self.db.read() as session:
            found = await (await Sql.of(session)).all(
                "SELECT m.display_name, j.role, m.language FROM membership j JOIN member m ON m.id = j.member_id "
                "WHERE j.community_id = :c AND j.member_id = :m", {"c": community_id, "m": member_id})
        if not found:
            return None
        name, role, language = found[0]
        return MemberInfo(member_id, str(name), Role.parse(role), language)

    async def people(self, community_id: int) -> list[PersonCard]:
        """The community's members: those with the most posts first, then by name."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            rows = await sql.all(
                "SELECT m.id, m.display_name, j.role, (SELECT count(*) FROM post p WHERE p.community_id = :c "
                "AND p.author_id = m.id AND p.removed_at IS NULL) FROM membership j "
                "JOIN member m ON m.id = j.member_id WHERE j.community_id = :c", {"c": community_id})
            topics: dict[int, dict[str, list[str]]] = {}
            for member_id, kind, topic in await sql.all(
                    "SELECT t.member_id, t.kind, t.topic FROM membertopic t JOIN membership j "
                    "ON j.member_id = t.member_id WHERE j.community_id = :c ORDER BY t.topic", {"c": community_id}):
                topics.setdefault(member_id, {}).setdefault(kind, []).append(topic)
        cards = [PersonCard(int(i), str(name), Role.parse(role), int(posts),
                            tuple(topics.get(i, {}).get("expertise", ())), tuple(topics.get(i, {}).get("interest", ())))
                 for i, name, role, posts in rows]
        return sorted(cards, key=lambda card: (-card.posts, card.name.casefold()))


def _excerpt(body: str, title: str) -> str:
    """The start of a post's text for a list (nothing when it only repeats the title)."""
    text = " ".join(body.split())
    if not text or text == title:
        return ""
    return text if len(text) < EXCERPT else text[: EXCERPT - 1].rsplit(" ", 1)[0] + " …"
