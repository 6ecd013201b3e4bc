"""Long documents as several messages.

Every platform caps a message (Matrix: 64 KiB an event; Slack: 3,000
characters a section). A document that does not fit is cut into pages that
do, between blocks where possible, else between inline pieces, else inside
a text at a space: never inside a link, a mention, a code span or an
escaped entity, because pages are cut from the document before it is
rendered. Each renderer says what fits by rendering.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.richtext import Block, Bold, BulletList, Document, Inline, Paragraph, Text, plain_inline

Fits = Callable[[Document], bool]


def paginate(doc: Document, fits: Fits) -> list[Document]:
    """``doc`` as consecutive documents that each fit, in order."""
    if fits(doc):
        return [doc]
    blocks = [piece for block in doc.blocks for piece in _fitting_blocks(block, fits)]
    pages: list[Document] = []
    current: list[Block] = []
    for block in blocks:
        if current and not fits(Document((*current, block))):
            pages.append(Document(tuple(current)))
            current = []
        current.append(block)
    if current:
        pages.append(Document(tuple(current)))
    return pages


def _fitting_blocks(block: Block, fits: Fits) -> list[Block]:
    """The block, or smaller blocks saying the same, each fitting alone."""
    if fits(Document((block,))):
        return [block]
    if isinstance(block, BulletList):
        lists: list[Block] = []
        for item in block.items:
            single = BulletList((item,))
            lists.extend([single] if fits(Document((single,))) else _fitting_blocks(Paragraph(item), fits))
        return _merged(lists, fits)
    if isinstance(block, Paragraph):
        def alone(part: Inline) -> bool:
            return fits(Document((Paragraph((part,)),)))

        pieces = [small for part in block.parts for small in _fitting_inlines(part, alone)]
        paragraphs: list[Block] = [Paragraph((piece,)) for piece in pieces]
        return _merged(paragraphs, fits)
    return [block]  # a row of buttons is small


def _merged(blocks: list[Block], fits: Fits) -> list[Block]:
    """Neighbouring pieces of one block joined again while they fit."""
    merged: list[Block] = []
    for block in blocks:
        if merged:
            joined = _join(merged[-1], block)
            if joined is not None and fits(Document((joined,))):
                merged[-1] = joined
                continue
        merged.append(block)
    return merged


def _join(first: Block, second: Block) -> Block | None:
    if isinstance(first, Paragraph) and isinstance(second, Paragraph):
        return Paragraph(first.parts + second.parts)
    if isinstance(first, BulletList) and isinstance(second, BulletList):
        return BulletList(first.items + second.items)
    return None


def _fitting_inlines(part: Inline, fits: Callable[[Inline], bool]) -> list[Inline]:
    """An inline piece, or consecutive smaller ones, each fitting alone."""
    if fits(part):
        return [part]
    if isinstance(part, Bold) and len(part.parts) > 1:
        middle = len(part.parts) // 2
        halves = (Bold(part.parts[:middle]), Bold(part.parts[middle:]))
        return [small for half in halves for small in _fitting_inlines(half, fits)]
    if isinstance(part, Bold):
        return [Bold((small,)) for small in _fitting_inlines(part.parts[0], fits)]
    # Text, or a link, mention or code span too long for any message: as text.
    text = part.text if isinstance(part, Text) else plain_inline(part)
    if len(text) <= 1:
        return [Text(text)]
    cut = _cut_point(text)
    return _fitting_inlines(Text(text[:cut]), fits) + _fitting_inlines(Text(text[cut:]), fits)


def _cut_point(text: str) -> int:
    """Where to cut a long text in two: at the space nearest its middle, else
    in the middle (never between the halves of a surrogate pair)."""
    middle = len(text) // 2
    left, right = text.rfind(" ", 0, middle), text.find(" ", middle)
    candidates = [i + 1 for i in (left, right) if 0 <= i < len(text) - 1]
    if candidates:
        return min(candidates, key=lambda i: abs(i - middle))
    return middle + 1 if "\udc00" <= text[middle] <= "\udfff" else middle
