"""The Telegram channel, on python-telegram-bot: the only module that imports ``telegram``.

It has the shape of every adapter (see base.py): ``receive``/``handle_update`` turn a Telegram update into
``InboundEvent``s, ``render`` lays an ``OutboundMessage`` out within Telegram's limits, ``send`` sends it and
maps Telegram's answer to a ``SendOutcome``. Platform quirks stay in this file:

- Button presses arrive as callback queries. They are answered at once (or the phone shows a spinner),
  and the question's message is edited to show the chosen answer without its keyboard.
- A multiple-choice question is one message whose buttons toggle a mark in place; its last row holds the
  confirm button (and skip, when the question may be skipped). The selection lives only in that message's
  keyboard, never on the server: "Done" reads it from the keyboard (docs/decisions/0004-telegram.md).
- Polling is a small loop of our own, not PTB's ``Updater``: the Updater confirms a batch to Telegram
  before its handlers have run, so a crash would lose updates. Here the next ``getUpdates`` (which confirms
  the batch) is asked for only after every update of the batch is committed by the inbox.

Nothing here sends a conversation message on its own: only the outbox dispatcher calls ``send``. The
callback answers and message edits are acknowledgements of what she pressed, not messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

import httpx
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import (
    EventKind,
    InboundEvent,
    MediaFetchError,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
    wrong_typed,
)
from bot.messaging.channel import split_text as split_pieces

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
ALLOWED_UPDATES = ("message", "callback_query")
MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts
MAX_CAPTION = 1024
DONE_ID = "_done"  # callback data of the confirm button; button ids always hold a "|", so it cannot clash
CHECKED = "✅ "  # the mark a toggled button carries
ANSWERED = "✔️"  # starts the line that shows her answer under a question
SHORT_LABEL = 16  # labels up to this length go two to a row
KEYBOARD_MEMORY = 1024  # messages whose latest keyboard this process remembers

Submit = Callable[[InboundEvent], Awaitable[object]]
Rows = tuple[tuple[tuple[str, str], ...], ...]  # keyboard rows of (callback data, label)


class TokenRejected(Exception):
    """Telegram refused the token (the message never holds the token)."""


@dataclass(frozen=True)
class Timeouts:
    """Explicit HTTP timeouts, in seconds, for calls to the Bot API."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 5.0
    media_write: float = 30.0
    poll: int = 50  # how long one getUpdates call may wait for updates (long polling)


# -- rendering: pure ---


@dataclass(frozen=True)
class Part:
    """One Telegram message of an ``OutboundMessage``: text, or a photo with the text as its caption."""

    text: str | None
    photo: str | None = None
    keyboard: Rows = ()


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens a chat with the bot and sends ``/start CODE`` when she taps Start."""
    return f"https://t.me/{bot_username}?start={code}"


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


# -- what Telegram's answers mean ---


def outcome_of(exc: TelegramError, secret: str = "") -> SendResult:
    """Map a failed Bot API call to one of the few outcomes the dispatcher acts on."""
    if isinstance(exc, RetryAfter):
        return SendResult(SendOutcome.THROTTLED, retry_after=_seconds(exc), error="throttled by Telegram")
    if isinstance(exc, Forbidden):
        said = exc.message.lower()
        if "blocked" in said:
            return SendResult(SendOutcome.STOPPED, error="she blocked the bot")
        if "deactivated" in said:
            return SendResult(SendOutcome.STOPPED, error="her account is deactivated")
        return SendResult(SendOutcome.FAILED, error=_short(f"forbidden: {exc.message}", secret))
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout):
            return SendResult(SendOutcome.UNREACHABLE, error="could not connect to Telegram in time")
        # The request left: Telegram may have sent the message. sendMessage has no idempotency key.
        return SendResult(SendOutcome.UNCERTAIN, error="no answer from Telegram in time; it may have arrived")
    if isinstance(exc, BadRequest):
        return SendResult(SendOutcome.FAILED, error=_short(exc.message, secret))
    if isinstance(exc, NetworkError):
        if isinstance(cause, httpx.ConnectError):
            return SendResult(SendOutcome.UNREACHABLE, error="could not connect to Telegram")
        if isinstance(cause, httpx.TransportError):
            return SendResult(
                SendOutcome.UNCERTAIN, error=f"connection lost ({type(cause).__name__}); it may have arrived"
            )
        # Telegram answered with a server error (5xx): it says the message was not sent, so it is tried again.
        return SendResult(SendOutcome.UNREACHABLE, error=_short(f"telegram: {exc.message}", secret))
    if isinstance(exc, InvalidToken):
        return SendResult(SendOutcome.FAILED, error="Telegram rejected the token")
    return SendResult(SendOutcome.FAILED, error=_short(f"{type(exc).__name__}: {exc.message}", secret))


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that retry_after becomes a timedelta in a later version
        warnings.simplefilter("ignore")
        value: int | float | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _short(text: str, secret: str = "") -> str:
    """An error text fit for a log line and the outbox: one line, short, never the token."""
    if secret:
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= 160 else f"{line[:157]}..."


# -- the adapter ---


@dataclass
class _Keyboard:
    """What this process last made of one message's keyboard, and the events its presses became."""

    rows: Rows
    events: dict[int, InboundEvent | None] = field(default_factory=dict)


class TelegramChannel:
    name: Channel = Channel.TELEGRAM

    def __init__(
        self,
        token: str,
        clock: Clock,
        *,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
        commands: Mapping[str | None, Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        """``base_url``: a self-hosted Bot API server (``http://host:8081``); ``commands``: the command menu
        per language code (None for the default), set at start."""
        self.clock = clock
        self.timeouts = timeouts or Timeouts()
        self.commands = dict(commands or {})
        self.bot_id = token.split(":", 1)[0]  # a bot's id is the number before the colon
        self._token = token
        t = self.timeouts
        server = base_url.rstrip("/") if base_url else "https://api.telegram.org"
        self.bot = Bot(
            token,
            base_url=f"{server}/bot",
            base_file_url=f"{server}/file/bot",
            request=HTTPXRequest(
                connection_pool_size=8,
                connect_timeout=t.connect,
                read_timeout=t.read,
                write_timeout=t.write,
                pool_timeout=t.pool,
                media_write_timeout=t.media_write,
            ),
            # getUpdates waits up to ``poll`` seconds; PTB adds that to this read timeout.
            get_updates_request=HTTPXRequest(
                connection_pool_size=1,
                connect_timeout=t.connect,
                read_timeout=t.read,
                write_timeout=t.write,
                pool_timeout=t.pool,
            ),
        )
        self.webhook_secret: str | None = None  # set when the service registers its webhook
        self._keyboards: OrderedDict[tuple[int, int], _Keyboard] = OrderedDict()

    # -- life cycle ---

    async def start(self) -> None:
        """Open the HTTP clients and introduce the bot (getMe, the command menu). Raises ``TokenRejected``
        when Telegram refuses the token; an unreachable Telegram or a failing cosmetic call is logged and
        does not stop the bot."""
        try:
            await self.bot.initialize()
        except InvalidToken:
            raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None
        except TelegramError as exc:
            log.warning("telegram: the Bot API did not answer at start (%s); carrying on", type(exc).__name__)
            return
        log.info("telegram: connected as bot %s", self.bot_id)
        for language, commands in self.commands.items():
            try:
                await self.bot.set_my_commands(list(commands), language_code=language)
            except TelegramError as exc:
                log.warning(
                    "telegram: setting the command menu (%s) failed: %s", language or "default", type(exc).__name__
                )

    async def stop(self) -> None:
        await self.bot.shutdown()

    async def register_webhook(self, url: str, secret: str, stopping: asyncio.Event) -> None:
        """Point Telegram at ``url`` with ``secret``; keep trying (with back-off) while Telegram cannot be
        reached, until it works or the service stops."""
        self.webhook_secret = secret
        delay = 1.0
        while not stopping.is_set():
            try:
                await self.bot.set_webhook(url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
            except InvalidToken:
                raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None
            except RetryAfter as exc:
                delay = max(delay, _seconds(exc))
            except TelegramError as exc:
                log.warning(
                    "telegram: setting the webhook failed (%s); trying again in %.0fs", type(exc).__name__, delay
                )
            else:
                log.info("telegram: webhook set to %s", url)
                return
            await _pause(stopping, delay)
            delay = min(delay * 2, 60.0)

    # -- polling ---

    async def poll(self, submit: Submit, stopping: asyncio.Event) -> None:
        """Long-poll until ``stopping`` is set (or the task is cancelled, which is safe at any point: a
        batch is confirmed only by the call that follows its commit)."""
        try:
            await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        except InvalidToken:
            raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None
        except TelegramError as exc:
            log.warning("telegram: deleting the webhook failed (%s)", type(exc).__name__)
        log.info("telegram: polling for updates")
        offset: int | None = None
        delay = 1.0
        while not stopping.is_set():
            try:
                offset = await self.poll_once(submit, offset)
                delay = 1.0
                continue
            except InvalidToken:
                raise TokenRejected("Telegram rejected TELEGRAM_BOT_TOKEN") from None
            except RetryAfter as exc:
                wait = _seconds(exc)
            except Conflict:
                log.warning("telegram: another process polls this bot, or a webhook is set; trying again")
                wait = delay
            except TelegramError as exc:
                log.warning("telegram: getUpdates failed (%s); trying again in %.0fs", type(exc).__name__, delay)
                wait = delay
            except Exception as exc:  # the inbox could not commit: the same batch is fetched again
                log.error("telegram: a batch of updates was not stored (%s); fetching it again", type(exc).__name__)
                wait = delay
            await _pause(stopping, wait)
            delay = min(delay * 2, 60.0)

    async def poll_once(self, submit: Submit, offset: int | None, long_poll: int | None = None) -> int | None:
        """One round: fetch a batch (the call confirms everything before ``offset``), hand each update to the
        inbox in order and wait until all are committed; return the offset that confirms this batch.
        Raises when the batch could not be stored: the same ``offset`` then brings the same batch again."""
        updates = await self.bot.get_updates(
            offset=offset,
            timeout=self.timeouts.poll if long_poll is None else long_poll,
            allowed_updates=list(ALLOWED_UPDATES),
        )
        if not updates:
            return offset
        events: list[InboundEvent] = []
        for update in updates:
            try:
                events += await self.handle_update(update)
            except ValueError as exc:  # not what Telegram sends: one line, no traceback
                log.warning("telegram: update skipped: %s", exc)
            except Exception:  # a bug on one update must not hold up every update after it
                log.exception("telegram: update %s could not be read; skipped", update.update_id)
        # Submitted in order, committed together (the inbox groups what arrives while it commits).
        results = await asyncio.gather(*(submit(event) for event in events), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return updates[-1].update_id + 1

    # -- inbound ---

    async def receive(self, payload: dict[str, Any]) -> list[InboundEvent]:
        """A webhook body, already parsed from JSON. Raises ``ValueError`` when it is not a Telegram update."""
        try:
            update = Update.de_json(payload, self.bot)
        except (TypeError, KeyError, ValueError, AttributeError):
            raise ValueError("not a Telegram update") from None
        if not isinstance(update.update_id, int):
            raise ValueError("not a Telegram update")
        return await self.handle_update(update)  # ValueError too when a field has the wrong type

    async def handle_update(self, update: Update) -> list[InboundEvent]:
        """What one update means, after doing what Telegram expects at once for a button press. Raises
        ``ValueError`` when a field has the wrong type (``"text": 1``)."""
        events = await self._meaning(update)
        for event in events:
            field_name = wrong_typed(event)
            if field_name is not None:
                raise ValueError(f"update {update.update_id}: {field_name} has the wrong type")
        return events

    async def _meaning(self, update: Update) -> list[InboundEvent]:
        if update.callback_query is not None:
            return await self._press(update.update_id, update.callback_query)
        if update.message is not None:
            event = self._message_event(update.update_id, update.message)
            return [event] if event is not None else []
        return []  # edits, channel posts, member changes: nothing she said to the bot

    def _event(self, update_id: int, external_id: str, kind: EventKind, **details: Any) -> InboundEvent:
        return InboundEvent(
            channel=Channel.TELEGRAM,
            external_id=external_id,
            dedupe_key=f"telegram:{self.bot_id}:{update_id}",
            kind=kind,
            received_at=self.clock.now(),
            **details,
        )

    def _message_event(self, update_id: int, message: Message) -> InboundEvent | None:
        user = message.from_user
        if user is None or user.is_bot:
            return None
        hint = user.language_code
        if message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            if not self._addressed(message):
                return None  # the group talking among itself
            return self._event(update_id, str(message.chat.id), EventKind.TEXT, language_hint=hint, is_group=True)
        if message.chat.type != ChatType.PRIVATE:
            return None
        external_id = str(user.id)
        if message.text is not None:
            return self._event(update_id, external_id, EventKind.TEXT, text=message.text, language_hint=hint)
        media = _media(message)
        if media is not None:
            kind, ref = media
            return self._event(
                update_id, external_id, EventKind.MEDIA, media_kind=kind, media_ref=ref, language_hint=hint
            )
        if message.sticker is not None:  # a sticker says its emoji, and the engine understands emoji
            return self._event(
                update_id, external_id, EventKind.TEXT, text=message.sticker.emoji or "", language_hint=hint
            )
        if any(
            (message.video, message.video_note, message.document, message.animation, message.location, message.contact)
        ):
            # Something the engine cannot read: an empty text, so she is told what it can.
            return self._event(update_id, external_id, EventKind.TEXT, text="", language_hint=hint)
        return None  # service messages (pins, timers): nothing she said

    def _addressed(self, message: Message) -> bool:
        """In a group: a command, a reply to the bot, or the bot being added. (With privacy mode on, the
        default, Telegram sends a bot little else; with it off, the bot must not answer every message.)"""
        if any(str(member.id) == self.bot_id for member in message.new_chat_members):
            return True
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and str(replied.from_user.id) == self.bot_id:
            return True
        return bool(message.text and message.text.startswith("/"))

    async def _press(self, update_id: int, query: CallbackQuery) -> list[InboundEvent]:
        await self._quietly("answerCallbackQuery", self.bot.answer_callback_query(query.id))
        data, user = query.data, query.from_user
        if not data or user is None:
            return []

        def event(kind: EventKind, **details: Any) -> InboundEvent:
            return self._event(update_id, str(user.id), kind, language_hint=user.language_code, **details)

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
        await self._quietly(
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
            shown = f"{text}\n\n{ANSWERED} {', '.join(labels)}" if labels else text
            if utf16_len(shown) <= MAX_TEXT:
                await self._quietly(
                    "editMessageText",
                    self.bot.edit_message_text(text=shown, chat_id=message.chat.id, message_id=message.message_id),
                )
                return
        await self._quietly(
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

    async def _quietly(self, what: str, call: Awaitable[object]) -> None:
        """An acknowledgement that may fail (the press is too old, the text did not change): log, go on."""
        try:
            await call
        except TelegramError as exc:
            log.info("telegram: %s failed: %s", what, type(exc).__name__)

    # -- outbound ---

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        """``context`` is not needed on Telegram: the bot may write at any time."""
        parts = render(message)
        last_id: int | None = None
        for number, part in enumerate(parts):
            try:
                if part.photo is not None:
                    sent = await self.bot.send_photo(
                        chat_id=external_id, photo=part.photo, caption=part.text, reply_markup=markup(part.keyboard)
                    )
                else:
                    sent = await self.bot.send_message(
                        chat_id=external_id, text=part.text or "", reply_markup=markup(part.keyboard)
                    )
            except TelegramError as exc:
                result = outcome_of(exc, self._token)
                if number == 0 or result.outcome is SendOutcome.STOPPED:
                    return result
                # Part of it went out: sending it all again would repeat those parts.
                return SendResult(SendOutcome.FAILED, error=f"{result.error} (after {number} of {len(parts)} parts)")
            last_id = sent.message_id
        if message.document_name is not None and message.document_text is not None:
            # Her data export: a file made in memory, never written to disk.
            try:
                sent = await self.bot.send_document(
                    chat_id=external_id,
                    document=message.document_text.encode("utf-8"),
                    filename=message.document_name,
                )
            except TelegramError as exc:
                return SendResult(SendOutcome.FAILED, error=f"{outcome_of(exc, self._token).error} (the file)")
            last_id = sent.message_id
        if message.media_kind is not None and message.media_ref is not None:
            # A note passed on to her coach: the file id Telegram gave us, sent again by the same bot, or the
            # file's bytes when it came on another channel (fetched by the dispatcher, ``context.media``).
            media = context.media if context is not None else None
            ref: str | bytes = media.data if media is not None else message.media_ref
            name = media.filename if media is not None else None
            kind = message.media_kind
            try:
                if kind == "voice":
                    sent = await self.bot.send_voice(chat_id=external_id, voice=ref, filename=name)
                elif kind == "audio":
                    sent = await self.bot.send_audio(chat_id=external_id, audio=ref, filename=name)
                elif kind == "photo":
                    sent = await self.bot.send_photo(chat_id=external_id, photo=ref, filename=name)
                else:
                    sent = await self.bot.send_document(chat_id=external_id, document=ref, filename=name)
            except TelegramError as exc:
                return SendResult(SendOutcome.FAILED, error=f"{outcome_of(exc, self._token).error} (the note)")
            last_id = sent.message_id
        return SendResult(SendOutcome.SENT, provider_message_id=f"{external_id}:{last_id}")

    def sends_media_from(self, channel: Channel) -> bool:
        """A Telegram file id is sent again as it is, by the same bot; another channel's file is not known here."""
        return channel is Channel.TELEGRAM

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """The bytes of a file she sent, by its file id: ``getFile``, then a download from the file server
        (the local Bot API server's when one is configured). Raises ``MediaFetchError``; its reason never
        holds the file's URL, which holds the token."""
        try:
            file = await self.bot.get_file(ref)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            result = outcome_of(exc, self._token)
            if result.outcome in (SendOutcome.FAILED, SendOutcome.STOPPED):
                reason = _short(exc.message, self._token) if isinstance(exc, BadRequest) else "Telegram refused it"
                raise MediaFetchError(reason, permanent=True) from None
            raise MediaFetchError("Telegram could not be reached") from None
        suffix = PurePosixPath(file.file_path or "").suffix.lower()
        if kind == "voice":
            mime_type, suffix = "audio/ogg", ".ogg"
        elif kind == "photo":
            mime_type, suffix = "image/jpeg", suffix or ".jpg"
        else:
            mime_type = mimetypes.guess_type(f"file{suffix}")[0] or "application/octet-stream"
        return MediaFile(data=data, mime_type=mime_type, filename=f"{kind}{suffix}")


def _media(message: Message) -> tuple[str, str] | None:
    if message.voice is not None:
        return "voice", message.voice.file_id
    if message.audio is not None:
        return "audio", message.audio.file_id
    if message.photo:
        return "photo", message.photo[-1].file_id  # the largest size
    return None


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when the service stops meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
