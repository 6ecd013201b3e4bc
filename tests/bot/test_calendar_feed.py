"""Calendar feeds: tables made and changed through chat, read back as the
feeds a phone subscribes to (SqlCalendar + feed_calendar)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from icalendar.cal.component import Component
from sqlmodel import select

from bot.ics import FeedEntry, feed_calendar
from storage.models import Community, Identity
from storage.repositories.calendar import SqlCalendar
from tests.conftest import START, Transcript

SINCE = START - timedelta(days=90)
ZONE = "Europe/Amsterdam"


async def community_id(transcript: Transcript) -> int:
    async with transcript.core.db.read() as session:
        found = await session.execute(select(Community.id).where(Community.name == "Kenniscafé"))
    return int(found.scalar_one())


async def member_id(transcript: Transcript, name: str) -> int:
    async with transcript.core.db.read() as session:
        found = await session.execute(
            select(Identity.member_id).where(Identity.platform == "console", Identity.external_id == name))
    return int(found.scalar_one())


async def community_feed(transcript: Transcript) -> list[Component]:
    """The community feed's VEVENTs, parsed back."""
    events = await SqlCalendar(transcript.core.db).community_feed(await community_id(transcript), SINCE)
    content = feed_calendar("Kenniscafé", [FeedEntry("Kenniscafé", ZONE, e) for e in events], START, "en")
    calendar = Calendar.from_ical(content)
    assert str(calendar["x-wr-calname"]) == "Kenniscafé"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in content
    assert b"X-PUBLISHED-TTL:PT1H" in content
    return list(calendar.walk("VEVENT"))


async def member_feed(transcript: Transcript, name: str) -> list[Component]:
    """A member's feed's VEVENTs, parsed back."""
    rows = await SqlCalendar(transcript.core.db).member_feed(await member_id(transcript, name), SINCE)
    assert {community for community, _ in rows} <= {await community_id(transcript)}
    entries = [FeedEntry("Kenniscafé", ZONE, event) for _, event in rows]
    return list(Calendar.from_ical(feed_calendar(f"Kenniscafé: {name}", entries, START)).walk("VEVENT"))


def summary(vevents: list[Component]) -> list[tuple[str, int, str]]:
    return [(str(v["summary"]), int(str(v["sequence"])), str(v["status"])) for v in vevents]


async def test_edits_raise_the_sequence_and_cancelled_tables_stay(transcript: Transcript) -> None:
    await transcript.say("!kc event new Borrel | za 12 dec 17:00 | Café de Zaak", as_user="rene")
    await transcript.say("!kc event new Koffietafel | vr 11 dec 9:30 | Winkwaves, Utrecht | 3")
    assert summary(await community_feed(transcript)) == [
        ("E2 Koffietafel", 0, "CONFIRMED"), ("E1 Borrel", 0, "CONFIRMED")]  # soonest first

    await transcript.say("!kc event edit E2 where Online")
    (e2, _) = await community_feed(transcript)
    assert (str(e2["location"]), int(str(e2["sequence"]))) == ("Online", 1)
    await transcript.say("!kc event edit E2 when vr 11 dec 10:00")
    (e2, _) = await community_feed(transcript)
    assert int(str(e2["sequence"])) == 2
    assert e2.decoded("dtstart").isoformat() == "2026-12-11T10:00:00+01:00"
    assert str(e2.decoded("dtstart").tzinfo) == ZONE

    assert "E2 is cancelled" in await transcript.say("!kc event cancel E2 te weinig animo")
    assert summary(await community_feed(transcript)) == [
        ("E2 Koffietafel", 3, "CANCELLED"), ("E1 Borrel", 0, "CONFIRMED")]


async def test_feed_and_single_table_file_share_the_uid(transcript: Transcript) -> None:
    await transcript.say("!kc event new Koffietafel | vr 11 dec 9:30 | Winkwaves, Utrecht | 3", as_user="rene")
    reply = await transcript.say("!kc ics E1", as_user="anna")
    (single,) = Calendar.from_ical(Path(reply.split("📎 ", 1)[1].strip()).read_bytes()).walk("VEVENT")
    (listed,) = await community_feed(transcript)
    assert str(listed["uid"]) == str(single["uid"])
    assert str(listed["description"]) == str(single["description"])


async def test_a_member_feed_holds_only_their_tables(transcript: Transcript) -> None:
    await transcript.say("!kc event new Borrel | 2026-12-04 17:00 | Café de Zaak | 1", as_user="rene")
    await transcript.say("!kc event new Lunch | 2026-12-02 12:00 | Kantine", as_user="rene")
    await transcript.say("!kc event new Ontbijt | 2026-12-03 08:00 | Kantine", as_user="rene")
    await transcript.say("!kc join E1", as_user="anna")
    await transcript.say("!kc join E1", as_user="piet")  # waitlisted
    await transcript.say("!kc join E2", as_user="piet")
    await transcript.say("!kc join E3", as_user="sanne")
    await transcript.say("!kc leave E3", as_user="sanne")
    assert "E1 is cancelled" in await transcript.say("!kc event cancel E1", as_user="rene")

    assert summary(await member_feed(transcript, "anna")) == [("E1 Borrel", 1, "CANCELLED")]
    assert summary(await member_feed(transcript, "piet")) == [
        ("E2 Lunch", 0, "CONFIRMED"), ("E1 Borrel", 1, "CANCELLED")]
    assert await member_feed(transcript, "sanne") == []  # left E3: off her calendar
    assert len(await community_feed(transcript)) == 3

    rows = await SqlCalendar(transcript.core.db).member_feed(await member_id(transcript, "piet"), SINCE)
    assert [(e.number, e.going, e.waitlisted) for _, e in rows] == [(2, 1, 0), (1, 1, 1)]


async def test_tables_before_since_are_left_out(transcript: Transcript) -> None:
    await transcript.say("!kc event new Lunch | 2026-12-02 12:00 | Kantine", as_user="rene")
    await transcript.say("!kc event new Borrel | 2026-12-04 17:00 | Café de Zaak", as_user="rene")
    await transcript.say("!kc join E1", as_user="rene")
    await transcript.say("!kc join E2", as_user="rene")
    calendar = SqlCalendar(transcript.core.db)
    since = START + timedelta(days=5)  # 3 December
    assert [e.number for e in await calendar.community_feed(await community_id(transcript), since)] == [2]
    assert [e.number for _, e in await calendar.member_feed(await member_id(transcript, "rene"), since)] == [2]


async def test_feed_tokens_are_stable_until_reset(transcript: Transcript) -> None:
    await transcript.say("!kc events", as_user="anna")
    await transcript.say("!kc events", as_user="piet")
    anna, piet = await member_id(transcript, "anna"), await member_id(transcript, "piet")
    calendar = SqlCalendar(transcript.core.db)

    first = await calendar.token_of(anna)
    assert len(first) >= 32
    assert await calendar.token_of(anna) == first
    racing = await asyncio.gather(*(calendar.token_of(piet) for _ in range(5)))
    assert len(set(racing)) == 1 and racing[0] != first
    assert await calendar.member_of_token(first) == anna

    renewed = await calendar.reset_token(anna)
    assert renewed != first
    assert await calendar.token_of(anna) == renewed
    assert await calendar.member_of_token(first) is None
    assert await calendar.member_of_token(renewed) == anna
    assert await calendar.member_of_token(racing[0]) == piet
    assert await calendar.member_of_token("") is None
    assert await calendar.member_of_token("no-such-token") is None
