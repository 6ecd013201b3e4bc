"""Secrets never reach a log, at any level.

Installed once by the command line, before anything logs: every log record
is checked as it is made, so every handler (files, the console, a test's
capture) gets the redacted text. Known secrets (from the config, and tokens
learnt at run time such as a Matrix login's access token) are replaced
wherever they appear, and so is anything shaped like a token: Synapse
access tokens, Slack tokens, ``access_token`` fields and parameters, and
``Authorization`` headers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
_SHAPES = re.compile(
    r"(?P<keep>(?:access_token|password|token|secret)[\"']?\s*[:=]\s*[\"']?|Bearer\s+)[^\s\"'&,}]+"
    r"|\bsyt_[A-Za-z0-9_=-]+|\bxox[abprs]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+",
    re.IGNORECASE,
)
# Shorter values would match too much ordinary text to be worth hiding.
_MIN_SECRET = 6


class LogRedaction:
    """Removes secrets from every log record made after :meth:`install`."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._previous: Any = None

    def add(self, secrets: Iterable[str | None]) -> None:
        """Hide these values from now on."""
        self._secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET)

    def redact(self, text: str) -> str:
        """``text`` with every secret and token-shaped value replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return _SHAPES.sub(lambda m: (m.group("keep") or "") + REDACTED, text)

    def install(self) -> None:
        """Redact every record from now on, whoever logs it."""
        if self._previous is not None:
            return
        self._previous = make_record = logging.getLogRecordFactory()

        def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            message = record.getMessage()
            cleaned = self.redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
            if record.exc_info:
                record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            return record

        logging.setLogRecordFactory(redacted_record)

    def uninstall(self) -> None:
        """Make records as before :meth:`install` (for tests)."""
        if self._previous is not None:
            logging.setLogRecordFactory(self._previous)
            self._previous = None
