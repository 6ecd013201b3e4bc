"""Searching a Dutch community through the bot: other word forms, prefixes,
comments and tags find a post, and every hit shows a snippet with the
matched words in bold, which each platform renders with the post's own
text inert."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from adapters.matrix.render import render_html
from adapters.slack.render import render_blocks
from bot.richtext import Document, document_from_json
from tests.conftest import Transcript, console_on, console_settings


async def last_reply(transcript: Transcript) -> Document:
    """The newest message the bot stored for delivery (on whichever database)."""
    async with transcript.core.db.read() as session:
        stored = (await session.execute(
            sa.text("SELECT document FROM outboxmessage ORDER BY id DESC LIMIT 1"))).scalar_one()
    return document_from_json(stored)


async def test_a_dutch_search_finds_other_forms_and_shows_why(tmp_path: Path) -> None:
    db_path = tmp_path / "nl.db"
    async with console_on(db_path, settings=console_settings(db_path, language="nl")) as nl:
        await nl.say("!kc post Vrijwilligers gezocht | voor de koffietafels op vrijdag <script>alert(1)</script>")
        await nl.say("!kc post Notulen | niets bijzonders #bestuur")
        await nl.say("!kc reageer #2 Ik neem stroopwafels mee")
        singular = await nl.say("!kc zoek vrijwilliger")
        prefix = await nl.say("!kc zoek koffie*")
        by_comment = await nl.say("!kc zoek stroopwafel")
        by_tag = await nl.say("!kc zoek bestuur")
    assert "#1 Vrijwilligers gezocht" in singular and "#2" not in singular
    # The snippet, under the hit: the body around the first match.
    assert "    voor de koffietafels op vrijdag <script>alert(1)</script>" in prefix
    assert "#2 Notulen" in by_comment and "Ik neem stroopwafels mee" in by_comment
    assert "#2 Notulen" in by_tag and "#bestuur" in by_tag


async def test_snippet_marks_render_on_every_platform_with_the_text_inert(tmp_path: Path) -> None:
    db_path = tmp_path / "kc.db"
    async with console_on(db_path) as en:
        await en.say("!kc post Volunteers | <b>we</b> need volunteering <@U123> <!channel> help")
        await en.say("!kc search volunteer")
        reply = await last_reply(en)
    html = render_html(reply)
    assert "<strong>volunteering</strong>" in html
    assert "&lt;b&gt;we&lt;/b&gt;" in html and "<b>" not in html
    mrkdwn = "\n".join(block["text"]["text"] for block in render_blocks(reply) if block["type"] == "section")
    assert "*volunteering*" in mrkdwn
    assert "&lt;@U123&gt; &lt;!channel&gt;" in mrkdwn and "<!channel>" not in mrkdwn
