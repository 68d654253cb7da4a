"""Button presses: they arrive as callback queries, are answered at once (or the phone shows a spinner), and
the question's message is edited to show the chosen answer without its keyboard. A press on a multiple-choice
question toggles its mark in place; "Done" answers with the marked buttons.

The callback answers and message edits are acknowledgements of what she pressed, not messages: nothing here
sends a conversation message."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, CallbackQuery, Message
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.channels.telegram.parse import Events
from bot.channels.telegram.render import (
    DONE_ID,
    MAX_TEXT,
    Rows,
    answered_line,
    is_multiple,
    markup,
    rows_of,
    selected,
    toggled,
    utf16_len,
)
from bot.messaging.channel import EventKind, InboundEvent

log = logging.getLogger(__name__)

KEYBOARD_MEMORY = 1024  # messages whose latest keyboard this process remembers


@dataclass
class _Keyboard:
    """What this process last made of one message's keyboard, and the events its presses became."""

    rows: Rows
    events: dict[int, InboundEvent | None] = field(default_factory=dict)


class Presses:
    """The presses on the bot's questions, with the keyboards this process last made of them."""

    def __init__(self, bot: Bot, events: Events) -> None:
        self.bot = bot
        self.events = events
        self._keyboards: OrderedDict[tuple[int, int], _Keyboard] = OrderedDict()

    async def press(self, update_id: int, query: CallbackQuery) -> list[InboundEvent]:
        await quietly("answerCallbackQuery", self.bot.answer_callback_query(query.id))
        data, user = query.data, query.from_user
        if not data or user is None:
            return []

        def event(kind: EventKind, **details: Any) -> InboundEvent:
            return self.events.event(update_id, str(user.id), kind, language_hint=user.language_code, **details)

        message = query.message if isinstance(query.message, Message) else None
        if message is None:  # too old for Telegram to show us: the press still counts
            return [event(EventKind.CHOICE, choice=data)]
        if message.chat.type != ChatType.PRIVATE:
            return []
        key = (message.chat.id, message.message_id)
        known = self._keyboards.get(key)
        if known is not None:
            if update_id in known.events:  # the same press again (a redelivery): same meaning, no new edit
                again = known.events[update_id]
                return [again] if again is not None else []
            if not known.rows:
                return []  # a second tap before the answered question lost its keyboard on her phone
        rows = known.rows if known is not None else rows_of(message.reply_markup)
        if not is_multiple(rows):
            answer = event(EventKind.CHOICE, choice=data)
            self._remember(key, (), update_id, answer)
            label = next((label for row in rows for button, label in row if button == data), None)
            await self._show_answer(message, [label] if label else [])
            return [answer]
        if data == DONE_ID:
            chosen = selected(rows)
            answer = event(EventKind.CHOICES, choices=tuple(button for button, _ in chosen))
            self._remember(key, (), update_id, answer)
            await self._show_answer(message, [label for _, label in chosen])
            return [answer]
        skip = next((label for button, label in rows[-1] if button == data), None)
        if skip is not None:  # beside the confirm button: a plain press, not a toggle
            answer = event(EventKind.CHOICE, choice=data)
            self._remember(key, (), update_id, answer)
            await self._show_answer(message, [skip])
            return [answer]
        new_rows = toggled(rows, data)
        # Remembered before the call, so a press handled meanwhile builds on this one.
        self._remember(key, new_rows, update_id, None)
        await quietly(
            "editMessageReplyMarkup",
            self.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=markup(new_rows)
            ),
        )
        return []

    async def _show_answer(self, message: Message, labels: list[str]) -> None:
        """Edit the question to show her answer under it, and take its keyboard away."""
        text = message.text
        if text is not None:
            shown = f"{text}\n\n{answered_line(labels)}" if labels else text
            if utf16_len(shown) <= MAX_TEXT:
                await quietly(
                    "editMessageText",
                    self.bot.edit_message_text(text=shown, chat_id=message.chat.id, message_id=message.message_id),
                )
                return
        await quietly(
            "editMessageReplyMarkup",
            self.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id),
        )

    def _remember(self, key: tuple[int, int], rows: Rows, update_id: int, event: InboundEvent | None) -> None:
        """The keyboard this message has now, and what each press on it meant: a redelivered press means
        the same again, and a press that follows before Telegram's copy is updated builds on this one."""
        known = self._keyboards.pop(key, None) or _Keyboard(rows)
        known.rows = rows
        known.events[update_id] = event
        self._keyboards[key] = known
        while len(self._keyboards) > KEYBOARD_MEMORY:
            self._keyboards.popitem(last=False)


async def quietly(what: str, call: Awaitable[object]) -> None:
    """An acknowledgement that may fail (the press is too old, the text did not change): log, go on."""
    try:
        await call
    except TelegramError as exc:
        log.info("telegram: %s failed: %s", what, type(exc).__name__)
