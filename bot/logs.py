"""Logging set-up for the service and the command line.

Privacy rule: log lines carry pseudonymous ids (person 42, identity 7), never message text, phone numbers,
tokens or secrets. Libraries that log request URLs (httpx logs the Telegram token inside the URL) are kept
at WARNING.
"""

from __future__ import annotations

import logging
import sys

QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "asyncio", "alembic")


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
