"""Profiles and who knows what, on the database.

``who`` gathers every kind of evidence in a few statements: declared topics,
the member's posts among the full-text matches of the topic (ranked search,
bounded) and posts carrying the topic as a tag, the comments and reactions
on those posts, and the coffee tables on the topic they went to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col

from bot.domain import Evidence, MemberInfo, PostSummary, Profile, TableAttended
from storage.engine import Database
from storage.models import MemberTopic
from storage.search import search_post_ids
from storage.sql import Sql, read_stamp, stamp

RECENT = 5
# The full-text matches of a topic that count as evidence: the best ranked.
TEXT_MATCHES = 200


class SqlPeople:
    """The People port on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_topics(self, member_id: int, kind: str, topics: Sequence[str]) -> None:
        """Replace a member's declared interests or expertise (``kind``)."""
        async with self.db.write() as session:
            await session.execute(delete(MemberTopic).where(col(MemberTopic.member_id) == member_id,
                                                            col(MemberTopic.kind) == kind))
            for topic in dict.fromkeys(topics):
                session.add(MemberTopic(member_id=member_id, kind=kind, topic=topic))

    async def profile(self, community_id: int, member: MemberInfo, now: datetime) -> Profile:
        """What the community knows about a member."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            one = {"c": community_id, "m": member.id}
            topics = await sql.all("SELECT kind, topic FROM membertopic WHERE member_id = :m ORDER BY id", one)
            platforms = await sql.all("SELECT DISTINCT platform FROM identity WHERE member_id = :m", one)
            flags = await sql.all("SELECT digest_dm, pairing_opt_in FROM member WHERE id = :m", one)
            post_count = (await sql.all(
                "SELECT count(*) FROM post WHERE community_id = :c AND author_id = :m AND removed_at IS NULL", one))[0][0]
            posts = await sql.all(
                "SELECT id, number, title, created_at FROM post WHERE community_id = :c AND author_id = :m "
                "AND removed_at IS NULL ORDER BY created_at DESC, id DESC LIMIT :n", {**one, "n": RECENT})
            going = ("FROM signup s JOIN event e ON e.id = s.event_id WHERE e.community_id = :c "
                     "AND s.member_id = :m AND s.state = 'going' AND NOT s.no_show AND e.status != 'cancelled' AND e.starts_at <= :now")
            when = {**one, "now": stamp(session, now)}
            table_count = (await sql.all(f"SELECT count(*) {going}", when))[0][0]
            tables = await sql.all(f"SELECT e.number, e.title, e.starts_at {going} ORDER BY e.starts_at DESC "
                                   "LIMIT :n", {**when, "n": RECENT})
        digest_dm, pairing = flags[0] if flags else (False, False)
        return Profile(
            member=member, platforms=tuple(sorted(p for (p,) in platforms)),
            interests=tuple(t for k, t in topics if k == "interest"),
            expertise=tuple(t for k, t in topics if k == "expertise"),
            digest_dm=bool(digest_dm), pairing=bool(pairing), post_count=int(post_count),
            recent_posts=tuple(PostSummary(i, n, t, member.display_name, read_stamp(at)) for i, n, t, at in posts),
            table_count=int(table_count),
            recent_tables=tuple(TableAttended(n, t, read_stamp(at)) for n, t, at in tables),
        )

    async def who(self, community_id: int, topic: str, words: Sequence[str], limit: int,
                  now: datetime) -> list[Evidence]:
        """The members with evidence of knowing ``topic``, best first."""
        wanted = topic.casefold()
        tag = "".join(ch for ch in wanted if ch.isalnum() or ch == "-")
        found: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        async with self.db.read() as session:
            matches = await search_post_ids(session, community_id, list(words), tag=None, author_id=None,
                                            limit=TEXT_MATCHES) if words else []
            sql = await Sql.of(session)
            c = {"c": community_id}
            # Compared here, not in SQL: SQLite's lower() folds ASCII only.
            for member_id, kind, declared in await sql.all(
                "SELECT t.member_id, t.kind, t.topic FROM membertopic t JOIN membership s "
                "ON s.member_id = t.member_id AND s.community_id = :c", c
            ):
                if _overlaps(declared.casefold(), wanted):
                    found[member_id][kind] = 1
            # The posts that are evidence, each once (tagged wins), counted per
            # member in the database: a popular tag is thousands of posts.
            matched = ", ".join(str(int(p)) for p in matches) or "NULL"  # ids from our own query
            hits = (
                "WITH hit AS (SELECT p.id, p.author_id, max(h.tagged) AS tagged FROM ("
                "SELECT pt.post_id AS id, 1 AS tagged FROM posttag pt JOIN tag t ON t.id = pt.tag_id "
                "WHERE t.community_id = :c AND t.name = :tag "
                f"UNION ALL SELECT id, 0 FROM post WHERE id IN ({matched})"
                ") h JOIN post p ON p.id = h.id WHERE p.removed_at IS NULL GROUP BY p.id, p.author_id) "
            )
            for member_id, kind, n in await sql.all(
                hits
                + "SELECT author_id, CASE WHEN tagged = 1 THEN 'tagged' ELSE 'other' END, count(*) FROM hit "
                "GROUP BY author_id, tagged "
                "UNION ALL SELECT h.author_id, 'reactions', count(*) FROM reaction r JOIN hit h ON h.id = r.post_id "
                "WHERE r.member_id != h.author_id GROUP BY h.author_id "
                "UNION ALL SELECT k.member_id, 'comments', count(*) FROM comment k JOIN hit h ON h.id = k.post_id "
                "GROUP BY k.member_id",
                {**c, "tag": tag or None},
            ):
                found[member_id][kind] += int(n)
            tables = [event_id for event_id, title in await sql.all(
                "SELECT id, title FROM event WHERE community_id = :c AND status != 'cancelled' AND starts_at <= :now",
                {**c, "now": stamp(session, now)}
            ) if wanted in title.casefold()]
            if tables:
                for member_id, n in await sql.all(
                    "SELECT member_id, count(*) FROM signup WHERE state = 'going' AND NOT no_show "
                    f"AND event_id IN ({', '.join(map(str, tables))}) GROUP BY member_id", c
                ):
                    found[member_id]["tables"] += int(n)
            names = dict(await sql.all(
                "SELECT m.id, m.display_name FROM member m JOIN membership s ON s.member_id = m.id "
                f"WHERE s.community_id = :c AND m.id IN ({', '.join(map(str, found)) or 'NULL'})", c
            )) if found else {}
        evidence = [
            Evidence(member_id, names[member_id], expertise=bool(kinds["expertise"]),
                     interest=bool(kinds["interest"]), tagged_posts=kinds["tagged"], other_posts=kinds["other"],
                     comments=kinds["comments"], reactions=kinds["reactions"], tables=kinds["tables"])
            for member_id, kinds in found.items() if member_id in names
        ]
        evidence.sort(key=lambda e: (-e.score, e.name.casefold()))
        return evidence[:limit]


def _overlaps(declared: str, wanted: str) -> bool:
    """Whether a declared topic is the topic asked about, or one contains the other."""
    return declared == wanted or (len(wanted) >= 3 and wanted in declared) or (len(declared) >= 3 and declared in wanted)
