"""Bring the catalogs up to date with Babel: extract the English sentences
from ``bot/messages.py`` and the command verbs declared with ``@command`` in
``bot/services`` into ``kenniscafe.pot``, merge them into every
language's ``.po`` (new sentences arrive untranslated, changed ones fuzzy),
and compile each ``.po`` to the ``.mo`` the bot reads.

    python -m bot.locale            # extract, update, compile

``tests/bot/test_catalogs.py`` fails when this was forgotten.

To add a language: ``pybabel init -D kenniscafe -i bot/locale/kenniscafe.pot
-d bot/locale -l <code>``, translate the ``.po``, then run this.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

LOCALE_DIR = Path(__file__).resolve().parent
SOURCE = LOCALE_DIR.parent / "messages.py"
SERVICES = LOCALE_DIR.parent / "services"
TEMPLATE = LOCALE_DIR / "kenniscafe.pot"
# The sentence markers of bot/messages.py, msg(key, text) and plural(key,
# one, other, by), and the verb of every @command("event new", ...).
KEYWORD_SPECS = {"msg": ((1, "c"), 2), "plural": ((1, "c"), 2, 3), "command": (1,)}
KEYWORDS = ["--no-default-keywords", "-k", "msg:1c,2", "-k", "plural:1c,2,3", "-k", "command:1"]


def sources() -> list[Path]:
    """The files the catalogs are extracted from."""
    return [SOURCE, *sorted(SERVICES.glob("*.py"))]


def babel(*args: str) -> None:
    """Run one ``pybabel`` command."""
    CommandLineInterface().run(["pybabel", *args])  # type: ignore[no-untyped-call]


def main() -> int:
    babel("extract", *KEYWORDS, "--omit-header", "--sort-by-file", "--width=100",
          "-o", str(TEMPLATE), *map(str, sources()))
    babel("update", "-D", "kenniscafe", "-i", str(TEMPLATE), "-d", str(LOCALE_DIR),
          "--width=100", "--no-fuzzy-matching", "--ignore-obsolete")
    babel("compile", "-D", "kenniscafe", "-d", str(LOCALE_DIR), "--statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
