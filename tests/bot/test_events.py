"""Coffee tables as organizers and members meet them on the console."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from icalendar import Calendar

from tests.conftest import FakeClock, Transcript, console_on

# The transcript clock starts on Saturday 28 Nov 2026, 11:00 Amsterdam time.
NEW_E1 = "!kc event new Koffietafel | vr 11 dec 9:30 | Winkwaves, Utrecht | 3"


def dms(output: str) -> list[str]:
    """The private messages in some console output, as 'name: text'."""
    return [line.split("→ ", 1)[1] for line in output.splitlines() if "bot → " in line]


async def test_the_whole_story_of_a_full_coffee_table(transcript: Transcript) -> None:
    announcement = await transcript.say(NEW_E1, as_user="rene")
    assert ("bot: E1 Koffietafel — Fri 11 Dec 09:30, Winkwaves, Utrecht · 3 seats · react ✅ or `!kc join E1`"
            in announcement)
    announcement_ref = transcript.last_ref()

    assert "You're in for E1 (1/3). Reminders 24 hours and 1 hour before." in await transcript.say("!kc join E1", as_user="anna")
    assert "You're in for E1 (2/3)." in await transcript.say("!kc join e1", as_user="piet")
    assert "You're in for E1 (3/3)." in await transcript.say("!kc aanmelden 1", as_user="martin")
    assert "E1 is full; you're number 1 on the waitlist." in await transcript.say("!kc join E1", as_user="sanne")
    assert "E1 is full; you're number 2 on the waitlist." in await transcript.say("!kc join E1", as_user="joost")
    assert "You're already on the waitlist for E1 (number 2)." in await transcript.say("!kc join E1", as_user="joost")

    left = await transcript.say("!kc leave E1", as_user="piet")
    assert "You've left E1 (3/3)." in left
    assert dms(left) == [("sanne (DM): A seat opened up: you're in for E1 Koffietafel — Fri 11 Dec 09:30, "
                          "Winkwaves, Utrecht (3/3).")]

    details = await transcript.say("!kc event E1", as_user="piet")
    assert "E1 Koffietafel — Fri 11 Dec 09:30 (Europe/Amsterdam)" in details
    assert "Going (3/3): anna, martin, sanne" in details
    assert "Waitlist: 1. joost" in details

    # A reaction on the announcement signs up; taking it back cancels.
    reacted = await transcript.say(f"/react {announcement_ref} ✅", as_user="lotte")
    assert dms(reacted) == ["lotte (DM): E1 is full; you're number 2 on the waitlist. I'll tell you when a seat frees up."]
    unreacted = await transcript.say(f"/unreact {announcement_ref} ✅", as_user="lotte")
    assert dms(unreacted) == ["lotte (DM): You're off the waitlist for E1."]
    assert "Waitlist: 1. joost\n" in await transcript.say("!kc event E1")


async def test_interested_members_hear_of_the_next_one(transcript: Transcript) -> None:
    await transcript.say(NEW_E1, as_user="rene")
    assert "I'll tell you when the next E1 Koffietafel is planned." in await transcript.say(
        "!kc interested E1", as_user="anna")
    await transcript.say("!kc interesse E1", as_user="bram")
    again = await transcript.say("!kc event again E1 vr 18 dec 9:30", as_user="rene")
    assert "E2 Koffietafel — Fri 18 Dec 09:30, Winkwaves, Utrecht · 3 seats" in again
    assert sorted(dms(again)) == [
        "anna (DM): The next Koffietafel is planned: E2 — Fri 18 Dec 09:30, Winkwaves, Utrecht. `!kc join E2` to come.",
        "bram (DM): The next Koffietafel is planned: E2 — Fri 18 Dec 09:30, Winkwaves, Utrecht. `!kc join E2` to come.",
    ]
    e2_announcement = transcript.ref_of("bot: E2 Koffietafel")
    joined = await transcript.say(f"/react {e2_announcement} ✅", as_user="anna")
    assert dms(joined) == ["anna (DM): You're in for E2 (1/3). Reminders 24 hours and 1 hour before."]
    left = await transcript.say(f"/unreact {e2_announcement} ✅", as_user="anna")
    assert dms(left) == ["anna (DM): You've left E2 (0/3)."]
    assert "Going (0/3): nobody yet" in await transcript.say("!kc event E2")
    # Told once: a third one from E1 tells nobody again.
    assert dms(await transcript.say("!kc event new Koffietafel | vr 8 jan 9:30 | Winkwaves | from E1", as_user="rene")) == []
    assert "Follows E1." in await transcript.say("!kc event E3")


async def test_cancel_tells_everyone_signed_up(transcript: Transcript) -> None:
    await transcript.say("!kc event new Borrel | 2026-12-04 17:00 | Café de Zaak | 1", as_user="rene")
    await transcript.say("!kc join E1", as_user="anna")
    await transcript.say("!kc join E1", as_user="piet")
    cancelled = await transcript.say("!kc event cancel E1 de zaak is dicht", as_user="rene")
    assert "E1 is cancelled; 2 people told." in cancelled
    expected = "E1 Borrel on Fri 4 Dec 17:00 is cancelled. Reason: de zaak is dicht"
    assert sorted(dms(cancelled)) == [f"anna (DM): {expected}", f"piet (DM): {expected}"]
    assert "E1 has been cancelled." in await transcript.say("!kc join E1", as_user="joost")
    assert "No coffee tables planned." in await transcript.say("!kc events")


async def test_edit_tells_attendees_what_changed(transcript: Transcript) -> None:
    await transcript.say(NEW_E1, as_user="rene")
    await transcript.say("!kc join E1", as_user="anna")
    edited = await transcript.say("!kc event edit E1 when vr 11 dec 10:00", as_user="rene")
    assert "E1 updated: it now starts Fri 11 Dec 10:00 (was Fri 11 Dec 09:30)." in edited
    assert dms(edited) == ["anna (DM): E1 Koffietafel has changed: it now starts Fri 11 Dec 10:00 (was Fri 11 Dec 09:30)."]
    assert "capacity is now 5 (was 3)" in await transcript.say("!kc event edit E1 capacity 5", as_user="rene")
    assert "the place is now Online (was Winkwaves, Utrecht)" in await transcript.say("!kc event edit E1 waar Online", as_user="rene")


async def test_more_seats_promote_the_waitlist_and_fewer_than_going_is_refused(transcript: Transcript) -> None:
    await transcript.say("!kc event new Lunch | 2026-12-02 12:00 | Kantine | 1", as_user="rene")
    await transcript.say("!kc join E1", as_user="anna")
    await transcript.say("!kc join E1", as_user="piet")
    await transcript.say("!kc join E1", as_user="sanne")
    raised = await transcript.say("!kc event edit E1 capacity 2", as_user="rene")
    assert "piet (DM): A seat opened up: you're in for E1 Lunch" in "\n".join(dms(raised))
    assert "E1 already has 2 going; capacity can't be lower than that." in await transcript.say(
        "!kc event edit E1 capacity 1")


async def test_close_and_open(transcript: Transcript) -> None:
    await transcript.say(NEW_E1, as_user="rene")
    assert "Sign-ups for E1 are now closed." in await transcript.say("!kc event close E1", as_user="rene")
    assert "Sign-ups for E1 are closed." in await transcript.say("!kc join E1", as_user="anna")
    assert "sign-ups closed" in await transcript.say("!kc events")
    assert "Sign-ups for E1 are open again." in await transcript.say("!kc event open E1", as_user="rene")
    assert "You're in for E1 (1/3)." in await transcript.say("!kc join E1", as_user="anna")


async def test_events_lists_seats_left(transcript: Transcript) -> None:
    await transcript.say(NEW_E1, as_user="rene")
    await transcript.say("!kc event new Open Space | za 12 dec 10:00 | Online", as_user="rene")
    await transcript.say("!kc join E1", as_user="anna")
    listing = await transcript.say("!kc events")
    assert "E1 Koffietafel — Fri 11 Dec 09:30, Winkwaves, Utrecht · 2 of 3 seats left" in listing
    assert "E2 Open Space — Sat 12 Dec 10:00, Online · 0 going" in listing


async def test_members_cannot_organize(transcript: Transcript) -> None:
    reply = await transcript.say(NEW_E1, as_user="anna")
    assert "Only organizers can use `!kc event new`. Ask a manager (rene) if you need the role." in reply


async def test_bad_dates_and_capacities_are_refused_with_an_example(transcript: Transcript) -> None:
    # the ISO example is a week after the (fake) clock: never in the past
    assert '"someday" is not a date I can read. Try e.g. `friday 9:30` or `2026-12-05 09:30`.' in await transcript.say(
        "!kc event new X | someday | Here")
    assert '"gisteren 10:00" is in the past (Fri 27 Nov 2026 10:00). Give a future time' in await transcript.say(
        "!kc event new X | gisteren 10:00 | Here")
    assert '"tomorrow" has no time of day.' in await transcript.say("!kc event new X | tomorrow | Here", as_user="rene")
    assert '"0" is not a capacity' in await transcript.say("!kc event new X | friday 9:30 | Here | 0", as_user="rene")
    assert '"lots" is not a capacity' in await transcript.say("!kc event new X | friday 9:30 | Here | lots", as_user="rene")
    assert "Missing <where>." in await transcript.say("!kc event new X | friday 9:30", as_user="rene")
    assert "There is no coffee table E9." in await transcript.say("!kc join E9", as_user="anna")
    assert "There is no coffee table E9." in await transcript.say("!kc leave E9", as_user="anna")
    assert "You weren't signed up for E1." not in await transcript.say("!kc leave E9", as_user="anna")


async def test_natural_dates_in_both_languages(transcript: Transcript) -> None:
    for when, shown in [("friday 9:30", "Fri 4 Dec 09:30"), ("vrijdag 9:30", "Fri 4 Dec 09:30"),
                        ("next tuesday 14:00", "Tue 1 Dec 14:00"), ("morgen 10:00", "Sun 29 Nov 10:00"),
                        ("2026-12-11 09:30", "Fri 11 Dec 09:30")]:
        assert f"— {shown}, Here" in await transcript.say(f"!kc event new X | {when} | Here", as_user="rene")


async def test_dst_does_not_shift_an_event(tmp_path: Path) -> None:
    """An event after the spring DST change keeps its wall-clock time."""
    async with console_on(tmp_path / "dst.db") as console:
        await console.say("!kc event new Lente | 2027-03-29 09:30 | Here")
        assert "Mon 29 Mar 2027 09:30" in await console.say("!kc event E1")


async def test_joining_after_the_start_is_refused(tmp_path: Path) -> None:
    clock = FakeClock()  # Saturday 11:00 in Amsterdam
    async with console_on(tmp_path / "late.db", clock=clock) as console:
        await console.say("!kc event new Soon | morgen 10:00 | Here")
        clock.advance(timedelta(hours=23, minutes=30))  # Sunday 10:30: under way
        assert "E1 has already started" in await console.say("!kc join E1", as_user="anna")
        clock.advance(timedelta(days=1))
        assert "E1 is over." in await console.say("!kc join E1", as_user="anna")


async def test_ics_file_round_trips_the_event(transcript: Transcript, db_path: Path) -> None:
    await transcript.say(NEW_E1, as_user="rene")
    reply = await transcript.say("!kc ics E1", as_user="anna")
    assert "Calendar file for E1 Koffietafel" in reply
    path = Path(reply.split("📎 ", 1)[1].strip())
    calendar = Calendar.from_ical(path.read_bytes())
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == "E1 Koffietafel"
    assert str(vevent["location"]) == "Winkwaves, Utrecht"
    start = vevent.decoded("dtstart")
    assert (start.isoformat(), str(start.tzinfo)) == ("2026-12-11T09:30:00+01:00", "Europe/Amsterdam")
    uid = str(vevent["uid"])
    await transcript.say("!kc event cancel E1", as_user="rene")
    cancelled = Calendar.from_ical(_ics_again(await transcript.say("!kc ics E1")))
    (again,) = cancelled.walk("VEVENT")
    assert str(again["uid"]) == uid
    assert str(again["status"]) == "CANCELLED"


def _ics_again(reply: str) -> bytes:
    return Path(reply.split("📎 ", 1)[1].strip()).read_bytes()
