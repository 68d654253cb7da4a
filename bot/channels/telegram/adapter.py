"""The Telegram channel, on python-telegram-bot: only this folder imports ``telegram``.

It has the shape of every adapter (bot/messaging/channel.py): ``receive``/``handle_update`` turn a Telegram
update into ``InboundEvent``s (parse.py, presses.py), ``render`` lays an ``OutboundMessage`` out within
Telegram's limits (render.py), ``send`` sends it and maps Telegram's answer to a ``SendOutcome`` (send.py,
errors.py); the webhook and polling are in updates.py.

Nothing here sends a conversation message on its own: only the outbox dispatcher calls ``send``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.telegram import updates
from bot.channels.telegram.errors import TokenRejected
from bot.channels.telegram.parse import Events
from bot.channels.telegram.presses import Presses
from bot.channels.telegram.render import CAPABILITIES
from bot.channels.telegram.send import Sender
from bot.channels.telegram.updates import Pause, Submit
from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import (
    Capabilities,
    InboundEvent,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendResult,
    wrong_typed,
)

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


@dataclass(frozen=True)
class Timeouts:
    """Explicit HTTP timeouts, in seconds, for calls to the Bot API."""

    connect: float = 5.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 5.0
    media_write: float = 30.0
    poll: int = 50  # how long one getUpdates call may wait for updates (long polling)


class TelegramChannel:
    name: Channel = Channel.TELEGRAM
    capabilities: Capabilities = CAPABILITIES

    def __init__(
        self,
        token: str,
        clock: Clock,
        *,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
        commands: Mapping[str | None, Sequence[tuple[str, str]]] | None = None,
        pause: Pause | None = None,
    ) -> None:
        """``base_url``: a self-hosted Bot API server (``http://host:8081``); ``commands``: the command menu
        per language code (None for the default), set at start; ``pause``: how the loops wait between attempts."""
        self.clock = clock
        self.timeouts = timeouts or Timeouts()
        self.commands = dict(commands or {})
        self.bot_id = token.split(":", 1)[0]  # a bot's id is the number before the colon
        self._pause = pause or updates.pause
        self._bot = _bot(token, base_url, self.timeouts)
        self.webhook_secret: str | None = None  # set when the service registers its webhook
        self._events = Events(self.bot_id, clock)
        self._presses = Presses(self._bot, self._events)
        self._sender = Sender(self._bot, token)

    @property
    def bot(self) -> Bot:
        """The Bot API client every call goes through."""
        return self._bot

    @bot.setter
    def bot(self, bot: Bot) -> None:
        self._bot = self._presses.bot = self._sender.bot = bot

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
        await updates.register_webhook(self.bot, url, secret, stopping, self._pause)

    # -- polling ---

    async def poll(self, submit: Submit, stopping: asyncio.Event) -> None:
        """Long-poll until ``stopping`` is set (or the task is cancelled, which is safe at any point)."""
        await updates.poll(self.bot, self.handle_update, submit, self.timeouts.poll, stopping, self._pause)

    async def poll_once(self, submit: Submit, offset: int | None, long_poll: int | None = None) -> int | None:
        """One round of polling (updates.poll_once); ``long_poll``: seconds to wait for updates, else the
        configured ``Timeouts.poll``."""
        wait = self.timeouts.poll if long_poll is None else long_poll
        return await updates.poll_once(self.bot, self.handle_update, submit, offset, wait)

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
            return await self._presses.press(update.update_id, update.callback_query)
        if update.message is not None:
            event = self._events.message(update.update_id, update.message)
            return [event] if event is not None else []
        return []  # edits, channel posts, member changes: nothing she said to the bot

    # -- outbound ---

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        """``context`` is not needed on Telegram: the bot may write at any time."""
        return await self._sender.send(external_id, message, context)

    def sends_media_from(self, channel: Channel) -> bool:
        """A Telegram file id is sent again as it is, by the same bot; another channel's file is not known here."""
        return channel is Channel.TELEGRAM

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """The bytes of a file she sent, by its file id (send.py); raises ``MediaFetchError``."""
        return await self._sender.fetch_media(ref, kind)


def _bot(token: str, base_url: str | None, t: Timeouts) -> Bot:
    server = base_url.rstrip("/") if base_url else "https://api.telegram.org"
    return Bot(
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
