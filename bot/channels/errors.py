"""What every adapter does with a platform's error text before it goes into a log line or the outbox."""

from __future__ import annotations


def short(text: str, secret: str = "") -> str:
    """An error text fit for a log line and the outbox: one line, short, never the token."""
    if secret:
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= 160 else f"{line[:157]}..."
