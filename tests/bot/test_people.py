"""People: roles, profiles and who knows what, as a community uses them."""

from __future__ import annotations

from tests.conftest import Transcript


async def test_managers_give_roles_and_everyone_sees_who_has_them(transcript: Transcript) -> None:
    say = transcript.say
    await say("hallo", as_user="anna")  # anna is known to the bot from now on
    refused = await say("!kc event new Koffie | 2030-01-11 09:30 | Utrecht", as_user="anna")
    assert "Only organizers can use `!kc event new`. Ask a manager (rene) if you need the role." in refused
    assert "anna is now organizer." in await say("!kc role @anna organizer", as_user="rene")
    assert "E1 Koffie" in await say("!kc event new Koffie | 2030-01-11 09:30 | Utrecht", as_user="anna")
    assert "Managers: rene. Organizers: anna." in await say("!kc roles", as_user="piet")
    assert "Only managers can use `!kc role`. Ask a manager (rene)" in await say("!kc role anna manager", as_user="piet")
    assert "anna is organizer already." in await say("!kc role anna organisator", as_user="rene")
    assert 'I don\'t know "@nobody" in this community' in await say("!kc role @nobody organizer")
    await say("!kc me", as_user="Anna de Vries")  # a display name with spaces, as on Matrix
    assert "Anna de Vries is now organizer." in await say("!kc role Anna de Vries organizer", as_user="rene")
    assert '"boss" is not a role; use member, organizer or manager.' in await say("!kc role anna boss")
    assert "Name a member and a role." in await say("!kc role anna")
    assert "You are the last manager" in await say("!kc role rene member")
    await say("!kc role anna manager")
    assert "rene is now member." in await say("!kc role rene member")
    assert "Managers: anna. Organizers: Anna de Vries." in await say("!kc roles")


async def test_profiles_tell_what_the_community_knows(transcript: Transcript) -> None:
    say = transcript.say
    assert "Your interests: koffie, social media." in await say("!kc me interests koffie, #social media, koffie",
                                                               as_user="anna")
    assert "Your expertise: communities." in await say("!kc me expertise communities")
    await say("!kc post Koffie in Utrecht | tips")
    await say("!kc event new Koffie | 2026-11-28 12:00 | Utrecht", as_user="rene")
    await say("!kc join E1", as_user="anna")
    mine = await say("!kc me", as_user="anna")
    assert "anna (member) — on the console" in mine
    assert "Expertise: communities. Interests: koffie, social media." in mine
    assert "1 post, 0 coffee tables attended." in mine and "#1 Koffie in Utrecht" in mine
    assert "Coffee pairing: off" in mine
    theirs = await say("!kc whois anna", as_user="piet")
    assert "anna (member)" in theirs and "#1 Koffie in Utrecht" in theirs and "Coffee pairing" not in theirs
    assert 'I don\'t know "nemo"' in await say("!kc whois nemo")
    assert "At most 10 topics" in await say("!kc me interests " + ", ".join(f"t{i}" for i in range(11)))
    assert "Your interests: none." in await say("!kc me interests -", as_user="anna")
    assert "Interests: none yet." in await say("!kc me", as_user="anna")


async def test_who_ranks_by_evidence_and_says_why(transcript: Transcript) -> None:
    say = transcript.say
    await say("!kc me expertise social media", as_user="anna")
    await say("!kc post Social media in je community | wat werkt #socialmedia", as_user="anna")
    await say("!kc post Een jaar Mastodon | ervaringen #socialmedia", as_user="anna")
    await say("!kc post Koffie en taart | ook over social media gehad", as_user="piet")
    await say("!kc me interests social media", as_user="sanne")
    await say("/react m4 👍", as_user="sanne")
    answer = await say("!kc who social media", as_user="joost")
    lines = [line.strip() for line in answer.splitlines() if line.strip().startswith("•")]
    assert lines[0] == "• anna — expertise: social media, 2 posts tagged #socialmedia, 1 reaction on those posts"
    assert lines[1] == "• sanne — interested in social media"
    assert lines[2] == "• piet — 1 post about it"
    assert "Nobody has shown knowledge of “quantum” yet." in await say("!kc who quantum")
