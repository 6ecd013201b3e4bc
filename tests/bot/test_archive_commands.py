"""The knowledge archive as a member meets it on the console."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Transcript, console_on

POST_1 = "!kc post Oud Hollandsche Koffietafel | Verslag en slides: https://slideshare.net/x #nieuwewerken"


async def test_post_replies_with_id_title_tags_and_link_count(transcript: Transcript) -> None:
    reply = await transcript.say(POST_1)
    assert 'bot: Saved #1 “Oud Hollandsche Koffietafel” · #nieuwewerken · 1 link' in reply


async def test_posts_are_numbered_in_order(transcript: Transcript) -> None:
    await transcript.say("!kc post First | one")
    assert "Saved #2" in await transcript.say("!kc post Second | two")


async def test_show_tells_every_fact(transcript: Transcript) -> None:
    await transcript.say(POST_1)
    post_message = transcript.last_ref()
    await transcript.say("!kc comment #1 Jammer dat ik er niet bij was!", as_user="martin")
    await transcript.say(f"/react {post_message} 👍", as_user="martin")
    await transcript.say(f"/react {post_message} 👍️", as_user="anna")  # with a variation selector
    await transcript.say(f"/react {post_message} 🎉", as_user="anna")
    shown = await transcript.say("!kc show #1", as_user="piet")
    assert "#1 Oud Hollandsche Koffietafel — by rene," in shown
    assert "Verslag en slides: https://slideshare.net/x" in shown
    assert "#nieuwewerken · 👍 2 · 🎉 1 · 1 comment · people involved: rene, martin" in shown


async def test_removing_a_reaction_uncounts_it(transcript: Transcript) -> None:
    await transcript.say(POST_1)
    post_message = transcript.last_ref()
    await transcript.say(f"/react {post_message} 👍", as_user="anna")
    await transcript.say(f"/react {post_message} 👍", as_user="anna")  # twice counts once
    assert "👍 1" in await transcript.say("!kc show #1")
    await transcript.say(f"/unreact {post_message} 👍", as_user="anna")
    assert "👍" not in await transcript.say("!kc show #1")


async def test_reactions_on_a_show_reply_count_on_the_post(transcript: Transcript) -> None:
    await transcript.say(POST_1)
    await transcript.say("!kc show #1")
    await transcript.say(f"/react {transcript.last_ref()} ❤️", as_user="anna")
    assert "❤ 1" in await transcript.say("!kc show #1")


async def test_reactions_on_ordinary_messages_are_ignored(transcript: Transcript) -> None:
    await transcript.say("hello everyone")
    assert await transcript.say(f"/react {transcript.last_ref()} 👍", as_user="anna") == "-- anna reacted 👍 on m1\n"


async def test_thread_reply_to_the_post_message_is_a_comment(transcript: Transcript) -> None:
    await transcript.say(POST_1)
    reply = await transcript.say(f"/reply {transcript.last_ref()} Mooi verslag!", as_user="anna")
    assert "Comment added to #1 (1 comment)" in reply
    assert "people involved: rene, anna" in await transcript.say("!kc show #1")


async def test_save_as_a_reply_credits_the_original_author(transcript: Transcript) -> None:
    await transcript.say("Tip: de beste koffie in Utrecht is bij Winkwaves https://winkwaves.example #koffie", as_user="anna")
    chat_message = transcript.last_ref()
    reply = await transcript.say(f"/reply {chat_message} !kc save #utrecht", as_user="rene")
    assert "Saved #1 “Tip: de beste koffie in Utrecht is bij Winkwaves https://winkwaves.example”" in reply
    assert "#utrecht #koffie · 1 link" in reply
    shown = await transcript.say("!kc show #1")
    assert "— by anna," in shown


async def test_bookmark_reaction_saves_a_message_once(transcript: Transcript) -> None:
    await transcript.say("Onboarding checklist: laptop, badge, koffie", as_user="anna")
    chat_message = transcript.last_ref()
    first = await transcript.say(f"/react {chat_message} 🔖", as_user="martin")
    assert "Saved #1 “Onboarding checklist: laptop, badge, koffie”" in first
    again = await transcript.say(f"/reply {chat_message} !kc save", as_user="rene")
    assert "already archived as #1" in again
    assert "Saved #2" not in again


async def test_save_without_a_reply_explains_how(transcript: Transcript) -> None:
    assert "Reply to the message you want to archive with `!kc save`" in await transcript.say("!kc save")


async def test_search_ranks_the_better_match_first(transcript: Transcript) -> None:
    await transcript.say("!kc post Lunch notes | we talked about many things, also koffie")
    await transcript.say("!kc post Koffie brewing | the best koffie needs fresh beans; koffie again")
    reply = await transcript.say("!kc search koffie")
    assert reply.index("#2 Koffie brewing") < reply.index("#1 Lunch notes")


async def test_search_finds_words_with_or_without_accents(transcript: Transcript) -> None:
    await transcript.say("!kc post Het Kenniscafé | elke vrijdag")
    assert "#1 Het Kenniscafé" in await transcript.say("!kc search kenniscafe")
    assert "#1 Het Kenniscafé" in await transcript.say("!kc zoek Kenniscafé")


async def test_search_filters_by_tag_and_member(transcript: Transcript) -> None:
    await transcript.say("!kc post Agile coaching | retro formats #agile", as_user="anna")
    await transcript.say("!kc post Agile contracts | legal side #legal", as_user="martin")
    by_tag = await transcript.say("!kc search agile #legal")
    assert "#2 Agile contracts" in by_tag and "#1" not in by_tag
    by_member = await transcript.say("!kc search agile @anna")
    assert "#1 Agile coaching" in by_member and "#2" not in by_member
    assert 'I don\'t know a member "nobody" here.' in await transcript.say("!kc search agile @nobody")


async def test_search_with_no_match_says_so(transcript: Transcript) -> None:
    reply = await transcript.say("!kc search quantum")
    assert "Nothing found for “quantum”" in reply


async def test_recent_and_tags(transcript: Transcript) -> None:
    await transcript.say("!kc post One | a #x #y")
    await transcript.say("!kc post Two | b #x")
    recent = await transcript.say("!kc recent")
    assert recent.index("#2 Two") < recent.index("#1 One")
    assert "#1 One" not in await transcript.say("!kc recent #nope")
    tagged = await transcript.say("!kc recent #y")
    assert "#1 One" in tagged and "#2" not in tagged
    assert "#x 2 · #y 1" in await transcript.say("!kc tags")


async def test_removed_post_leaves_search_lists_and_tags(transcript: Transcript) -> None:
    await transcript.say("!kc post Secret recipe | stroopwafel #bakken", as_user="anna")
    assert "Only the author of #1 or a manager can remove it." in await transcript.say("!kc remove #1", as_user="martin")
    assert "Removed #1" in await transcript.say("!kc remove #1", as_user="anna")
    assert "Nothing found" in await transcript.say("!kc search stroopwafel")
    assert "No posts yet" in await transcript.say("!kc recent")
    assert "No tags yet" in await transcript.say("!kc tags")
    assert "Post #1 has been removed." in await transcript.say("!kc show #1")
    assert "Post #1 has been removed." in await transcript.say("!kc comment #1 hello?")


async def test_a_manager_may_remove_any_post(transcript: Transcript) -> None:
    await transcript.say("!kc post Anna's post | text", as_user="anna")
    assert "Removed #1" in await transcript.say("!kc remove #1", as_user="rene")


async def test_help_lists_every_command_and_explains_one(transcript: Transcript) -> None:
    listing = await transcript.say("!kc help")
    for verb in ("post", "save", "show", "comment", "search", "recent", "tags", "remove", "help"):
        assert f"`{verb}" in listing
    detail = await transcript.say("!kc help search")
    assert "`!kc search <words> [#tag] [@member]`" in detail
    assert "Example: `!kc search volunteers #events`" in detail


async def test_data_survives_a_restart(transcript: Transcript, db_path: Path) -> None:
    await transcript.say(POST_1)
    await transcript.say("!kc comment #1 nice", as_user="martin")
    async with console_on(db_path, "anna") as restarted:
        shown = await restarted.say("!kc show #1")
    assert "1 comment · people involved: rene, martin" in shown
