"""One scripted session, typed with the Dutch verbs, in a Dutch and in an
English community: every reply, private message and reminder is in the
community's language, with that language's plurals, numbers and dates."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import START, FakeClock, console_on, console_settings

# (user, line): archive, comments, search, coffee tables, waitlist, edits, digest, profile, help, mistakes.
SCRIPT = [
    ("rene", "!kc hulp"),
    ("rene", "!kc hulp aanmelden"),
    ("rene", "!kc hulp event nieuw"),
    ("rene", "!kc post Vrijwilligers gezocht | Wie helpt mee bij de koffietafel? #vrijwilligers"),
    ("anna", "!kc reageer #1 Ik help mee"),
    ("piet", "!kc reageer #1 Ik ook"),
    ("rene", "!kc toon #1"),
    ("rene", "!kc zoek vrijwilligers"),
    ("rene", "!kc zoek theedoek"),
    ("rene", "!kc nieuw"),
    ("rene", "!kc tags"),
    ("rene", "!kc event nieuw Koffie & code | vrijdag 9:30 | Café Noord | 2"),
    ("rene", "!kc event nieuw Nieuwjaarsborrel | 15-01-2027 17:00 | Bibliotheek | 3"),
    ("anna", "!kc aanmelden E1"),
    ("rene", "!kc koffietafels"),
    ("piet", "!kc aanmelden E1"),
    ("joost", "!kc aanmelden E1"),
    ("anna", "!kc afmelden E1"),
    ("rene", "!kc event E1"),
    ("rene", "!kc event wijzig E1 waar Bibliotheek"),
    ("rene", "!kc event afgelast E2 te weinig animo"),
    ("rene", "!kc digest bekijk"),
    ("rene", "!kc ik"),
    ("rene", "!kc aanmelden"),
    ("rene", "!kc event nieuw Feest | 31-02 10:00 | Hier"),
    ("rene", "!kc afmeldn E1"),
    ("anna", "!kc event sluit E1"),
]
# What members typed that the bot may quote back (titles, places, comments, names).
QUOTED = ["Vrijwilligers gezocht", "Wie helpt mee bij de koffietafel?", "Ik help mee", "Ik ook", "#vrijwilligers",
          "vrijwilligers", "theedoek", "Koffie & code", "Café Noord", "Nieuwjaarsborrel", "Bibliotheek",
          "te weinig animo", "Feest", "31-02 10:00", "afmeldn", "Kenniscafé"]
ENGLISH = re.compile(r"\b(the|you|your|and|seats?|comments?|reactions?|Reminders?|Usage|Example|Also|Commands"
                     r"|hours?|minutes?|Going|Place|nobody|waitlist|joined|Saved|found|people|told|with|for|Needs"
                     r"|Unknown|Missing|Fri|Dec|Jan|manager|organizer|title|when|where|number|join|leave)\b")
DUTCH = re.compile(r"\b(je|jij|het|een|van|voor|plekk?en?|reacties?|Voorbeeld|Gebruik|Herinnering\w*|niemand"
                   r"|wachtlijst|Bewaard|gevonden|mensen|uur|aangemeld|Ook|Onbekend|Ontbreekt|vr|dec|jan"
                   r"|beheerder|organisator|titel|wanneer|waar|nummer|aanmelden|afmelden)\b")


async def run_session(tmp_path: Path, language: str) -> str:
    """The whole session's bot output, user content taken out, plus the
    reminders a day before the first table."""
    clock = FakeClock()
    settings = console_settings(tmp_path / f"{language}.db", language=language, digest="mon 09:00")
    async with console_on(tmp_path / f"{language}.db", clock=clock, settings=settings) as console:
        for user, line in SCRIPT:
            await console.say(line, as_user=user)
        clock.current = START + timedelta(days=5, hours=-1, minutes=-30)  # Thu 3 Dec 09:30 Amsterdam
        await console.bot.send_due_reminders()
        await console.delivered()
        output = console.out.getvalue()
    return output


def bot_lines(output: str) -> list[str]:
    """What the bot wrote (replies, DMs, reminders), members' own words removed."""
    lines = []
    for line in output.splitlines():
        if re.match(r"\[m\d+\] (?!bot:)", line):
            continue  # a member's input
        for quoted in QUOTED:
            line = line.replace(quoted, "…")
        lines.append(line)
    return lines


# What each language must show (plurals, numbers, dates with the year when
# it is not this one, help), and the words of the other it must never show.
EXPECTED = {
    "nl": (ENGLISH, [
        "Reactie toegevoegd aan #1 (1 reactie)", "Reactie toegevoegd aan #1 (2 reacties)",
        "1 plek vrij (van 2)", "3 plekken vrij (van 3)",
        "vr 4 dec 09:30", "vr 15 jan 2027 17:00",
        "Herinneringen 24 uur en 1 uur van tevoren", "Herinnering: E1 Koffie & code begint over 24 uur",
        "Voorbeeld: `!kc aanmelden E3`", "`!kc aanmelden E<nummer>`", "E<nummer> ontbreekt.",
        "Bedoel je `afmelden`?",
    ]),
    "en": (DUTCH, [
        "Comment added to #1 (1 comment)", "Comment added to #1 (2 comments)",
        "1 of 2 seats left", "3 of 3 seats left",
        "Fri 4 Dec 09:30", "Fri 15 Jan 2027 17:00",
        "Reminders 24 hours and 1 hour before", "Reminder: E1 Koffie & code starts in 24 hours",
        "Example: `!kc join E3`", "`!kc join E<event>`", "Missing E<event>.",
        "Did you mean `leave`?",
    ]),
}


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_the_session_is_wholly_in_the_community_language(tmp_path: Path, language: str) -> None:
    other_language, expected = EXPECTED[language]
    output = await run_session(tmp_path, language)
    assert [line for line in bot_lines(output) if other_language.search(line)] == []
    assert [text for text in expected if text not in output] == []
