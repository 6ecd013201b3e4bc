"""A community's activity per week, and attendance at its coffee tables.

Each measure is one statement over the whole period that sorts its rows into
weeks with a CASE over the week boundaries, which reads the same in SQLite
and PostgreSQL (date functions do not).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import Contributor, WeekStats
from storage.engine import Database, DbSession
from storage.sql import Sql, stamp

# Each measure's rows (t: when, m: which member) for community :c in [:start, :end].
_MEASURES: dict[str, str] = {
    "posts": "SELECT p.created_at AS t, p.author_id AS m FROM post p WHERE p.community_id = :c "
             "AND p.removed_at IS NULL AND p.created_at >= :start AND p.created_at <= :end",
    "comments": "SELECT k.created_at AS t, k.member_id AS m FROM comment k JOIN post p ON p.id = k.post_id "
                "WHERE p.community_id = :c AND k.created_at >= :start AND k.created_at <= :end",
    "reactions": "SELECT r.created_at AS t, r.member_id AS m FROM reaction r JOIN post p ON p.id = r.post_id "
                 "WHERE p.community_id = :c AND r.created_at >= :start AND r.created_at <= :end",
    "signups": "SELECT s.queued_at AS t, s.member_id AS m FROM signup s JOIN event e ON e.id = s.event_id "
               "WHERE e.community_id = :c AND s.queued_at >= :start AND s.queued_at <= :end",
    "new_members": "SELECT j.joined_at AS t, j.member_id AS m FROM membership j WHERE j.community_id = :c "
                   "AND j.joined_at >= :start AND j.joined_at <= :end",
}
_ACTIVE = ("posts", "comments", "reactions", "signups")
# Going sign-ups of the tables that took place (t: when the table started).
_ATTENDANCE = ("SELECT e.starts_at AS t, s.no_show AS m FROM signup s JOIN event e ON e.id = s.event_id "
               "WHERE e.community_id = :c AND e.status != 'cancelled' AND s.state = 'going' "
               "AND e.starts_at >= :start AND e.starts_at <= :end")


def _week_of(weeks: int, column: str = "t") -> str:
    """SQL for the week index (0-based) of ``column``, the week starts
    after the first bound as :w1, :w2 …"""
    if weeks == 1:
        return "0"
    cases = " ".join(f"WHEN {column} < :w{i} THEN {i - 1}" for i in range(1, weeks))
    return f"CASE {cases} ELSE {weeks - 1} END"


def _returning(weeks: int) -> str:
    """Rows (t, m) of the active members who joined the community before the
    week of ``t`` began: the week of their joining (-1 before the period)
    comes before it."""
    union = " UNION ALL ".join(_MEASURES[name] for name in _ACTIVE)
    joined = f"CASE WHEN j.joined_at < :start THEN -1 ELSE {_week_of(weeks, 'j.joined_at')} END"
    return (f"SELECT a.t AS t, a.m AS m FROM ({union}) AS a "
            "JOIN membership j ON j.community_id = :c AND j.member_id = a.m "
            f"WHERE {joined} < {_week_of(weeks, 'a.t')}")


def _per_week(week: str, rows: str, measure: str) -> str:
    """``measure`` per week over ``rows`` of (t, m)."""
    return f"SELECT {week} AS week, {measure} FROM ({rows}) AS x GROUP BY 1"


class SqlStats:
    """The Stats port on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def weekly(self, community_id: int, starts: Sequence[datetime], end: datetime) -> list[WeekStats]:
        """One entry per week beginning at each of ``starts`` (ascending),
        the last running up to ``end``."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            params = self._params(session, community_id, starts, end)
            week = _week_of(len(starts))
            counts: dict[str, dict[int, int]] = {}
            for name, rows in _MEASURES.items():
                counts[name] = dict(await sql.all(_per_week(week, rows, "count(*)"), params))
            union = " UNION ALL ".join(_MEASURES[name] for name in _ACTIVE)
            counts["active"] = dict(await sql.all(_per_week(week, union, "count(DISTINCT m)"), params))
            counts["returning"] = dict(await sql.all(
                _per_week(week, _returning(len(starts)), "count(DISTINCT m)"), params))
            attendance = await sql.all(_per_week(
                week, _ATTENDANCE, "sum(CASE WHEN m THEN 0 ELSE 1 END), sum(CASE WHEN m THEN 1 ELSE 0 END)"), params)
            came = {int(w): (int(c), int(n)) for w, c, n in attendance}
        return [
            WeekStats(
                start=start,
                posts=counts["posts"].get(i, 0),
                comments=counts["comments"].get(i, 0),
                reactions=counts["reactions"].get(i, 0),
                active_members=counts["active"].get(i, 0),
                new_members=counts["new_members"].get(i, 0),
                returning_members=counts["returning"].get(i, 0),
                signups=counts["signups"].get(i, 0),
                came=came.get(i, (0, 0))[0],
                no_shows=came.get(i, (0, 0))[1],
            )
            for i, start in enumerate(starts)
        ]

    async def top_contributors(self, community_id: int, start: datetime, end: datetime,
                               limit: int) -> list[Contributor]:
        """The members with the most posts and comments in the period."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            params = {"c": community_id, "start": stamp(session, start), "end": stamp(session, end), "n": limit}
            rows = await sql.all(
                "SELECT mb.display_name, sum(x.p), sum(x.k) FROM ("
                f"SELECT m, 1 AS p, 0 AS k FROM ({_MEASURES['posts']}) AS posts UNION ALL "
                f"SELECT m, 0, 1 FROM ({_MEASURES['comments']}) AS comments) AS x "
                "JOIN member mb ON mb.id = x.m GROUP BY mb.id, mb.display_name "
                "ORDER BY sum(x.p) + sum(x.k) DESC, sum(x.p) DESC, mb.display_name LIMIT :n",
                params,
            )
        return [Contributor(str(name), int(posts), int(comments)) for name, posts, comments in rows]

    async def top_topics(self, community_id: int, start: datetime, end: datetime,
                         limit: int) -> list[tuple[str, int]]:
        """The tags of the period's posts, with how many posts carry each,
        most first (then by name)."""
        async with self.db.read() as session:
            sql = await Sql.of(session)
            params = {"c": community_id, "start": stamp(session, start), "end": stamp(session, end), "n": limit}
            rows = await sql.all(
                "SELECT g.name, count(*) FROM post p JOIN posttag pt ON pt.post_id = p.id "
                "JOIN tag g ON g.id = pt.tag_id WHERE p.community_id = :c AND p.removed_at IS NULL "
                "AND p.created_at >= :start AND p.created_at <= :end "
                "GROUP BY g.id, g.name ORDER BY count(*) DESC, g.name LIMIT :n",
                params,
            )
        return [(str(name), int(posts)) for name, posts in rows]

    async def set_no_show(self, event_id: int, member_id: int, no_show: bool) -> tuple[int, int] | None:
        """Mark a going member as not come (or come after all); the table's
        (came, no-shows) afterwards, or None when they were not going."""
        async with self.db.write() as session:
            sql = await Sql.of(session)
            ids = {"e": event_id, "m": member_id}
            going = await sql.all("SELECT id FROM signup WHERE event_id = :e AND member_id = :m "
                                  "AND state = 'going'", ids)
            if not going:
                return None
            await sql.run("UPDATE signup SET no_show = :x WHERE id = :id", {"x": no_show, "id": going[0][0]})
            counts = await sql.all("SELECT sum(CASE WHEN no_show THEN 0 ELSE 1 END), "
                                   "sum(CASE WHEN no_show THEN 1 ELSE 0 END) FROM signup "
                                   "WHERE event_id = :e AND state = 'going'", ids)
        return int(counts[0][0]), int(counts[0][1])

    @staticmethod
    def _params(session: DbSession, community_id: int, starts: Sequence[datetime],
                end: datetime) -> dict[str, object]:
        params: dict[str, object] = {"c": community_id, "start": stamp(session, starts[0]),
                                     "end": stamp(session, end)}
        params.update({f"w{i}": stamp(session, moment) for i, moment in enumerate(starts) if i})
        return params

