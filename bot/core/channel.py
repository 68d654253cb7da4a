"""The platforms a person can be reached on. Only ``bot/channels/`` knows what each one is; everywhere else
this is a name stored with her account and her messages."""

from __future__ import annotations

import enum


class Channel(enum.StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    SIMULATOR = "simulator"
