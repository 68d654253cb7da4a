"""The Telegram adapter: adapter.py (the channel), parse.py and presses.py (what she did), render.py (how a
message looks), send.py (the calls that send, fetching her files), errors.py (what Telegram's answers mean),
updates.py (webhook and polling, with back-off)."""

from bot.channels.telegram.adapter import WEBHOOK_PATH, TelegramChannel, Timeouts
from bot.channels.telegram.errors import TokenRejected
from bot.channels.telegram.render import contact, invite_link

__all__ = ["WEBHOOK_PATH", "TelegramChannel", "Timeouts", "TokenRejected", "contact", "invite_link"]
