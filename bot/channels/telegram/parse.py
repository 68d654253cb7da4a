"""What a Telegram message means: an ``InboundEvent``, or nothing when it is not something she said to the
bot. Pure: no calls to Telegram (button presses, which are answered and edited, are in presses.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Message
from telegram.constants import ChatType

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import EventKind, InboundEvent


@dataclass(frozen=True)
class Events:
    """Makes the events of one bot: ``bot_id`` makes the dedupe key, ``clock`` the time they arrived."""

    bot_id: str
    clock: Clock

    def event(self, update_id: int, external_id: str, kind: EventKind, **details: Any) -> InboundEvent:
        return InboundEvent(
            channel=Channel.TELEGRAM,
            external_id=external_id,
            dedupe_key=f"telegram:{self.bot_id}:{update_id}",
            kind=kind,
            received_at=self.clock.now(),
            **details,
        )

    def message(self, update_id: int, message: Message) -> InboundEvent | None:
        user = message.from_user
        if user is None or user.is_bot:
            return None
        hint = user.language_code
        if message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            if not self.addressed(message):
                return None  # the group talking among itself
            return self.event(update_id, str(message.chat.id), EventKind.TEXT, language_hint=hint, is_group=True)
        if message.chat.type != ChatType.PRIVATE:
            return None
        external_id = str(user.id)
        if message.text is not None:
            return self.event(update_id, external_id, EventKind.TEXT, text=message.text, language_hint=hint)
        media = media_of(message)
        if media is not None:
            kind, ref = media
            return self.event(
                update_id, external_id, EventKind.MEDIA, media_kind=kind, media_ref=ref, language_hint=hint
            )
        if message.sticker is not None:  # a sticker says its emoji, and the engine understands emoji
            return self.event(
                update_id, external_id, EventKind.TEXT, text=message.sticker.emoji or "", language_hint=hint
            )
        if any(
            (message.video, message.video_note, message.document, message.animation, message.location, message.contact)
        ):
            # Something the engine cannot read: an empty text, so she is told what it can.
            return self.event(update_id, external_id, EventKind.TEXT, text="", language_hint=hint)
        return None  # service messages (pins, timers): nothing she said

    def addressed(self, message: Message) -> bool:
        """In a group: a command, a reply to the bot, or the bot being added. (With privacy mode on, the
        default, Telegram sends a bot little else; with it off, the bot must not answer every message.)"""
        if any(str(member.id) == self.bot_id for member in message.new_chat_members):
            return True
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and str(replied.from_user.id) == self.bot_id:
            return True
        return bool(message.text and message.text.startswith("/"))


def media_of(message: Message) -> tuple[str, str] | None:
    if message.voice is not None:
        return "voice", message.voice.file_id
    if message.audio is not None:
        return "audio", message.audio.file_id
    if message.photo:
        return "photo", message.photo[-1].file_id  # the largest size
    return None
