"""Ranked post search (storage/search/): what a user searching sees.

What a user sees is tested on both databases (``BOTH``, ``TUNED``: SQLite,
and PostgreSQL, skipped when no server answers). On SQLite most tests run
with the default tuning, on which small data takes the plain FTS5 path;
``TUNED`` also runs them with the common-word machinery forced. The
SQLite-only tests at the end force that machinery (top lists, Python
bm25, window) with tiny thresholds and check it answers like plain FTS5
bm25, also after inserts, edits and removals. The PostgreSQL-only tests
after them check what an operator of PostgreSQL notices: its GIN index
answers, accents, Dutch stems, hostile input, ranking, an upgraded
database.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.domain import CommunityInfo, MemberInfo, NewPost, SourceMessage
from bot.incoming import Actor
from bot.ports import SystemClock
from storage.engine import Database, sqlite_url_for_path
from storage.migrate import alembic_config
from storage.models import Comment, Community, Member, Post, PostLink, PostTag, Tag
from storage.repositories.archive import SqlArchive
from storage.repositories.directory import SqlDirectory
from storage.search import (
    BODY_WEIGHT,
    TITLE_WEIGHT,
    Hit,
    SearchTuning,
    Snippet,
    analyzer_for,
    index_all,
    index_posts,
    post_written,
    rebuild_search_lists,
    search_post_ids,
    search_posts,
    tokenize,
)
from storage.search import fts_query as phrases_query
from storage.search.analyzer import query_words
from storage.search.postgres import search_sql
from storage.search.sql import Filter
from storage.search.tokens import token_spans, tokens_of
from storage.sql import Sql, stamp
from tests.conftest import NO_SERVER, migrated_copy, skip_without_server

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# Every threshold tiny: each word is "common", lists hold 3 posts, FTS5 never
# ranks by itself, the window is 4 posts.
FORCED = SearchTuning(selective_df=0, scan_df=0, list_size=3, window=4, plain_budget_us=0)


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------

def pg_database() -> Database:
    """A PostgreSQL database of the test's own, migrated (a copy of the run's
    template); the test is skipped when no server answers."""
    try:
        return Database(migrated_copy())
    except NO_SERVER as problem:
        skip_without_server(problem)


@pytest.fixture
async def db(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[Database]:
    """A migrated database: the SQLite file search.db, or PostgreSQL when a
    test is parametrised so (``BOTH``, ``TUNED``)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        database = Database(sqlite_url_for_path(os.path.join(tmp_path, "search.db")))
        await database.migrate()
    else:
        database = pg_database()
    try:
        yield database
    finally:
        await database.dispose()


# A test of what users see, on each database.
BOTH = pytest.mark.parametrize("db", ["sqlite", "postgresql"], indirect=True)
# The same, on SQLite also with the common-word machinery forced (PostgreSQL
# has no tuning).
TUNED = pytest.mark.parametrize(
    ("db", "tuning"),
    [("sqlite", None), ("sqlite", FORCED), ("postgresql", None)],
    indirect=["db"],
    ids=["sqlite-default", "sqlite-forced", "postgresql"],
)


def on_postgres(db: Database) -> bool:
    return not db.is_sqlite


class Archive:
    """Writes posts the way the bot will: row, then post_written, one
    transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = START

    async def community(self, name: str, language: str = "en") -> int:
        async with self.db.write() as s:
            row = Community(name=name, language=language, created_at=START)
            s.add(row)
            await s.flush()
            assert row.id is not None
            return row.id

    async def member(self, name: str) -> int:
        async with self.db.write() as s:
            row = Member(display_name=name, created_at=START)
            s.add(row)
            await s.flush()
            assert row.id is not None
            return row.id

    async def post(
        self,
        community_id: int,
        author_id: int,
        title: str,
        body: str = "",
        tags: Sequence[str] = (),
    ) -> int:
        self.clock += timedelta(minutes=1)
        async with self.db.write() as s:
            number = (
                await s.execute(
                    text("SELECT coalesce(max(number), 0) + 1 FROM post WHERE community_id = :c"),
                    {"c": community_id},
                )
            ).scalar_one()
            row = Post(
                community_id=community_id, number=number, title=title, body=body,
                author_id=author_id, created_at=self.clock, updated_at=self.clock,
            )
            s.add(row)
            await s.flush()
            assert row.id is not None
            for name in tags:
                tag_id = (
                    await s.execute(
                        text("SELECT id FROM tag WHERE community_id = :c AND name = :n"),
                        {"c": community_id, "n": name},
                    )
                ).scalar_one_or_none()
                if tag_id is None:
                    tag = Tag(community_id=community_id, name=name)
                    s.add(tag)
                    await s.flush()
                    tag_id = tag.id
                assert tag_id is not None
                s.add(PostTag(post_id=row.id, tag_id=tag_id))
            await s.flush()
            await post_written(s, row.id)
            return row.id

    async def _update(self, post_id: int, **values: object) -> None:
        async with self.db.write() as s:
            row = await s.get(Post, post_id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = self.clock
            await s.flush()
            await post_written(s, post_id)

    async def edit(self, post_id: int, *, title: str | None = None, body: str | None = None) -> None:
        values: dict[str, object] = {}
        if title is not None:
            values["title"] = title
        if body is not None:
            values["body"] = body
        await self._update(post_id, **values)

    async def remove(self, post_id: int) -> None:
        await self._update(post_id, removed_at=self.clock)

    async def restore(self, post_id: int) -> None:
        await self._update(post_id, removed_at=None)


@pytest.fixture
async def archive(db: Database) -> Archive:
    return Archive(db)


async def search(db: Database, community_id: int, words: list[str], **kwargs: object) -> list[int]:
    async with db.read() as s:
        return await search_post_ids(s, community_id, words, **kwargs)  # type: ignore[arg-type]


def fts_query(words: Sequence[str], require_all: bool = True) -> str:
    """The FTS5 query of ``words`` as a search makes it (stems; English)."""
    return phrases_query(analyzer_for("en").phrases(words), require_all)


async def plain_bm25(
    db: Database, community_id: int, words: Sequence[str], limit: int, require_all: bool = True
) -> list[int]:
    """The reference: FTS5 ranks everything itself, same weights, newer first on ties."""
    async with db.read() as s:
        result = await s.execute(
            text(
                "SELECT p.id FROM post_fts JOIN post AS p ON p.id = post_fts.rowid"
                " WHERE post_fts MATCH :q AND p.community_id = :c AND p.removed_at IS NULL"
                " ORDER BY bm25(post_fts, :tw, :bw), p.id DESC LIMIT :limit"
            ),
            {"q": fts_query(words, require_all), "c": community_id, "tw": TITLE_WEIGHT,
             "bw": BODY_WEIGHT, "limit": limit},
        )
        return [row[0] for row in result.all()]


@pytest.fixture
async def cafe(archive: Archive) -> tuple[int, int, int]:
    """A community with two members (ids returned: community, rene, martin)."""
    community = await archive.community("Kenniscafé")
    return community, await archive.member("rene"), await archive.member("martin")


# --------------------------------------------------------------------------
# What a user sees
# --------------------------------------------------------------------------

@TUNED
async def test_finds_a_word_in_the_title_or_in_the_body(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    in_title = await archive.post(c, rene, "Koffietafel in Utrecht", "Verslag en slides")
    in_body = await archive.post(c, rene, "Verslag", "We dronken koffie bij de koffietafel")
    await archive.post(c, rene, "Iets anders", "Niets te zien")
    assert set(await search(db, c, ["koffietafel"], tuning=tuning)) == {in_title, in_body}
    assert await search(db, c, ["slides"], tuning=tuning) == [in_title]
    assert await search(db, c, ["bestaatniet"], tuning=tuning) == []


@TUNED
async def test_title_and_body_beats_body_only(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    body_only = await archive.post(c, rene, "Notities", "agile werken in teams en verder niets")
    both = await archive.post(c, rene, "Agile", "agile werken in teams en verder niets")
    assert await search(db, c, ["agile"], tuning=tuning) == [both, body_only]


@TUNED
async def test_title_match_beats_body_match(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    in_title = await archive.post(c, rene, "Scrum", "over teams en rollen")
    in_body = await archive.post(c, rene, "Teams", "over scrum en rollen")
    assert await search(db, c, ["scrum"], tuning=tuning) == [in_title, in_body]


@TUNED
async def test_more_occurrences_rank_higher(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    once = await archive.post(c, rene, "Sessie", "koffie en thee en taart en gesprek")
    thrice = await archive.post(c, rene, "Sessie", "koffie en koffie en koffie en gesprek")
    twice = await archive.post(c, rene, "Sessie", "koffie en thee en koffie en gesprek")
    assert await search(db, c, ["koffie"], tuning=tuning) == [thrice, twice, once]


@pytest.mark.parametrize("query", ["cafe", "café", "CAFÉ", "Cafe\u0301"])
@BOTH
async def test_accents_do_not_matter(
    db: Database, archive: Archive, cafe: tuple[int, int, int], query: str
) -> None:
    c, rene, _ = cafe
    accented = await archive.post(c, rene, "Het Kenniscafé", "Verslag van het café")
    plain = await archive.post(c, rene, "Notulen", "in het cafe om de hoek")
    assert set(await search(db, c, [query])) == {accented, plain}


@BOTH
async def test_dutch_words_with_diacritics(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    c, rene, _ = cafe
    post = await archive.post(c, rene, "Coöperatie", "één naïeve reünie")
    for word in ("cooperatie", "coöperatie", "een", "één", "naieve", "reunie", "REÜNIE"):
        assert await search(db, c, [word]) == [post], word


NASTY = [
    '"', '""', '"koffie', 'koffie"', 'kof"fie', "*", "koffie*", "^koffie", "-koffie", "+",
    "koffie:", "title:koffie", "body : koffie", "(", ")", "(koffie", "{title body}:koffie",
    "NEAR", "NEAR(koffie thee)", "AND", "OR", "NOT", "koffie AND", "OR koffie", "a OR b NOT c",
    "'", "\\", ";", "koffie\"; DROP TABLE post; --", "%", "_", "%koffie%", "🙂", "☕", "—", "…",
    "\u200b", "\x00", "   ", "", "koffie-tafel", "e-mail", "l'été", "100%", "#tag", "@rene",
]


@TUNED
async def test_query_syntax_is_never_interpreted_and_never_raises(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    rock = await archive.post(c, rene, "Rock and roll", "near the koffie-tafel, not far")
    await archive.post(c, rene, "Thee", "geen koffie hier")
    for word in NASTY:
        assert isinstance(await search(db, c, [word], tuning=tuning), list), word
    assert isinstance(await search(db, c, NASTY, tuning=tuning), list)
    # Operators are searched as plain words.
    assert await search(db, c, ["AND"], tuning=tuning) == [rock]
    assert await search(db, c, ["NEAR"], tuning=tuning) == [rock]
    assert await search(db, c, ["not"], tuning=tuning) == [rock]
    assert await search(db, c, ['"koffie-tafel"'], tuning=tuning) == [rock]
    assert await search(db, c, ["koffie*"], tuning=tuning) != []


@TUNED
async def test_removed_posts_vanish_and_come_back_when_restored(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    kept = await archive.post(c, rene, "Retrospectives", "hoe we terugkijken")
    removed = await archive.post(c, rene, "Retrospectives", "hoe we terugkijken, tweede deel")
    await archive.remove(removed)
    assert await search(db, c, ["retrospectives"], tuning=tuning) == [kept]
    assert await search(db, c, ["tweede"], tuning=tuning) == []
    await archive.restore(removed)
    assert set(await search(db, c, ["retrospectives"], tuning=tuning)) == {kept, removed}
    assert await search(db, c, ["tweede"], tuning=tuning) == [removed]


@TUNED
async def test_edits_are_reflected(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    post = await archive.post(c, rene, "Kanban", "bord met kaartjes")
    await archive.edit(post, title="Lean", body="verspilling verminderen")
    assert await search(db, c, ["kanban"], tuning=tuning) == []
    assert await search(db, c, ["kaartjes"], tuning=tuning) == []
    assert await search(db, c, ["verspilling"], tuning=tuning) == [post]


@TUNED
async def test_tag_filter(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    tagged = await archive.post(c, rene, "Koffie", "over koffie", tags=["nieuwewerken"])
    await archive.post(c, rene, "Koffie", "ook over koffie", tags=["anders"])
    await archive.post(c, rene, "Koffie", "nog meer koffie")
    assert await search(db, c, ["koffie"], tag="nieuwewerken", tuning=tuning) == [tagged]
    assert await search(db, c, ["koffie"], tag="#NieuweWerken", tuning=tuning) == [tagged]
    assert await search(db, c, ["koffie"], tag="bestaatniet", tuning=tuning) == []


@TUNED
async def test_author_filter(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, martin = cafe
    by_martin = await archive.post(c, martin, "Koffie", "martin over koffie")
    await archive.post(c, rene, "Koffie", "rene over koffie")
    assert await search(db, c, ["koffie"], author_id=martin, tuning=tuning) == [by_martin]


@BOTH
async def test_no_words_with_a_filter_gives_the_newest_posts(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    c, rene, martin = cafe
    old = await archive.post(c, rene, "Een", "eerste", tags=["teams"])
    await archive.post(c, martin, "Twee", "tweede", tags=["teams"])
    new = await archive.post(c, rene, "Drie", "derde", tags=["teams"])
    gone = await archive.post(c, rene, "Vier", "vierde", tags=["teams"])
    await archive.remove(gone)
    untagged = await archive.post(c, rene, "Vijf", "vijfde")
    assert await search(db, c, [], tag="teams", author_id=rene) == [new, old]
    assert await search(db, c, [], tag="teams") == [new, await _id_of(db, "Twee"), old]
    # Words that are only punctuation count as no words.
    assert await search(db, c, ["***", "?!"], author_id=rene) == [untagged, new, old]
    # No words and no filter: nothing to search for.
    assert await search(db, c, []) == []
    assert await search(db, c, ["?!"]) == []


async def _id_of(db: Database, title: str) -> int:
    async with db.read() as s:
        return int(
            (
                await s.execute(text("SELECT id FROM post WHERE title = :t"), {"t": title})
            ).scalar_one()
        )


@TUNED
async def test_other_communities_are_never_searched(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    other = await archive.community("Elders")
    mine = await archive.post(c, rene, "Koffie", "koffie koffie")
    for _ in range(5):
        await archive.post(other, rene, "Koffie", "koffie koffie koffie koffie")
    assert await search(db, c, ["koffie"], tuning=tuning) == [mine]
    assert await search(db, c, ["koffie", "thee"], tuning=tuning) == [mine]


@TUNED
async def test_all_words_must_match_else_any_word_ranks(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tuning: SearchTuning | None
) -> None:
    c, rene, _ = cafe
    both = await archive.post(c, rene, "Scrum en kanban", "vergelijking")
    scrum = await archive.post(c, rene, "Scrum", "scrum scrum")
    kanban = await archive.post(c, rene, "Kanban", "bord")
    assert await search(db, c, ["scrum", "kanban"], tuning=tuning) == [both]
    # Nothing has all three: any word, best first.
    found = await search(db, c, ["scrum", "kanban", "lean"], tuning=tuning)
    assert set(found) == {both, scrum, kanban}
    assert found[0] == both
    assert await search(db, c, ["lean", "safe"], tuning=tuning) == []
    # A single word never falls back (there is nothing to relax).
    assert await search(db, c, ["lean"], tuning=tuning) == []


@BOTH
async def test_limit(db: Database, archive: Archive, cafe: tuple[int, int, int]) -> None:
    c, rene, _ = cafe
    for i in range(8):
        await archive.post(c, rene, f"Koffie {i}", "koffie " * (i + 1))
    assert len(await search(db, c, ["koffie"])) == 5
    assert len(await search(db, c, ["koffie"], limit=2)) == 2
    assert await search(db, c, ["koffie"], limit=0) == []


TOKENIZER_SAMPLES = [
    "Oud Hollandsche Koffietafel", "Café, coöperatie én naïeve reünie!", "CAFE\u0301 Straße",
    "l'été — “quoted” x…y", "snake_case a-b e-mail 3.14 2026-11-28", "İstanbul Ærø Œuvre",
    "ĳs Ĳssel ø æ ß", "Ελληνικά ΣΟΦΙΑ σοφός", "한국어 中文", "tab\tnew\nline\u00a0nbsp",
    "ǅemal ǈ Ǳ µ ſ", "ÀÁÂÃÄÅàáâãäå ÇçÈÉÊËèéêë ÌÍÎÏìíîï ÑñÒÓÔÕÖòóôõö ÙÚÛÜùúûü Ýýÿ",
    "ĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįĲĳĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŒœŔŕŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž",
] + ["".join(chr(c) for c in range(start, start + 64)) for start in range(0xC0, 0x250, 64)]


def test_tokenizer_agrees_with_fts5() -> None:
    """Our tokens are those FTS5's unicode61 made before migration 0010 (now
    we make the index terms from them): text folds as it always did."""
    samples = TOKENIZER_SAMPLES
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE f USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')")
    con.executemany("INSERT INTO f(rowid, x) VALUES (?, ?)", list(enumerate(samples)))
    for i, sample in enumerate(samples):
        expected = [row[0] for row in con.execute("SELECT term FROM v WHERE doc = ? ORDER BY offset", (i,))]
        assert tokenize(sample) == expected, sample


def test_token_spans_are_the_tokens_where_they_were_written() -> None:
    """Snippets mark words by their spans: the same tokens, at their place."""
    for sample in TOKENIZER_SAMPLES:
        spans = token_spans(sample)
        assert [token for _, _, token in spans] == tokens_of(sample), sample
        for start, end, token in spans:
            assert tokens_of(sample[start:end]) == [token], sample


# --------------------------------------------------------------------------
# The language: stems, prefixes, snippets; comments and tags
# --------------------------------------------------------------------------

FORMS = [
    # (community language, as written, as searched)
    ("nl", "Vrijwilligers gezocht", "vrijwilliger"),
    ("nl", "Een vrijwilliger gezocht", "vrijwilligers"),
    ("nl", "De koffietafels van maart", "koffietafel"),
    ("nl", "Verslag van de koffietafel", "koffietafels"),
    ("nl", "Vergaderingen zonder agenda", "vergadering"),
    ("nl", "Samen werken aan kennis", "werkt"),
    ("nl", "Wie heeft dit gemaakt?", "maken"),
    # English words in a Dutch community.
    ("nl", "Volunteers wanted", "volunteer"),
    ("nl", "Volunteering at the library", "volunteers"),
    ("nl", "We volunteered last year", "volunteering"),
    ("nl", "Meetings without slides", "meeting"),
    ("en", "Volunteers wanted", "volunteering"),
    ("en", "Running a study group", "run"),
    ("en", "Two studies compared", "study"),
    ("en", "Libraries we like", "library"),
]
# The newer Snowball Dutch of PyStemmer (SQLite) takes these together, the
# older one of PostgreSQL 15 does not (werkt: werkt, werken: werk).
POSTGRES_DUTCH_MISSES = {"werkt", "maken"}


@TUNED
@pytest.mark.parametrize(("language", "written", "searched"), FORMS)
async def test_singular_plural_and_verb_forms_find_each_other(
    db: Database, archive: Archive, language: str, written: str, searched: str,
    tuning: SearchTuning | None,
) -> None:
    c = await archive.community("Kenniscafé", language)
    rene = await archive.member("rene")
    post = await archive.post(c, rene, written, "verder niets")
    await archive.post(c, rene, "Iets anders", "over thee en taart")
    # The difference is known (and in the README): if PostgreSQL's stemmer
    # catches up, this fails and the exception can go.
    expected = [] if on_postgres(db) and searched in POSTGRES_DUTCH_MISSES else [post]
    assert await search(db, c, [searched], tuning=tuning) == expected, (written, searched)


@BOTH
async def test_stems_follow_the_community_language(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    """English alone does not take Dutch forms together; Dutch does."""
    english, rene, _ = cafe
    dutch = await archive.community("Koffiehoek", "nl")
    await archive.post(english, rene, "Vergaderingen", "aan kennis")
    in_dutch = await archive.post(dutch, rene, "Vergaderingen", "aan kennis")
    assert await search(db, english, ["vergadering"]) == []
    assert await search(db, dutch, ["vergadering"]) == [in_dutch]
    if not on_postgres(db):  # (see POSTGRES_DUTCH_MISSES)
        await archive.post(english, rene, "Samen werken", "aan kennis")
        werken = await archive.post(dutch, rene, "Samen werken", "aan kennis")
        assert await search(db, english, ["werkt"]) == []
        assert await search(db, dutch, ["werkt"]) == [werken]


@TUNED
async def test_a_prefix_finds_every_word_starting_with_it(
    db: Database, archive: Archive, tuning: SearchTuning | None
) -> None:
    c = await archive.community("Kenniscafé", "nl")
    rene = await archive.member("rene")
    tafel = await archive.post(c, rene, "De koffietafel", "elke vrijdag")
    drinken = await archive.post(c, rene, "Verslag", "we gingen koffiedrinken")
    koffie = await archive.post(c, rene, "Koffie", "zwart")
    await archive.post(c, rene, "Thee", "groen")
    helpers = await archive.post(c, rene, "Gezocht", "vrijwilligers voor de bar")
    assert set(await search(db, c, ["koffie*"], tuning=tuning)) == {tafel, drinken, koffie}
    # The title counts most, as for any word.
    assert (await search(db, c, ["koffie*"], tuning=tuning))[:2] == [koffie, tafel]
    # The prefix is the word as written, not its stem (vrijwil).
    assert await search(db, c, ["vrijwillig*"], tuning=tuning) == [helpers]
    assert await search(db, c, ["koffietafels*"], tuning=tuning) == []
    # With other words, all must match.
    assert await search(db, c, ["koffie*", "vrijdag"], tuning=tuning) == [tafel]
    # Prefixes never match stems: nothing here is written "vrijwil…" but
    # vrijwilligers, whose stem is vrijwil.
    assert await search(db, c, ["vrijwil*"], tuning=tuning) == [helpers]
    assert await search(db, c, ["gezoch*"], tuning=tuning) == [helpers]
    # Several tokens: the last one is the prefix.
    dash = await archive.post(c, rene, "Koffie-tafel", "met streepje")
    assert await search(db, c, ["koffie-taf*"], tuning=tuning) == [dash]


@pytest.mark.parametrize("word", ["*", "**", "k*", "ko*", "*koffie", "koffie**", "*ko*"])
@BOTH
async def test_short_or_bare_prefixes_are_plain_words(
    db: Database, archive: Archive, cafe: tuple[int, int, int], word: str
) -> None:
    """A bare star has no token; under MIN_PREFIX letters the star is ignored
    and the word searched as itself (``ko``), never as every word."""
    c, rene, _ = cafe
    koffie = await archive.post(c, rene, "Koffie", "koffie en ko")
    await archive.post(c, rene, "Kopje", "thee")
    found = await search(db, c, [word])
    expected = {"*": [], "**": [], "k*": [], "ko*": [koffie], "*koffie": [koffie],
                "koffie**": [koffie], "*ko*": [koffie]}
    assert found == expected[word]


async def test_forced_prefix_lists_rank_like_plain_bm25(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    """A common prefix gets a top list like a common word: kept by writes,
    it ranks exactly like FTS5's prefix query."""
    c, rene, _ = cafe
    rng = random.Random(11)
    words = ["koffie", "koffietafel", "koffiebonen", "kofferbak", "thee", "taart"]

    def text_of(low: int, high: int) -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))

    posts = [await archive.post(c, rene, text_of(1, 3), text_of(2, 12)) for _ in range(40)]
    prefixes = ["koffie*", "koff*", "kof*", "koffiet*"]

    async def check() -> None:
        for prefix in prefixes:
            for limit in (1, 3, 5):
                expected = await plain_bm25(db, c, [prefix], limit)
                assert await search(db, c, [prefix], limit=limit, tuning=FORCED) == expected, prefix

    await check()
    for _ in range(5):
        await archive.post(c, rene, "koffietafel koffiebonen", "koffie " * 8)
    for post in rng.sample(posts, 10):
        await archive.remove(post)
    for post in rng.sample(posts, 5):
        await archive.edit(post, title=text_of(1, 2), body=text_of(2, 8))
    await check()


def marked(snippet: Snippet) -> list[str]:
    return [text for text, is_marked in snippet if is_marked]


def plain(snippet: Snippet) -> str:
    return "".join(text for text, _ in snippet)


async def hits(db: Database, community_id: int, words: list[str]) -> list[Hit]:
    async with db.read() as s:
        return await search_posts(s, community_id, words)


@BOTH
async def test_snippets_mark_the_matched_words(db: Database, archive: Archive) -> None:
    c = await archive.community("Kenniscafé", "nl")
    rene = await archive.member("rene")
    long_body = (
        "Eerst " + "veel andere woorden " * 20 + "en dan de vrijwilligers van de koffietafels,"
        " die altijd helpen. " + "Daarna nog meer tekst " * 20
    )
    post = await archive.post(c, rene, "Vrijwilligers", long_body)
    [hit] = await hits(db, c, ["vrijwilliger", "koffie*"])
    assert hit.post_id == post
    # From the body, around the first match, both words marked as written.
    assert marked(hit.snippet) == ["vrijwilligers", "koffietafels"]
    text = plain(hit.snippet)
    assert text.startswith("…") and text.endswith("…")
    assert "de vrijwilligers van de koffietafels, die altijd helpen." in text
    assert len(text) <= 220 and len(text.split()) <= 26


@BOTH
async def test_snippet_of_a_title_or_tag_match_and_of_markup(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    c, rene, _ = cafe
    title_only = await archive.post(c, rene, "Kanban boards", "nothing else here")
    tag_only = await archive.post(c, rene, "Notes", "from friday", tags=["retrospective"])
    markup = await archive.post(c, rene, "Markup", "*scrum* <b>bold</b> <script>alert(1)</script> [link](x)")
    [hit] = await hits(db, c, ["kanban"])
    assert hit.post_id == title_only and hit.snippet == (("Kanban", True), (" boards", False))
    [hit] = await hits(db, c, ["retrospectives"])
    assert hit.post_id == tag_only and hit.snippet == (("#", False), ("retrospective", True))
    # The snippet is the text as written, markup included, for the renderers
    # to escape; only whole words are marked.
    [hit] = await hits(db, c, ["scrum"])
    assert hit.post_id == markup
    assert plain(hit.snippet) == "*scrum* <b>bold</b> <script>alert(1)</script> [link](x)"
    assert marked(hit.snippet) == ["scrum"]


async def repositories(
    db: Database, language: str
) -> tuple[SqlDirectory, SqlArchive, CommunityInfo, MemberInfo]:
    """The bot's own repositories, a community in ``language`` and a member."""
    clock = SystemClock()
    directory = SqlDirectory(db, clock)
    community = await directory.ensure_community("Kenniscafé", "Europe/Amsterdam", language)
    author = await directory.ensure_member(community.id, Actor("console", "rene", "rene"))
    return directory, SqlArchive(db, clock), community, author


@BOTH
async def test_comments_and_tags_find_the_post(db: Database) -> None:
    """Through the archive repository: a comment added or edited, or tags
    changed, reach the search in the same transaction."""
    _, repo, community, author = await repositories(db, "nl")
    saved = await repo.create_post(
        NewPost(community.id, author.id, "Bijeenkomst", "in de bibliotheek", ("duurzaamheid",), (), START)
    )
    await repo.create_post(NewPost(community.id, author.id, "Anders", "iets anders", (), (), START))

    async def found(word: str) -> list[int]:
        return [p.number for p in await repo.search(community.id, [word], tag=None, author_id=None, limit=5)]

    assert await found("duurzaamheid") == [saved.number]
    source = SourceMessage("console", "console", "m7")
    await repo.add_comment(saved.id, author.id, "Ik neem stroopwafels mee", START, source)
    assert await found("stroopwafel") == [saved.number]
    [summary] = await repo.search(community.id, ["stroopwafel"], tag=None, author_id=None, limit=5)
    assert marked(summary.snippet) == ["stroopwafels"]
    comment = await repo.comment_from(source)
    assert comment is not None
    await repo.update_comment(comment.id, "Ik neem appeltaart mee")
    assert await found("stroopwafel") == []
    assert await found("appeltaart") == [saved.number]
    await repo.update_post(saved.id, "Bijeenkomst", "in de bibliotheek", ("energie",), (), START)
    assert await found("duurzaamheid") == []
    assert await found("energie") == [saved.number]
    assert await found("appeltaart") == [saved.number]  # comments stay indexed


@BOTH
async def test_links_their_words_and_titles_find_the_post(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    """A link's words are words (on PostgreSQL too, whose parser would make
    one token of a URL), and a fetched page title is searched with the body."""
    c, rene, _ = cafe
    post = await archive.post(c, rene, "Slides", "zie https://example.org/kennis-delen?x=1 en mail rene@kenniscafe.nl")
    await archive.post(c, rene, "Anders", "niets")
    async with db.write() as s:
        s.add(PostLink(post_id=post, position=0, url="https://example.org/kennis-delen?x=1",
                       title="Stroopwafels bakken: een handleiding"))
        await s.flush()
        await post_written(s, post)
    for words in (["example"], ["kennis-delen"], ["delen"], ["kenniscafe"], ["stroopwafel"],
                  ["handleid*"]):
        assert await search(db, c, words) == [post], words


@BOTH
async def test_a_language_change_reindexes_the_community(db: Database) -> None:
    directory, repo, community, author = await repositories(db, "en")
    await repo.create_post(NewPost(community.id, author.id, "Vergaderingen", "aan kennis", (), (), START))
    assert await search(db, community.id, ["vergadering"]) == []
    await directory.ensure_community("Kenniscafé", "Europe/Amsterdam", "nl")
    assert len(await search(db, community.id, ["vergadering"])) == 1


@BOTH
async def test_a_prefix_matches_words_as_written_never_stems(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    c, rene, _ = cafe
    happy = await archive.post(c, rene, "A happy team", "nothing else")
    # "happy" is stemmed to happi; as written it does not start with happi.
    assert await search(db, c, ["happiness"]) == [happy]
    assert await search(db, c, ["happi*"]) == []
    assert await search(db, c, ["happ*"]) == [happy]


async def seed_old_archive(db: Database, revision: str) -> tuple[int, list[int]]:
    """Migrate to ``revision`` and write an archive there, as a bot of that
    time did: a live post, a removed one, and one whose tag and comment say
    what it is about. Returns the community and the posts."""
    await db.run_sync(lambda conn: command.upgrade(alembic_config(conn), revision))
    async with db.write() as s:
        community = Community(name="Kenniscafé", language="nl", created_at=START)
        s.add(community)
        # The member table as that revision had it (later ones added columns the model knows).
        author_id = (await s.execute(
            sa.text("INSERT INTO member (display_name, created_at, digest_dm, pairing_opt_in) "
                    "VALUES ('rene', :at, false, false) RETURNING id"), {"at": stamp(s, START)})).scalar_one()
        author = Member(id=author_id, display_name="rene", created_at=START)
        await s.flush()
        assert community.id is not None and author.id is not None
        posts = [
            Post(community_id=community.id, number=n, title=title, body=body, author_id=author.id,
                 created_at=START, updated_at=START, removed_at=removed)
            for n, (title, body, removed) in enumerate(
                [("Vrijwilligers gezocht", "voor de bar", None),
                 ("Koffietafels", "verslag", START),
                 ("Notulen", "niets bijzonders", None)], 1)
        ]
        tag = Tag(community_id=community.id, name="werving")
        for row in (*posts, tag):
            s.add(row)
        await s.flush()
        assert posts[2].id is not None and tag.id is not None
        s.add(PostTag(post_id=posts[2].id, tag_id=tag.id))
        s.add(Comment(post_id=posts[2].id, member_id=author.id, body="Ik neem stroopwafels mee",
                      created_at=START))
    if revision >= "0010":
        # From 0010 on, the bot indexed what it wrote (0010's form: terms).
        await db.run_sync(lambda conn: index_all(
            lambda statement, params: conn.execute(text(statement), params).all(),
            lambda statement, rows: conn.execute(text(statement), rows),
        ))
    ids = [post.id for post in posts]
    assert None not in ids
    assert community.id is not None
    return community.id, [post_id for post_id in ids if post_id is not None]


async def assert_old_archive_found(db: Database, community: int, posts: list[int]) -> None:
    assert await search(db, community, ["vrijwilliger"]) == [posts[0]]
    assert await search(db, community, ["vrijwil*"]) == [posts[0]]
    assert await search(db, community, ["stroopwafel"]) == [posts[2]]
    assert await search(db, community, ["werving"]) == [posts[2]]
    assert await search(db, community, ["koffietafel"]) == []


async def test_the_migration_indexes_an_existing_archive(database_url: str) -> None:
    """Migrations 0010 (and 0011 on PostgreSQL) on a database full of posts
    (as 0009 left it): their words, comments and tags are searched by stem;
    removed posts are not. It also goes back and forth."""
    db = Database(database_url)
    try:
        community, posts = await seed_old_archive(db, "0009")
        for _ in range(2):
            await db.migrate()
            await assert_old_archive_found(db, community, posts)
            await db.run_sync(lambda conn: command.downgrade(alembic_config(conn), "0009"))
    finally:
        await db.dispose()


# --------------------------------------------------------------------------
# The common-word machinery, forced on small data
# --------------------------------------------------------------------------

WORDS = ["koffie", "thee", "taart", "kennis", "team", "agile", "scrum", "data", "café", "project"]


def random_text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


async def corpus(
    archive: Archive, community: int, author: int, n: int, seed: int, *, same_length: bool = False
) -> list[int]:
    """Random posts over WORDS; ``same_length``: all 2 + 10 words long."""
    rng = random.Random(seed)
    title, body = ((2, 2), (10, 10)) if same_length else ((1, 4), (3, 30))
    return [
        await archive.post(community, author, random_text(rng, *title), random_text(rng, *body))
        for _ in range(n)
    ]


async def assert_single_words_match_plain_bm25(
    db: Database, community: int, tuning: SearchTuning
) -> None:
    for word in WORDS:
        for limit in (1, 3, 5):
            expected = await plain_bm25(db, community, [word], limit)
            assert await search(db, community, [word], limit=limit, tuning=tuning) == expected, word


@pytest.mark.parametrize(
    ("same_length", "tuning"),
    [
        # Equal lengths: the mean post length cannot move, so post_written
        # alone must keep the lists right (no drift rebuilds happen).
        (True, FORCED),
        # Varied lengths: any drift of the mean length rebuilds a list.
        (False, dataclasses.replace(FORCED, avgdl_drift=0.0)),
    ],
    ids=["maintained", "rebuilt-on-drift"],
)
async def test_forced_lists_rank_single_words_like_plain_bm25(
    db: Database,
    archive: Archive,
    cafe: tuple[int, int, int],
    same_length: bool,
    tuning: SearchTuning,
) -> None:
    c, rene, _ = cafe
    posts = await corpus(archive, c, rene, 60, seed=1, same_length=same_length)
    # Lists are created lazily by the first searches.
    await assert_single_words_match_plain_bm25(db, c, tuning)
    async with db.read() as s:
        lists = (await s.execute(text("SELECT count(*) FROM search_top_list"))).scalar_one()
    assert lists == len(WORDS)

    def text_of(rng: random.Random, low: int, high: int) -> str:
        return random_text(rng, high, high) if same_length else random_text(rng, low, high)

    # Writes keep them right: new posts that should rank first...
    rng = random.Random(2)
    for word in WORDS[:5]:
        filler = text_of(rng, 5, 5).split()[:5]
        await archive.post(c, rene, f"{word} {word}", " ".join([word] * 5 + filler))
    posts += await corpus(archive, c, rene, 10, seed=3, same_length=same_length)
    await assert_single_words_match_plain_bm25(db, c, tuning)
    # ...removals (which thin the lists until they are rebuilt)...
    for post in rng.sample(posts, 25):
        await archive.remove(post)
    await assert_single_words_match_plain_bm25(db, c, tuning)
    # ...edits, and a rebuild from scratch.
    for post in rng.sample(posts, 10):
        await archive.edit(post, title=text_of(rng, 1, 2), body=text_of(rng, 2, 10))
    await assert_single_words_match_plain_bm25(db, c, tuning)
    async with db.write() as s:
        await rebuild_search_lists(s, tuning=tuning)
    await assert_single_words_match_plain_bm25(db, c, tuning)


async def test_lists_stay_bounded_and_never_hold_removed_posts(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    c, rene, _ = cafe
    await corpus(archive, c, rene, 10, seed=4)
    async with db.write() as s:
        await rebuild_search_lists(s, tuning=FORCED)
    posts = await corpus(archive, c, rene, 30, seed=5)
    for post in posts[::3]:
        await archive.remove(post)
    async with db.read() as s:
        biggest = (
            await s.execute(
                text("SELECT max(n) FROM (SELECT count(*) AS n FROM search_top_entry GROUP BY term)")
            )
        ).scalar_one()
        stale = (
            await s.execute(
                text(
                    "SELECT count(*) FROM search_top_entry AS e JOIN post AS p ON p.id = e.post_id"
                    " WHERE p.removed_at IS NOT NULL"
                )
            )
        ).scalar_one()
        miscounted = (
            await s.execute(
                text(
                    "SELECT count(*) FROM search_top_list AS l WHERE l.size !="
                    " (SELECT count(*) FROM search_top_entry AS e"
                    "  WHERE e.community_id = l.community_id AND e.term = l.term)"
                )
            )
        ).scalar_one()
    assert biggest <= FORCED.list_size
    assert stale == 0
    assert miscounted == 0


@pytest.mark.parametrize("seed", [6, 7])
async def test_forced_python_bm25_ranks_several_words_like_fts5(
    db: Database, archive: Archive, cafe: tuple[int, int, int], seed: int
) -> None:
    """With lists that hold every post, the Python scoring is the only thing
    between the query and the answer: it must equal FTS5 bm25, for AND and
    for the OR fallback, and for phrases."""
    c, rene, _ = cafe
    await corpus(archive, c, rene, 50, seed=seed)
    await archive.post(c, rene, "Lean startup", "lean lean startup")
    await archive.post(c, rene, "Six sigma", "sigma")
    everything = SearchTuning(selective_df=0, scan_df=0, list_size=1000, plain_budget_us=0)
    rng = random.Random(seed)
    for _ in range(20):
        words = rng.sample(WORDS, rng.choice((2, 3)))
        assert await search(db, c, words, limit=5, tuning=everything) == await plain_bm25(
            db, c, words, 5
        ), words
    # Nothing has both: the OR fallback ranks like FTS5 "lean OR sigma".
    words = ["lean", "sigma"]
    assert await search(db, c, words, tuning=everything) == await plain_bm25(
        db, c, words, 5, require_all=False
    )
    # A phrase: the words adjacent, in order.
    assert await search(db, c, ["lean-startup"], tuning=everything) == await plain_bm25(
        db, c, ["lean-startup"], 5
    )
    # Selective words take the exact AND-set path: same answer.
    exact = SearchTuning(selective_df=1000, plain_budget_us=0)
    for _ in range(10):
        words = rng.sample(WORDS, 2)
        assert await search(db, c, words, tuning=exact) == await plain_bm25(db, c, words, 5)


async def test_forced_several_common_words_only_return_true_matches(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    """Small lists (3 posts) only approximate the best posts of a several-word
    query; every answer must still hold every word and be live."""
    c, rene, _ = cafe
    posts = await corpus(archive, c, rene, 60, seed=8)
    removed = set(posts[::4])
    for post in removed:
        await archive.remove(post)
    rng = random.Random(9)
    async with db.read() as s:
        texts = {
            row[0]: set(tokenize(row[1] + " " + row[2]))
            for row in (
                await s.execute(text("SELECT id, title, body FROM post WHERE removed_at IS NULL"))
            ).all()
        }
    for _ in range(20):
        words = rng.sample(WORDS, 2)
        found = await search(db, c, words, tuning=FORCED)
        assert found, words
        assert not removed & set(found)
        assert all(set(tokenize(" ".join(words))) <= texts[post] for post in found), words


async def test_a_busy_database_only_skips_saving_a_list(
    db: Database, archive: Archive, cafe: tuple[int, int, int], tmp_path: os.PathLike[str]
) -> None:
    """Searches may run in read transactions; building a list then needs the
    write lock. If another connection holds it, the search still answers
    (right away, no busy wait) and the list is simply not saved."""
    c, rene, _ = cafe
    await corpus(archive, c, rene, 20, seed=10)
    writer = sqlite3.connect(os.path.join(tmp_path, "search.db"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE community SET language = 'nl'")
        assert await search(db, c, ["koffie"], tuning=FORCED) == await plain_bm25(
            db, c, ["koffie"], 5
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM search_top_list"))).scalar_one() == 0
    await search(db, c, ["koffie"], tuning=FORCED)
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM search_top_list"))).scalar_one() == 1


async def test_post_written_is_harmless_for_unknown_or_deleted_posts(
    db: Database, archive: Archive, cafe: tuple[int, int, int]
) -> None:
    c, rene, _ = cafe
    post = await archive.post(c, rene, "Koffie", "koffie")
    await search(db, c, ["koffie"], tuning=FORCED)  # builds a list holding the post
    async with db.write() as s:
        await post_written(s, 12345)
        await s.execute(text("DELETE FROM post WHERE id = :id"), {"id": post})
        await post_written(s, post)
    assert await search(db, c, ["koffie"], tuning=FORCED) == []
    async with db.read() as s:  # the cascade took the entry, and the count
        assert (await s.execute(text("SELECT sum(size) FROM search_top_list"))).scalar_one() == 0


# --------------------------------------------------------------------------
# PostgreSQL's own full-text search (skipped when no server is reachable)
# --------------------------------------------------------------------------

@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    database = pg_database()
    try:
        yield database
    finally:
        await database.dispose()


async def plan_of(db: Database, community_id: int, words: list[str]) -> str:
    """PostgreSQL's plan for the search of ``words`` (all must match), with
    sequential scans priced out: on a few thousand rows reading them all
    is cheaper, and the question is whether the index can answer."""
    statement, params = search_sql(
        Filter(community_id, None, None), query_words(words), "nl", require_all=True, limit=5
    )
    async with db.read() as s:
        await s.execute(text("SET LOCAL enable_seqscan = off"))
        rows = (await s.execute(text("EXPLAIN " + statement), params)).all()
    return "\n".join(str(row[0]) for row in rows)


async def test_postgresql_answers_from_its_gin_index(pg_db: Database) -> None:
    """Among thousands of posts, the GIN index finds the few with a word
    (prefixes and several words too)."""
    archive = Archive(pg_db)
    c = await archive.community("Kenniscafé", "nl")
    rene = await archive.member("rene")
    async with pg_db.write() as s:
        await s.execute(
            text(
                "INSERT INTO post (community_id, number, title, body, author_id, created_at, updated_at)"
                " SELECT :c, n, 'Verslag ' || n, 'koffie en thee, deel ' || n, :a, :at, :at"
                " FROM generate_series(1, 3000) AS n"
            ),
            {"c": c, "a": rene, "at": START},
        )
        await index_posts(await Sql.of(s), c)
    wafels = await archive.post(c, rene, "Stroopwafels", "bij de koffie")
    async with pg_db.write() as s:
        await s.execute(text("ANALYZE post"))
        await s.execute(text("ANALYZE search_text"))
    for words in (["stroopwafel"], ["stroop*"], ["stroopwafels", "koffie"]):
        plan = await plan_of(pg_db, c, words)
        assert "Bitmap Index Scan on ix_search_text_document" in plan, plan
        assert "Seq Scan on search_text" not in plan, plan
        assert await search(pg_db, c, words) == [wafels], words
    assert len(await search(pg_db, c, ["koffie"], limit=10)) == 10


async def test_postgresql_folds_accents_itself(pg_db: Database) -> None:
    """unaccent in every configuration: café = cafe in posts and searches,
    however the accent was typed, and in prefixes too."""
    archive = Archive(pg_db)
    c = await archive.community("Kenniscafé", "nl")
    rene = await archive.member("rene")
    brulee = await archive.post(c, rene, "Crème brûlée", "in het Ærø-café aan de Straße")
    decomposed = await archive.post(c, rene, "Cafe\u0301", "Reu\u0308nie")
    for words in (["creme", "brulee"], ["CRÈME", "BRÛLÉE"], ["brûl*"], ["brul*"], ["aero"],
                  ["ærø"], ["strasse"], ["straße"]):
        assert await search(pg_db, c, words) == [brulee], words
    for words in (["reunie"], ["reünie"], ["reu*"]):
        assert await search(pg_db, c, words) == [decomposed], words
    assert set(await search(pg_db, c, ["cafe"])) == {brulee, decomposed}
    assert set(await search(pg_db, c, ["CAFÉ"])) == {brulee, decomposed}


async def test_postgresql_stems_dutch_and_english(pg_db: Database) -> None:
    """A Dutch community's posts are stemmed in Dutch and in English; an
    English one's in English only. No stop words: "de" is a word too."""
    archive = Archive(pg_db)
    dutch = await archive.community("Kenniscafé", "nl")
    english = await archive.community("Knowledge café", "en")
    rene = await archive.member("rene")
    post = await archive.post(
        dutch, rene, "Vrijwilligers gezocht", "voor de koffietafels en vergaderingen; volunteering"
    )
    await archive.post(dutch, rene, "Iets anders", "over thee")
    for word in ("vrijwilliger", "vrijwilligers", "koffietafel", "vergadering", "volunteer",
                 "volunteers", "de"):
        assert await search(pg_db, dutch, [word]) == [post], word
    in_english = await archive.post(english, rene, "Volunteers", "for the vergaderingen")
    for word in ("volunteering", "volunteer"):
        assert await search(pg_db, english, [word]) == [in_english], word
    assert await search(pg_db, english, ["vergadering"]) == []


HOSTILE = [
    "'", "''", "'koffie'", ":", "koffie:", ":*", "koffie:*", "koffie:*AB", "koffie:A", "&", "|",
    "!", "!koffie", "<->", "<1>", "koffie<->thee", "koffie <2> thee", "(", ")", "(koffie | thee)",
    "koffie&thee", "koffie|thee", "!!", "\\", "\\'", "koffie\\", "\\*", "\x00", "koffie\x00thee",
    "'koffie'*", "koffie'*", "ko&ffie*", "&*", "'; DROP TABLE post; --", "\ue000", "\ue000koffie",
    "\u200b", "?!.,;", "*" * 100, "a" * 20_000, "koffie " * 2_500, "a-" * 10_000,
    "!@#$%^&*()<>:'|\\" * 1_250,
]


async def test_postgresql_never_reads_user_text_as_tsquery(pg_db: Database) -> None:
    """Operators, quotes, backslashes, NUL, huge words: plain words or
    punctuation, never tsquery syntax, never an error."""
    archive = Archive(pg_db)
    c = await archive.community("Kenniscafé", "nl")
    rene = await archive.member("rene")
    both = await archive.post(c, rene, "Koffie thee", "koffie en thee")
    koffie = await archive.post(c, rene, "Koffie", "zwart")
    for word in HOSTILE:
        assert isinstance(await search(pg_db, c, [word]), list), word[:40]
        assert isinstance(await search(pg_db, c, [word, "koffie"]), list), word[:40]
    assert isinstance(await search(pg_db, c, HOSTILE), list)
    assert isinstance(await hits(pg_db, c, HOSTILE[:16]), list)
    # Operators are punctuation: the words around them are a phrase.
    for word in ("koffie&thee", "koffie|thee", "koffie<->thee", "(koffie | thee)", "koffie:thee"):
        assert await search(pg_db, c, [word]) == [both], word
    assert await search(pg_db, c, ["!koffie"]) == [koffie, both]
    assert await search(pg_db, c, ["'koffie'*"]) == [koffie, both]
    # A word too long for PostgreSQL to index matches nothing: all words
    # must match, so the other word ranks alone.
    assert await search(pg_db, c, ["a" * 20_000]) == []
    assert await search(pg_db, c, ["thee", "a" * 20_000]) == [both]


async def test_postgresql_ranks_titles_first_then_newer_posts(pg_db: Database) -> None:
    archive = Archive(pg_db)
    c = await archive.community("Kenniscafé", "nl")
    rene = await archive.member("rene")
    in_title = await archive.post(c, rene, "Koffietafel", "verslag van vrijdag")
    in_body = await archive.post(c, rene, "Verslag", "van de koffietafel")
    in_body_too = await archive.post(c, rene, "Verslag", "van de koffietafel")
    for words in (["koffietafel"], ["koffietafels"], ["koffie*"], ["KOFFIETAF*"]):
        assert await search(pg_db, c, words) == [in_title, in_body_too, in_body], words


async def test_postgresql_finds_an_archive_indexed_by_0010(postgres_url: str) -> None:
    """A PostgreSQL database of 0010 (search_text holding Python's terms)
    with posts: after 0011 its posts are found by PostgreSQL's own search;
    downgraded, search_text holds the terms again."""
    db = Database(postgres_url)
    try:
        community, posts = await seed_old_archive(db, "0010")

        async def first_title() -> str:
            async with db.read() as s:
                return str((await s.execute(
                    text("SELECT title FROM search_text WHERE post_id = :id"), {"id": posts[0]}
                )).scalar_one())

        assert "_vrijwilligers" in await first_title()
        await db.migrate()
        assert await first_title() == "Vrijwilligers gezocht"
        async with db.read() as s:
            configs = (await s.execute(text("SELECT DISTINCT config::text FROM search_text"))).all()
        assert configs == [("kenniscafe_dutch",)]
        await assert_old_archive_found(db, community, posts)
        await db.run_sync(lambda conn: command.downgrade(alembic_config(conn), "0010"))
        assert "_vrijwilligers" in await first_title()
        async with db.read() as s:
            left = (await s.execute(
                text("SELECT count(*) FROM pg_ts_config WHERE cfgname LIKE 'kenniscafe%'")
            )).scalar_one()
        assert left == 0
        await db.migrate()
        await assert_old_archive_found(db, community, posts)
    finally:
        await db.dispose()
