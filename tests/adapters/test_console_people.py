"""People and community management in a scripted console session through
the real `kenniscafe console`: each command working, refusals for members
without the role, clear answers for unknown members."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from tests.adapters.test_cli import kenniscafe

SESSION = """\
!kc roles
/as anna
!kc me interests koffie, fietsen
!kc me expertise social media
!kc post Social media voor je community | wat werkt #socialmedia
!kc event new Koffietafel | 2030-12-11 09:30 | Utrecht | 4
!kc role anna manager
!kc stats
!kc export
!kc forget rene
/as rene
!kc role @anna organizer
!kc role @nemo organizer
!kc roles
/as anna
!kc event new Koffietafel | 2030-12-11 09:30 | Utrecht | 4
!kc join E1
/as piet
!kc me interests social media
!kc pair on
!kc pair status
!kc who social media
!kc whois anna
!kc whois nemo
!kc me
!kc link
!kc link ABCD-EFGH
!kc unlink
!kc event noshow E1 anna
/as rene
!kc event noshow E1 anna
!kc stats 2
!kc stats 99
!kc export
!kc forget piet
!kc whois piet
!kc forget nemo
!kc me forget
!kc help role
"""


def test_people_and_management_in_a_scripted_console_session(tmp_path: Path) -> None:
    result = kenniscafe("console", "--db", str(tmp_path / "kc.db"), "--as", "rene", stdin=SESSION, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr and "something went wrong" not in out
    # Members without the role are told who can help.
    assert "Only organizers can use `!kc event new`." in out
    for command in ("role", "stats", "export", "forget"):
        assert f"Only managers can use `!kc {command}`." in out
    assert out.count("Ask a manager (rene) if you need the role.") == 6
    # Roles.
    assert "Managers: rene. Organizers: nobody." in out
    assert "anna is now organizer." in out and "Managers: rene. Organizers: anna." in out
    assert "E1 Koffietafel — Wed 11 Dec 2030 09:30, Utrecht · 4 seats" in out
    # Unknown members, wherever a member is named.
    assert out.count('I don\'t know "@nemo" in this community') == 1
    assert out.count('I don\'t know "nemo" in this community') == 2
    assert 'I don\'t know "piet" in this community' in out, "a forgotten member is unknown"
    # Profiles and who knows what.
    assert "Your interests: koffie, fietsen." in out and "Your expertise: social media." in out
    assert "• anna — expertise: social media, 1 post tagged #socialmedia" in out
    assert "• piet — interested in social media" in out
    assert "anna (organizer) — on the console" in out
    assert "Coffee pairing: on for you; 1 taking part; 0 rounds so far" in out
    # Linking is private and refuses what it cannot do.
    assert re.search(r"bot → piet \(DM\): Your link code is `[A-Z0-9]{4}-[A-Z0-9]{4}`", out)
    assert "That code is unknown or has expired." in out and "This account is not linked to another." in out
    # Stats, no-shows, export, forgetting.
    assert "Only organizers can use `!kc event noshow`." in out
    assert "E1 has not started yet: mark no-shows afterwards." in out
    assert "Activity over the last 2 weeks, per week:" in out and "Top contributors: anna (1 post)." in out
    assert '"99" is not a number of weeks from 1 to 26. Usage: `!kc stats [<weeks>]`' in out
    assert "bot → rene (DM): The export of Kenniscafé: 3 members, 1 post, 1 coffee table" in out
    assert "piet's personal data is erased" in out
    assert "To go ahead, type `!kc me forget confirm`." in out
    assert "`!kc role <member> member|organizer|manager`" in out
    exported = next((tmp_path / "data" / "files").glob("kenniscafe-export-*.zip"))
    with zipfile.ZipFile(exported) as archive:
        document = json.loads(archive.read(exported.stem + ".json"))
    assert [m["name"] for m in document["members"]] == ["rene", "anna", "piet"]
