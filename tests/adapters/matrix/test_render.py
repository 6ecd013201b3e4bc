"""What Matrix clients receive: HTML with every piece of user text escaped."""

from __future__ import annotations

from adapters.matrix.render import message_content, render_html
from bot.richtext import Bold, BulletList, Code, Link, Mention, Text, document, paragraph


def test_user_text_is_escaped_never_rendered() -> None:
    doc = document(paragraph("Saved ", Bold((Text("#1"),)), " “", "<b>x</b><img src=x>", "”"))
    content = message_content(doc)
    assert content["formatted_body"] == "Saved <strong>#1</strong> “&lt;b&gt;x&lt;/b&gt;&lt;img src=x&gt;”"
    assert content["body"] == "Saved #1 “<b>x</b><img src=x>”"
    assert content["format"] == "org.matrix.custom.html"


def test_links_code_mentions_and_lists() -> None:
    doc = document(
        paragraph("See ", Link("https://example.org/?a=1&b=\"2\""), " and ", Code("!kc help")),
        BulletList(((Text("one"),), (Mention("Anna", "matrix", "@anna:example.org"),))),
    )
    assert render_html(doc) == (
        'See <a href="https://example.org/?a=1&amp;b=&quot;2&quot;">https://example.org/?a=1&amp;b=&quot;2&quot;</a>'
        ' and <code>!kc help</code><ul><li>one</li><li><a href="https://matrix.to/#/%40anna%3Aexample.org">'
        "Anna</a></li></ul>"
    )


def test_unsafe_link_schemes_become_text() -> None:
    html = render_html(document(paragraph(Link("javascript:alert(1)", "click"))))
    assert html == "click"


def test_paragraphs_are_separate_lines() -> None:
    assert render_html(document(paragraph("a"), paragraph("b"))) == "a<br>b"


def test_nobody_is_notified_unless_mentioned_on_purpose() -> None:
    quiet = message_content(document(paragraph("Saved #1 “@room Anna look at this”")))
    assert quiet["m.mentions"] == {}  # "@room" in a title pings nobody
    meant = message_content(document(paragraph("Welcome ", Mention("Anna", "matrix", "@anna:example.org"))))
    assert meant["m.mentions"] == {"user_ids": ["@anna:example.org"]}


def test_every_page_of_a_long_document_fits_in_one_event() -> None:
    from adapters.matrix.render import MAX_CONTENT_BYTES, fits_in_event
    from bot.paging import paginate

    doc = document(*(paragraph(f"line {n}: ", "<&> " * 400) for n in range(40)))
    pages = paginate(doc, fits_in_event)
    assert len(pages) > 1 and all(fits_in_event(page) for page in pages)
    assert sum(len(page.blocks) for page in pages) == 40  # cut between paragraphs, none lost
    assert all(len(str(message_content(page))) < 2 * MAX_CONTENT_BYTES for page in pages)
