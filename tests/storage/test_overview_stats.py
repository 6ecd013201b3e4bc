"""The numbers behind the management overview, on SQLite and PostgreSQL:
new and returning members per week, and the topics of a period's posts.

Rows are written straight into a migrated database, as the bot stores them;
the weeks are those of November 2026 (Mondays 2, 9 and 16).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from storage.engine import Database
from storage.models import (
    Comment,
    Community,
    Event,
    Member,
    Membership,
    Post,
    PostTag,
    Reaction,
    Signup,
    Tag,
)
from storage.repositories.stats import SqlStats
from tests.conftest import migrated

WEEK1 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WEEK2, WEEK3 = WEEK1 + timedelta(weeks=1), WEEK1 + timedelta(weeks=2)
END = WEEK3 + timedelta(days=7) - timedelta(microseconds=1)
BEFORE = WEEK1 - timedelta(days=30)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with migrated(database_url) as database:
        yield database


@dataclass
class Cafe:
    """Writes a community's rows the way the bot stores them."""

    db: Database
    id: int = 0
    posts: int = 0
    tags: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def make(cls, db: Database, name: str) -> Cafe:
        async with db.write() as s:
            row = Community(name=name, created_at=BEFORE)
            s.add(row)
            await s.flush()
            assert row.id is not None
            return cls(db, row.id)

    async def member(self, name: str, joined: datetime) -> int:
        async with self.db.write() as s:
            row = Member(display_name=name, created_at=joined)
            s.add(row)
            await s.flush()
            assert row.id is not None
            s.add(Membership(community_id=self.id, member_id=row.id, joined_at=joined))
            return row.id

    async def joins(self, member_id: int, joined: datetime) -> None:
        async with self.db.write() as s:
            s.add(Membership(community_id=self.id, member_id=member_id, joined_at=joined))

    async def post(self, author_id: int, at: datetime, *tags: str, removed: bool = False) -> int:
        self.posts += 1
        async with self.db.write() as s:
            row = Post(community_id=self.id, number=self.posts, title=f"post {self.posts}", author_id=author_id,
                       created_at=at, updated_at=at, removed_at=at + timedelta(hours=1) if removed else None)
            s.add(row)
            await s.flush()
            assert row.id is not None
            for name in tags:
                if name not in self.tags:
                    tag = Tag(community_id=self.id, name=name)
                    s.add(tag)
                    await s.flush()
                    assert tag.id is not None
                    self.tags[name] = tag.id
                s.add(PostTag(post_id=row.id, tag_id=self.tags[name]))
            return row.id

    async def comment(self, post_id: int, member_id: int, at: datetime) -> None:
        async with self.db.write() as s:
            s.add(Comment(post_id=post_id, member_id=member_id, body="ja", created_at=at))

    async def react(self, post_id: int, member_id: int, at: datetime) -> None:
        async with self.db.write() as s:
            s.add(Reaction(post_id=post_id, member_id=member_id, emoji="👍", created_at=at))

    async def sign_up(self, member_id: int, at: datetime, organizer_id: int) -> None:
        async with self.db.write() as s:
            event = Event(community_id=self.id, number=member_id, title="Koffie", starts_at=at + timedelta(days=2),
                          location="Utrecht", created_by_id=organizer_id, created_at=at, updated_at=at)
            s.add(event)
            await s.flush()
            assert event.id is not None
            s.add(Signup(event_id=event.id, member_id=member_id, state="going", queued_at=at, updated_at=at))


async def test_members_are_new_in_the_week_they_join_and_returning_when_active_in_a_later_week(
        db: Database) -> None:
    cafe = await Cafe.make(db, "Kenniscafé")
    other = await Cafe.make(db, "Elders")
    # anna has been around for a month; she posts in week 1 and comments in week 3.
    anna = await cafe.member("anna", BEFORE)
    first = await cafe.post(anna, WEEK1 + timedelta(days=1))
    # piet joins in week 1 and posts that week and again in week 3: new in
    # week 1, returning in week 3 (that he was in another community long
    # before does not make him returning here).
    piet = await cafe.member("piet", WEEK1 + timedelta(days=2))
    await other.joins(piet, BEFORE - timedelta(days=100))
    await cafe.post(piet, WEEK1 + timedelta(days=2, hours=1))
    await cafe.post(piet, WEEK3 + timedelta(days=3))
    # sanne joins in week 2 and reacts that week (new, not returning), signs
    # up for a table in week 3 (returning).
    sanne = await cafe.member("sanne", WEEK2 + timedelta(days=4))
    await cafe.react(first, sanne, WEEK2 + timedelta(days=4, hours=2))
    await cafe.sign_up(sanne, WEEK3 + timedelta(days=1), organizer_id=anna)
    await cafe.comment(first, anna, WEEK3 + timedelta(days=6))
    await cafe.react(first, anna, WEEK3 + timedelta(days=6, hours=1))  # still one member
    # kees joined long ago and did nothing: neither new nor returning.
    await cafe.member("kees", BEFORE)
    # joris is active only in the other community in week 3.
    joris = await other.member("joris", BEFORE)
    await cafe.joins(joris, BEFORE)
    await other.post(joris, WEEK3 + timedelta(days=1))

    weeks = await SqlStats(db).weekly(cafe.id, [WEEK1, WEEK2, WEEK3], END)

    assert [(w.start, w.active_members, w.new_members, w.returning_members) for w in weeks] == [
        (WEEK1, 2, 1, 1),  # anna returning, piet new
        (WEEK2, 1, 1, 0),  # sanne new
        (WEEK3, 3, 0, 3),  # anna, piet and sanne returning
    ]
    assert [(w.posts, w.comments, w.reactions, w.signups) for w in weeks] == [(2, 0, 0, 0), (0, 0, 1, 0),
                                                                              (1, 1, 1, 1)]
    other_weeks = await SqlStats(db).weekly(other.id, [WEEK1, WEEK2, WEEK3], END)
    assert [(w.active_members, w.returning_members) for w in other_weeks] == [(0, 0), (0, 0), (1, 1)]


async def test_returning_members_of_a_single_week_and_at_its_edges(db: Database) -> None:
    cafe = await Cafe.make(db, "Kenniscafé")
    anna = await cafe.member("anna", WEEK1 - timedelta(microseconds=1))  # the moment before week 1 began
    piet = await cafe.member("piet", WEEK1)  # the moment week 1 began: new in it
    await cafe.post(anna, WEEK1)
    await cafe.post(piet, WEEK1 + timedelta(days=6, hours=23))
    await cafe.post(piet, WEEK2)  # week 2 starts

    [only] = await SqlStats(db).weekly(cafe.id, [WEEK1], WEEK2 - timedelta(microseconds=1))
    assert (only.active_members, only.new_members, only.returning_members) == (2, 1, 1)
    first, second = await SqlStats(db).weekly(cafe.id, [WEEK1, WEEK2], END)
    assert (first.returning_members, second.returning_members) == (1, 1)


async def test_top_topics_count_the_periods_posts_per_tag_most_first_then_by_name(db: Database) -> None:
    cafe = await Cafe.make(db, "Kenniscafé")
    other = await Cafe.make(db, "Elders")
    anna = await cafe.member("anna", BEFORE)
    await cafe.post(anna, BEFORE, "thee", "thee-oud")  # before the period
    await cafe.post(anna, WEEK1, "koffie", "bonen")  # the moment the period begins
    await cafe.post(anna, WEEK1 + timedelta(days=2), "koffie")
    await cafe.post(anna, WEEK2, "bonen", "thee")
    await cafe.post(anna, WEEK3, "koffie", "bonen")
    await cafe.post(anna, WEEK3 + timedelta(days=1), "thee", removed=True)  # removed: not counted
    await cafe.post(anna, END, "melk")  # the last moment of the period
    await cafe.post(anna, END + timedelta(microseconds=1), "melk", "thee")  # after it
    elsewhere = await other.member("joris", BEFORE)
    await other.post(elsewhere, WEEK2, "thee")  # another community's tag of the same name
    await other.post(elsewhere, WEEK2, "thee")
    stats = SqlStats(db)

    assert await stats.top_topics(cafe.id, WEEK1, END, 10) == [
        ("bonen", 3), ("koffie", 3), ("melk", 1), ("thee", 1)]
    assert await stats.top_topics(cafe.id, WEEK1, END, 2) == [("bonen", 3), ("koffie", 3)]
    assert await stats.top_topics(cafe.id, WEEK2, END, 10) == [("bonen", 2), ("koffie", 1), ("melk", 1),
                                                               ("thee", 1)]
    assert await stats.top_topics(other.id, WEEK1, END, 10) == [("thee", 2)]
    assert await stats.top_topics(cafe.id, END + timedelta(days=30), END + timedelta(days=60), 10) == []
