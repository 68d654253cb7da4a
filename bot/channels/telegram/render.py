"""How an ``OutboundMessage`` looks on Telegram, and the inline keyboards: pure, no calls to Telegram.

A multiple-choice question is one message whose buttons toggle a mark in place; its last row holds the
confirm button (and skip, when the question may be skipped). The selection lives only in that message's
keyboard, never on the server: "Done" reads it from the keyboard (docs/decisions/0004-telegram.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import isolate
from bot.messaging.channel import Capabilities, OutboundMessage
from bot.messaging.channel import split_text as split_pieces

MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts
MAX_CAPTION = 1024
MAX_BUTTONS = 100  # an inline keyboard holds at most 100 buttons
DONE_ID = "_done"  # callback data of the confirm button; button ids always hold a "|", so it cannot clash
CHECKED = "✅ "  # the mark a toggled button carries
ANSWERED = "✔️"  # starts the line that shows her answer under a question
SHORT_LABEL = 16  # labels up to this length go two to a row
CAPABILITIES = Capabilities(
    text_length=MAX_TEXT,
    caption_length=MAX_CAPTION,
    buttons=MAX_BUTTONS,
    button_label=None,  # Telegram shortens a long label on her phone, it does not refuse it
    multi_select=True,  # buttons toggle a mark in place (see above)
    media_kinds=frozenset({"voice", "audio", "photo", "document"}),
)

Rows = tuple[tuple[tuple[str, str], ...], ...]  # keyboard rows of (callback data, label)


@dataclass(frozen=True)
class Part:
    """One Telegram message of an ``OutboundMessage``: text, or a photo with the text as its caption."""

    text: str | None
    photo: str | None = None
    keyboard: Rows = ()


def answered_line(labels: Sequence[str]) -> str:
    """The line under a question that shows her answer. Several labels of an Arabic-script question (Arabic,
    Dari, Pashto) are joined with the Arabic comma, each isolated, as her lists are everywhere (decision 0021);
    a press carries no locale, so the labels' own script decides."""
    if len(labels) > 1 and any(unicodedata.bidirectional(c) in ("AL", "R") for label in labels for c in label):
        return f"{ANSWERED} " + "، ".join(isolate(label) for label in labels)
    return f"{ANSWERED} " + ", ".join(labels)


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens a chat with the bot and sends ``/start CODE`` when she taps Start."""
    return f"https://t.me/{bot_username}?start={code}"


def contact(user_id: str) -> str:
    """How someone else opens a chat with this Telegram account (a buddy introduction shows it)."""
    return f"tg://user?id={user_id} (Telegram)"


def render(message: OutboundMessage) -> list[Part]:
    """Lay ``message`` out as Telegram messages: text over 4096 characters split at a paragraph boundary,
    the keyboard on the last part, an image as a photo (captioned when the text fits a caption). The text
    is sent as it is: right-to-left texts already carry their isolates."""
    keyboard = keyboard_for(message)
    parts: list[Part] = []
    text = message.text
    if message.image_ref:
        if text and utf16_len(text) <= MAX_CAPTION:
            return [Part(text, photo=message.image_ref, keyboard=keyboard)]
        parts.append(Part(None, photo=message.image_ref, keyboard=() if text else keyboard))
        if not text:
            return parts
    chunks = split_text(text)
    parts += [Part(chunk) for chunk in chunks[:-1]]
    parts.append(Part(chunks[-1], keyboard=keyboard))
    return parts


NOTE_BUTTON_SUFFIX = "|_note"  # the conversation's button "send this to my coach as a note" (decision 0015)


def keyboard_for(message: OutboundMessage) -> Rows:
    """The inline keyboard: one button a row, or two when every label is short. A multiple choice gets a
    last row with skip (when allowed) and the confirm button."""
    buttons = [(b.id, b.label) for b in message.buttons]
    if not buttons:
        return ()
    last: tuple[tuple[str, str], ...] = ()
    if message.multiple:
        # The renderer puts skip, then "send this to my coach as a note", last: plain presses, not toggles.
        note = (buttons.pop(),) if buttons[-1][0].endswith(NOTE_BUTTON_SUFFIX) else ()
        if message.skippable:
            last = (buttons.pop(),)
        last += (*note, (DONE_ID, message.confirm_label or "OK"))
    per_row = 2 if len(buttons) > 1 and all(len(label) <= SHORT_LABEL for _, label in buttons) else 1
    rows = [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
    if last:
        rows.append(last)
    return tuple(rows)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces Telegram accepts: it counts UTF-16 units (an emoji outside the BMP counts two)."""
    return split_pieces(text, limit, _utf16_units)


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for data, label in row] for row in rows]
    )


def rows_of(reply_markup: InlineKeyboardMarkup | None) -> Rows:
    if reply_markup is None:
        return ()
    return tuple(
        tuple((str(button.callback_data), button.text) for button in row if button.callback_data is not None)
        for row in reply_markup.inline_keyboard
    )


def is_multiple(rows: Rows) -> bool:
    return bool(rows) and any(data == DONE_ID for data, _ in rows[-1])


def toggled(rows: Rows, pressed: str) -> Rows:
    """The keyboard with the mark on ``pressed`` switched."""

    def switch(data: str, label: str) -> tuple[str, str]:
        if data != pressed:
            return data, label
        return (data, label.removeprefix(CHECKED)) if label.startswith(CHECKED) else (data, CHECKED + label)

    return (*(tuple(switch(d, label) for d, label in row) for row in rows[:-1]), rows[-1])


def selected(rows: Rows) -> list[tuple[str, str]]:
    """The marked buttons of a multiple-choice keyboard, as (id, label without the mark)."""
    return [
        (data, label.removeprefix(CHECKED)) for row in rows[:-1] for data, label in row if label.startswith(CHECKED)
    ]
