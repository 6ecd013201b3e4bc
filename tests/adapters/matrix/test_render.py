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
