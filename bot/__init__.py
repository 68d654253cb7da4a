"""Trampoline: a coaching chatbot for non-profit organisations.

Participants, buddies and coaches talk with the bot on Telegram or WhatsApp in their own language;
everything that matters is kept in SQL. Start reading at ``bot/app.py`` (the composition root).
"""

__version__ = "0.1.0"
