"""The community's records: managers export its data as a file, and a
member's personal data can be erased (by a manager, or by the member)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from tests.conftest import Transcript


def saved_file(answer: str) -> Path:
    """The file the console saved for a message (its 📎 line)."""
    found = re.search(r"📎 (\S+)", answer)
    assert found, answer
    return Path(found.group(1))


async def export_of(transcript: Transcript) -> tuple[str, dict[str, object]]:
    """As rene: export; the whole answer and the JSON document in the zip."""
    answer = await transcript.say("!kc export", as_user="rene")
    await transcript.delivered()
    answer += transcript.out.getvalue()[-2000:]
    path = saved_file(answer)
    assert path.stat().st_mode & 0o077 == 0, "an export is for the manager's eyes only"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert "csv/posts.csv" in names and "csv/members.csv" in names
        document = json.loads(archive.read(next(n for n in names if n.endswith(".json"))))
    return answer, document


async def test_managers_get_the_export_privately(transcript: Transcript) -> None:
    say = transcript.say
    await say("!kc post Koffie zetten | met een V60 #koffie", as_user="anna")
    assert "Only managers can use `!kc export`." in await say("!kc export", as_user="anna")
    answer, document = await export_of(transcript)
    assert "I've sent you the export as a direct message" in answer
    assert "bot → rene (DM): The export of Kenniscafé: 2 members, 1 post, 0 coffee tables" in answer
    assert re.search(r"kenniscafe-export-\d{4}-\d\d-\d\d\.zip", answer)
    assert [p["title"] for p in document["posts"]] == ["Koffie zetten"]  # type: ignore[index]


async def test_forget_erases_a_member_but_keeps_their_posts(transcript: Transcript) -> None:
    say = transcript.say
    await say("!kc me expertise koffie", as_user="anna")
    await say("!kc pair on")
    await say("!kc post Koffie zetten | met een V60 #koffie")
    await say("!kc event new Koffietafel | 2026-12-11 09:30 | Utrecht | 1", as_user="rene")
    await say("!kc join E1", as_user="anna")
    await say("!kc join E1", as_user="piet")
    assert "Only managers can use `!kc forget`." in await say("!kc forget anna", as_user="piet")
    answer = await say("!kc forget @anna", as_user="rene")
    assert "anna's personal data is erased; their posts stay, from “a former member”." in answer
    await transcript.delivered()
    assert "A seat opened up: you're in for E1" in transcript.out.getvalue()
    assert "#1 Koffie zetten" in await say("!kc show #1") and "a former member" in await say("!kc show #1")
    assert "Going (1/1): piet" in await say("!kc event E1")
    assert 'I don\'t know "anna"' in await say("!kc whois anna")
    _, document = await export_of(transcript)
    assert "anna" not in json.dumps(document, ensure_ascii=False)


async def test_me_forget_asks_first_and_the_last_manager_stays(transcript: Transcript) -> None:
    say = transcript.say
    await say("!kc me interests taart", as_user="sanne")
    asked = await say("!kc me forget")
    assert "It cannot be undone. To go ahead, type `!kc me forget confirm`." in asked
    assert "taart" in await say("!kc me")
    assert "Done: your personal data is erased." in await say("!kc me forget confirm")
    assert "taart" not in await say("!kc me"), "talking again makes a new, empty profile"
    refused = await say("!kc me forget ja", as_user="rene")
    assert "The last manager cannot be forgotten: make someone else manager first." in refused
    assert 'I don\'t know "nemo"' in await say("!kc forget nemo")
    assert "Missing <member>." in await say("!kc forget")
