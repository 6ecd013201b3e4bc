"""Why the bot cannot start, in one line an operator can act on."""

from __future__ import annotations


class StartupError(Exception):
    """The bot cannot start: a database it cannot use, a homeserver it
    cannot reach, a token a platform refuses. The message names what and why;
    the command line prints it alone and exits 1."""
