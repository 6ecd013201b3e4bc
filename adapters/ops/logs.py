"""Log lines for people (``console``) or for a log pipeline (``json``: one
JSON object per record), and the one INFO line per handled event.

Secrets stay out of both: the :class:`adapters.log_redaction.LogRedaction`
the command line installs cleans each record's message and traceback as it
is made; the JSON lines also carry a record's extra fields (platform,
event, outcome, duration_ms …), which are cleaned here by the same rules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from adapters.log_redaction import LogRedaction

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("console", "json")
# Loggers whose INFO lines an operator wants: the handled events, the ops endpoint.
INFO_LOGGERS = ("bot.app.handled", "adapters.ops", "adapters.matrix.standby", "storage.leadership")
# What every LogRecord has; anything else was passed as ``extra``.
_STANDARD = {*logging.makeLogRecord({}).__dict__, "message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger,
    message, the record's extra fields, and the traceback if any."""

    def __init__(self, redact: Callable[[str], str] = lambda text: text) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, (bool, int, float)) or value is None else self.redact(str(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = self.redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str, redaction: LogRedaction | None = None, *, events: bool = True) -> None:
    """Log in ``log_format`` ("console" or "json") through the root logger's
    handlers (a stderr one if there is none yet), warnings and up from
    everything plus, with ``events``, the INFO lines of :data:`INFO_LOGGERS`."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format=TEXT_FORMAT)
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter(redaction.redact if redaction else lambda text: text)
    else:
        formatter = logging.Formatter(TEXT_FORMAT)
    for handler in root.handlers:
        handler.setFormatter(formatter)
    for name in INFO_LOGGERS if events else ():
        logging.getLogger(name).setLevel(logging.INFO)
