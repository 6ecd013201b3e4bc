"""Editing or taking back a chat message: the post or comment it became
follows; an edited command is not run again."""

from __future__ import annotations

from tests.conftest import Transcript


async def test_an_edited_post_command_updates_the_post_once(transcript: Transcript) -> None:
    await transcript.say("!kc post Oude titel | oude tekst #oud", as_user="anna")
    command = transcript.ref_of("anna: !kc post Oude titel")
    answer = await transcript.say(f"/edit {command} !kc post Nieuwe titel | nieuwe tekst https://x.org #nieuw")
    assert "Updated #1 “Nieuwe titel”." in answer
    listed = await transcript.say("!kc recent")
    assert "#1 Nieuwe titel" in listed and "#2" not in listed  # one post, not two
    shown = await transcript.say("!kc show #1")
    assert "nieuwe tekst https://x.org" in shown and "#nieuw" in shown and "#oud" not in shown
    assert "#1" in await transcript.say("!kc search nieuwe")
    assert "Nothing found" in await transcript.say("!kc search oude")


async def test_only_the_author_edits_and_other_commands_are_not_rerun(transcript: Transcript) -> None:
    await transcript.say("!kc post Eerste | tekst", as_user="anna")
    await transcript.say("!kc help", as_user="anna")
    help_ref = transcript.ref_of("anna: !kc help")
    assert "] bot" not in await transcript.say(f"/edit {help_ref} !kc post Sneaky | via an edit")
    assert "#2" not in await transcript.say("!kc recent")
    post_ref = transcript.ref_of("anna: !kc post Eerste")
    assert "not yours" in await transcript.say(f"/edit {post_ref} !kc post Gekaapt | x", as_user="piet")


async def test_an_edited_comment_and_a_saved_message_follow_their_message(transcript: Transcript) -> None:
    await transcript.say("!kc post Koffie | tekst", as_user="anna")
    await transcript.say("!kc comment #1 Mooi verhaal", as_user="piet")
    comment = transcript.ref_of("piet: !kc comment #1")
    assert "Your comment on #1 is updated." in await transcript.say(f"/edit {comment} !kc comment #1 Prachtig verhaal")
    await transcript.say("Tip: neem een thermoskan mee", as_user="sanne")
    tip = transcript.ref_of("sanne: Tip: neem")
    await transcript.say(f"/reply {tip} !kc save", as_user="rene")
    await transcript.say(f"/edit {tip} Tip: neem twee thermoskannen mee", as_user="sanne")
    assert "#2 Tip: neem twee thermoskannen mee — by sanne" in await transcript.say("!kc show #2")


async def test_taking_back_the_message_of_a_post_removes_the_post(transcript: Transcript) -> None:
    await transcript.say("!kc post Vergissing | per ongeluk", as_user="anna")
    await transcript.say(f"/delete {transcript.ref_of('anna: !kc post Vergissing')}")
    assert "#1 has been removed" in await transcript.say("!kc show #1")
