"""Logging set-up for the service and the command line.

Privacy rule: log lines carry pseudonymous ids (person 42, identity 7), never message text, phone numbers,
tokens or secrets. Libraries that log request URLs (httpx logs the Telegram token inside the URL) are kept
at WARNING. As a safety net every line is scrubbed before it is written: anything shaped like a bot token,
a long run of digits (a phone number, a platform account id) or a Fernet key is masked.

``TRAMPOLINE_LOG_FORMAT=json`` writes one JSON object a line (``time``, ``level``, ``logger``, ``message``,
``exception``) for a log collector.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# sqlalchemy: at DEBUG/INFO its engine logs every statement with its parameters (her answers).
QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "asyncio", "alembic", "sqlalchemy")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SECRETS = (
    (re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"), "<token>"),  # a Telegram bot token (also inside a URL)
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}="), "<key>"),  # a Fernet key, even one starting with - or _
    (re.compile(r"gAAAAA[A-Za-z0-9_=-]{20,}"), "<ciphertext>"),  # a Fernet token
    (re.compile(r"\+\d[\d ]{6,}\d|\b\d{8,}\b"), "<number>"),  # a phone number or a platform account id
)


def scrub(text: str) -> str:
    for pattern, mask in _SECRETS:
        text = pattern.sub(mask, text)
    return text


class ScrubbingFormatter(logging.Formatter):
    """The text format; the message and any traceback scrubbed (the time stamp is left alone)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = scrub(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: logging._SysExcInfoType) -> str:
        return scrub(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    """One JSON object a line; the message and any traceback scrubbed like the text format."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else ScrubbingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
