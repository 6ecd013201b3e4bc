"""Building the weekly digest as the archive grows.

Ours: ``DigestService.build`` through the bot's repositories (what `digest
preview` and the weekly post do) on a community of 100k posts, 10k members
and 1k events with reactions and comments. Baseline, same run, same file:
the digest's underlying SQL queries run raw with ``sqlite3``.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.runtime import build_bot
from bench.common import Result, cache_dir, percentile, schema_key, warm_file
from bot.config import Settings
from storage.engine import Database, sqlite_url_for_path

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday, digest time
STAMP = "%Y-%m-%d %H:%M:%S.%f"
RUNS = 30


def _stamp(moment: datetime) -> str:
    return moment.strftime(STAMP)


async def _migrate(path: Path) -> None:
    db = Database(sqlite_url_for_path(path))
    await db.migrate()
    await db.dispose()


def _build(path: Path, posts: int, members: int, events: int) -> None:
    """A year of community life, spread evenly, written with raw inserts."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    asyncio.run(_migrate(path))
    rng = random.Random(7)
    year = timedelta(days=365)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO community (id, name, timezone, language, created_at) "
                 "VALUES (1, 'Kenniscafé', 'Europe/Amsterdam', 'en', ?)", (_stamp(NOW - year),))

    def when() -> str:
        return _stamp(NOW - year * rng.random())

    conn.executemany("INSERT INTO member (id, display_name, created_at, digest_dm, pairing_opt_in) VALUES (?,?,?,0,0)",
                     [(m, f"member{m}", when()) for m in range(1, members + 1)])
    conn.executemany("INSERT INTO membership (community_id, member_id, role, joined_at) VALUES (1, ?, 'member', ?)",
                     [(m, when()) for m in range(1, members + 1)])
    topics = [f"topic{t}" for t in range(200)]
    conn.executemany("INSERT OR IGNORE INTO membertopic (member_id, kind, topic) VALUES (?, 'interest', ?)",
                     [(m, rng.choice(topics)) for m in range(1, members + 1)])
    conn.executemany(
        "INSERT INTO post (id, community_id, number, title, body, author_id, created_at, updated_at) "
        "VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
        [(p, p, f"Post {p} about koffie", "kennis delen " * 10, rng.randint(1, members), s, s)
         for p in range(1, posts + 1) for s in [when()]],
    )
    conn.executemany("INSERT OR IGNORE INTO reaction (post_id, member_id, emoji, created_at) VALUES (?,?,?,?)",
                     [(rng.randint(1, posts), rng.randint(1, members), rng.choice("👍🎉❤"), when())
                      for _ in range(posts * 3)])
    conn.executemany("INSERT INTO comment (post_id, member_id, body, created_at) VALUES (?,?,?,?)",
                     [(rng.randint(1, posts), rng.randint(1, members), "eens!", when()) for _ in range(posts)])
    conn.executemany(
        "INSERT INTO event (community_id, number, title, starts_at, location, capacity, status, created_by_id, "
        "created_at, updated_at, time_set_at) VALUES (1, ?, 'Koffietafel', ?, 'Utrecht', 20, 'open', 1, ?, ?, ?)",
        [(e, _stamp(NOW - year / 2 + timedelta(days=rng.random() * 365)), s, s, s)
         for e in range(1, events + 1) for s in [when()]],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _raw_queries(path: Path) -> float:
    """The digest's queries, straight through sqlite3: milliseconds."""
    conn = sqlite3.connect(path)
    start, end, soon = _stamp(NOW - timedelta(days=7)), _stamp(NOW), _stamp(NOW + timedelta(days=14))
    began = time.perf_counter()
    conn.execute(
        "SELECT p.number, p.title, m.display_name, (SELECT count(*) FROM reaction r WHERE r.post_id = p.id) AS r, "
        "(SELECT count(*) FROM comment k WHERE k.post_id = p.id) AS c FROM post p JOIN member m ON m.id = p.author_id "
        "WHERE p.community_id = 1 AND p.removed_at IS NULL AND p.created_at >= ? AND p.created_at < ? "
        "ORDER BY r DESC, c DESC, p.number DESC LIMIT 10", (start, end)).fetchall()
    conn.execute("SELECT count(*) FROM post WHERE community_id = 1 AND removed_at IS NULL AND created_at >= ? "
                 "AND created_at < ?", (start, end)).fetchall()
    conn.execute(
        "SELECT p.number, p.title, m.display_name, count(*) AS n FROM comment k JOIN post p ON p.id = k.post_id "
        "JOIN member m ON m.id = p.author_id WHERE k.created_at >= ? AND k.created_at < ? AND p.community_id = 1 "
        "AND p.removed_at IS NULL GROUP BY p.id ORDER BY n DESC LIMIT 5", (start, end)).fetchall()
    conn.execute("SELECT m.display_name FROM membership s JOIN member m ON m.id = s.member_id WHERE s.community_id = 1 "
                 "AND s.joined_at >= ? AND s.joined_at < ? ORDER BY s.joined_at LIMIT 20", (start, end)).fetchall()
    conn.execute("SELECT count(*) FROM membership WHERE community_id = 1 AND joined_at >= ? AND joined_at < ?",
                 (start, end)).fetchall()
    conn.execute(
        "SELECT ma.display_name, mb.display_name, a.topic FROM membership s "
        "JOIN membertopic a ON a.member_id = s.member_id "
        "JOIN membertopic b ON b.topic = a.topic AND b.member_id != a.member_id "
        "JOIN membership sb ON sb.member_id = b.member_id AND sb.community_id = 1 "
        "JOIN member ma ON ma.id = a.member_id JOIN member mb ON mb.id = b.member_id "
        "WHERE s.community_id = 1 AND s.joined_at >= ? AND s.joined_at < ? "
        "AND NOT EXISTS (SELECT 1 FROM pairingmatch x WHERE x.community_id = 1 AND "
        "((x.member_a_id = a.member_id AND x.member_b_id = b.member_id) OR "
        "(x.member_a_id = b.member_id AND x.member_b_id = a.member_id))) "
        "ORDER BY s.joined_at, sb.joined_at DESC LIMIT 12", (start, end)).fetchall()
    conn.execute("SELECT id FROM event WHERE community_id = 1 AND starts_at > ? AND starts_at <= ? "
                 "AND status != 'cancelled' ORDER BY starts_at LIMIT 20", (end, soon)).fetchall()
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed * 1000


async def _ours(path: Path) -> list[float]:
    settings = Settings.model_validate({
        "bot": {"database": sqlite_url_for_path(path)},
        "communities": [{"name": "Kenniscafé", "managers": ["member1"], "rooms": ["console"]}],
    })
    db = Database(settings.bot.database)

    class Fixed:
        def now(self) -> datetime:
            return NOW

    bot = await build_bot(settings, db, Fixed())
    community = bot.communities[0]
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        doc = await bot.digest.build(community, NOW, NOW, "!kc", community.language)
        samples.append((time.perf_counter() - began) * 1000)
    assert doc.blocks, "the digest came out empty"
    await db.dispose()
    return samples


def run(quick: bool) -> list[Result]:
    """Digest build time, ours against its queries run raw."""
    posts, members, events = (2_000, 200, 20) if quick else (100_000, 10_000, 1_000)
    path = cache_dir() / f"digest-{posts}-{members}-{events}-{schema_key()}.db"
    if not path.exists():
        _build(path, posts, members, events)
    warm_file(path)
    ours = asyncio.run(_ours(path))
    raw = [_raw_queries(path) for _ in range(RUNS)]
    p50, raw50 = percentile(ours, 50), percentile(raw, 50)
    return [
        Result("digest build p50", p50, "ms", {"its queries, raw sqlite3": raw50},
               target="< 200", passed=p50 < 200,
               note=f"{posts:,} posts, {members:,} members, {events:,} events; {RUNS} builds"),
        Result("digest build p95", percentile(ours, 95), "ms", {"its queries, raw sqlite3": percentile(raw, 95)}),
    ]
