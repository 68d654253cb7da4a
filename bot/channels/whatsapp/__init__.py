"""The WhatsApp adapter: adapter.py (the channel and its webhook), parse.py (what a webhook body says),
render.py (how a message looks), send.py (the calls that send, uploads, fetching her files), errors.py (what
WhatsApp's answers mean), templates.py (the templates for messages outside the 24-hour window)."""

from bot.channels.whatsapp.adapter import SIGNATURE_HEADER, WEBHOOK_PATH, Timeouts, WhatsAppChannel
from bot.channels.whatsapp.render import contact, invite_link
from bot.channels.whatsapp.templates import TemplateError, Templates, load_templates

__all__ = [
    "SIGNATURE_HEADER",
    "WEBHOOK_PATH",
    "TemplateError",
    "Templates",
    "Timeouts",
    "WhatsAppChannel",
    "contact",
    "invite_link",
    "load_templates",
]
