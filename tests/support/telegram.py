"""The bot on Telegram: the real python-telegram-bot against the local Bot API emulator (fixtures `telegram`, `tg`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.channels.telegram import TelegramChannel
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from tests.emulators.telegram import TOKEN, TelegramEmulator, TelegramUser
from tests.support.harness import Bot, activate


async def no_wait(_: float) -> None:
    return None


@dataclass
class TelegramBot:
    """The bot of tests/support/harness.py with the Telegram adapter instead of the simulator, polling the emulator.
    Rate limits count fake time, so a test never waits for them."""

    base: Bot
    telegram: TelegramEmulator
    channel: TelegramChannel
    dispatcher: Dispatcher
    offset: int | None = None
    users: list[TelegramUser] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.base.db

    @property
    def clock(self) -> FakeClock:
        return self.base.clock

    async def deliver(self, *updates: dict[str, Any]) -> None:
        """Telegram has these updates for the bot: one polling round, then the dispatcher sends the replies."""
        self.telegram.queue(*updates)
        self.offset = await self.channel.poll_once(self.base.inbox.submit, self.offset, long_poll=0)
        await self.dispatcher.dispatch_due()


def make_dispatcher(db: Database, channel: TelegramChannel, clock: FakeClock) -> Dispatcher:
    limiter = RateLimiter(ChannelRate(30.0, 1.0), monotonic=lambda: clock.now().timestamp(), sleep=no_wait)
    return Dispatcher(db, {Channel.TELEGRAM: channel}, clock, DispatchPolicy(), limiters={Channel.TELEGRAM: limiter})


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator()
    async with emulator.serving():
        yield emulator


@pytest.fixture
async def tg(db: Database, clock: FakeClock, telegram: TelegramEmulator) -> AsyncIterator[TelegramBot]:
    base = Bot(db, clock)
    channel = TelegramChannel(TOKEN, clock, base_url=telegram.url)
    await channel.start()
    base.inbox.start()
    try:
        yield TelegramBot(base, telegram, channel, make_dispatcher(db, channel, clock))
    finally:
        await base.inbox.stop()
        await channel.stop()


async def onboarded_on_telegram(tg: TelegramBot, locale: str = "en", user_id: int = 4242) -> tuple[int, TelegramUser]:
    """A participant who finished onboarding (made in the database), with Telegram on her phone."""
    person_id, _ = await tg.base.invite(locale=locale)
    user = tg.telegram.user(user_id, language_code=locale)
    await activate(tg.base, person_id, Channel.TELEGRAM, str(user.id))
    return person_id, user
