"""The weekly digest: every section in order, once per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.conftest import FakeClock, Transcript, console_on, console_settings

# Monday 7 December 2026, 09:00 in Amsterdam: the default digest moment.
DIGEST_AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def lively_week(console: Transcript, clock: FakeClock) -> None:
    """Posts, reactions, comments, a coffee table and new members in the week before DIGEST_AT."""
    clock.current = DIGEST_AT - timedelta(days=5)
    await console.say("!kc post Quiet post | nobody reacts", as_user="rene")
    await console.say("!kc post Popular post | everyone reacts #koffie", as_user="anna")
    popular = console.ref_of("Saved #2")
    for name in ("piet", "sanne", "joost"):
        await console.say(f"/react {popular} 👍", as_user=name)
    await console.say("!kc comment #1 first!", as_user="piet")
    await console.say("!kc comment #1 second", as_user="sanne")
    await console.say("!kc event new Koffietafel | 2026-12-11 09:30 | Winkwaves | 12", as_user="rene")
    await console.say("!kc join E1", as_user="anna")
    clock.current = DIGEST_AT


async def test_preview_shows_every_section_in_spec_order(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "d.db", clock=clock) as console:
        await lively_week(console, clock)
        async with console.bot.repos.schedule.db.write() as session:  # type: ignore[attr-defined]
            await session.execute(text(
                "INSERT INTO membertopic (member_id, kind, topic) "
                "SELECT id, 'interest', 'koffie' FROM member WHERE display_name IN ('anna', 'joost')"))
        preview = await console.say("!kc digest preview", as_user="piet")
    sections = ["Weekly digest of Kenniscafé, 30 Nov – 7 Dec", "New posts (2):",
                "#2 Popular post — anna · 3 reactions", "#1 Quiet post — rene · 2 comments",
                "Active discussions:", "#1 Quiet post — 2 comments this week",
                "Coming up:", "E1 Koffietafel — Fri 11 Dec 09:30, Winkwaves · 11 of 12 seats left",
                "New members: anna, piet, sanne, joost",
                "People who might want to meet:", "anna and joost — both into koffie"]
    positions = [preview.index(section) for section in sections]
    assert positions == sorted(positions)


async def test_an_empty_week_says_so_in_one_line(transcript: Transcript) -> None:
    preview = await transcript.say("!kc digest preview")
    assert "bot: A quiet week at Kenniscafé" in preview


async def test_removed_posts_stay_out_of_the_digest(tmp_path: Path) -> None:
    clock = FakeClock()
    async with console_on(tmp_path / "r.db", clock=clock) as console:
        await lively_week(console, clock)
        await console.say("!kc remove #2", as_user="anna")
        preview = await console.say("!kc digest preview")
    assert "Popular post" not in preview and "New posts (1):" in preview


async def test_digest_is_posted_once_to_digest_rooms_and_subscribers(tmp_path: Path) -> None:
    clock = FakeClock()
    settings = console_settings(tmp_path / "p.db", digest_rooms=["console"])
    async with console_on(tmp_path / "p.db", clock=clock, settings=settings) as console:
        await lively_week(console, clock)
        assert "You'll get the weekly digest by DM." in await console.say("!kc digest on", as_user="sanne")
        await console.say("!kc me language nl", as_user="piet")
        await console.say("!kc digest aan", as_user="piet")
        clock.current = DIGEST_AT - timedelta(minutes=1)
        assert await console.bot.post_due_digests() == 0
        clock.current = DIGEST_AT
        before = len(console.out.getvalue())
        assert await console.bot.post_due_digests() == 1
        await console.delivered()
        posted = console.out.getvalue()[before:]
        assert "bot: Weekly digest of Kenniscafé" in posted
        assert "bot → sanne (DM): Weekly digest of Kenniscafé" in posted
        assert "bot → piet (DM): Weekoverzicht van Kenniscafé, 30 nov – 7 dec" in posted  # his own language
        assert "2 reacties" in posted and "vr 11 dec 09:30" in posted
        clock.advance(timedelta(minutes=5))
        assert await console.bot.post_due_digests() == 0
    # A restart in the same week posts nothing again.
    async with console_on(tmp_path / "p.db", clock=clock, settings=settings) as restarted:
        assert await restarted.bot.post_due_digests() == 0
        clock.current = DIGEST_AT + timedelta(days=7)
        assert await restarted.bot.post_due_digests() == 1


async def test_a_digest_missed_by_more_than_the_grace_is_skipped(tmp_path: Path) -> None:
    clock = FakeClock(DIGEST_AT + timedelta(hours=13))
    settings = console_settings(tmp_path / "g.db", digest_rooms=["console"])
    async with console_on(tmp_path / "g.db", clock=clock, settings=settings) as console:
        assert await console.bot.post_due_digests() == 0


async def test_digest_in_the_community_zone_across_dst(tmp_path: Path) -> None:
    """Monday 09:00 Amsterdam is 08:00 UTC in winter and 07:00 UTC in summer."""
    clock = FakeClock(datetime(2027, 3, 29, 6, 59, tzinfo=UTC))
    settings = console_settings(tmp_path / "s.db", digest_rooms=["console"])
    async with console_on(tmp_path / "s.db", clock=clock, settings=settings) as console:
        assert await console.bot.post_due_digests() == 0
        clock.current = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
        assert await console.bot.post_due_digests() == 1
