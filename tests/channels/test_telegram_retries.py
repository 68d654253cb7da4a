"""The two loops that keep the Telegram adapter connected: registering the webhook and long polling. Each
waits longer after every failure (1, 2, 4, ... seconds, at most 60), waits what Telegram says after a 429,
stops at once on a rejected token, and ends when the service stops. The waits are recorded, never slept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from bot.channels.telegram import TelegramChannel, Timeouts, TokenRejected
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import InboundEvent as InboundEventRow
from bot.messaging.channel import InboundEvent
from bot.runtime.inbox import Result
from tests.emulators.telegram import TOKEN, TelegramEmulator
from tests.support.harness import Bot


@dataclass
class Pauses:
    """Records each wait a loop asks for, waits none, and stops the service at the ``stop_at``-th wait."""

    stop_at: int = 100
    waits: list[float] = field(default_factory=list)

    async def __call__(self, stopping: asyncio.Event, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) >= self.stop_at:
            stopping.set()


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator()
    async with emulator.serving():
        yield emulator


def channel(telegram: TelegramEmulator, clock: FakeClock, pauses: Pauses, token: str = TOKEN) -> TelegramChannel:
    return TelegramChannel(token, clock, base_url=telegram.url, timeouts=Timeouts(poll=0), pause=pauses)


async def test_the_webhook_is_set_after_server_errors_and_a_429_with_growing_waits(
    telegram: TelegramEmulator, clock: FakeClock
) -> None:
    telegram.fail_next("setWebhook", 500, "Internal Server Error", times=2)
    telegram.fail_next("setWebhook", 429, "Too Many Requests: retry after 5", retry_after=5)
    pauses = Pauses()
    adapter = channel(telegram, clock, pauses)
    await adapter.register_webhook("https://bot.example/webhooks/telegram", "s3cret", asyncio.Event())
    await adapter.stop()
    assert pauses.waits == [1.0, 2.0, 5.0]  # the 429's wait, as it is longer than the next back-off (4)
    assert len(telegram.called("setWebhook")) == 4
    assert telegram.webhook is not None and telegram.webhook["secret_token"] == "s3cret"


async def test_the_webhook_waits_stop_growing_at_a_minute(telegram: TelegramEmulator, clock: FakeClock) -> None:
    telegram.fail_next("setWebhook", 502, "Bad Gateway", times=8)
    pauses = Pauses()
    adapter = channel(telegram, clock, pauses)
    await adapter.register_webhook("https://bot.example/webhooks/telegram", "s3cret", asyncio.Event())
    await adapter.stop()
    assert pauses.waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


async def test_a_rejected_token_stops_the_webhook_at_once(telegram: TelegramEmulator, clock: FakeClock) -> None:
    pauses = Pauses()
    adapter = channel(telegram, clock, pauses, token="123:not-the-token")
    with pytest.raises(TokenRejected):
        await adapter.register_webhook("https://bot.example/webhooks/telegram", "s3cret", asyncio.Event())
    await adapter.stop()
    assert pauses.waits == []
    assert telegram.webhook is None


async def test_stopping_the_service_ends_the_webhook_attempts(telegram: TelegramEmulator, clock: FakeClock) -> None:
    telegram.fail_next("setWebhook", 500, "Internal Server Error", times=10)
    pauses = Pauses(stop_at=2)
    adapter = channel(telegram, clock, pauses)
    await adapter.register_webhook("https://bot.example/webhooks/telegram", "s3cret", asyncio.Event())
    await adapter.stop()
    assert pauses.waits == [1.0, 2.0]
    assert len(telegram.called("setWebhook")) == 2  # no attempt after the service stopped
    assert telegram.webhook is None


async def test_polling_waits_after_failures_and_starts_over_after_a_batch(
    db: Database, clock: FakeClock, telegram: TelegramEmulator
) -> None:
    base = Bot(db, clock)
    base.inbox.start()
    telegram.fail_next("getUpdates", 500, "Internal Server Error", times=2)
    telegram.fail_next("getUpdates", 429, "Too Many Requests: retry after 3", retry_after=3)
    user = telegram.user()
    update = user.text("hello")
    telegram.queue(update)
    stored = 0

    async def submit(event: InboundEvent) -> Result:
        nonlocal stored
        stored += 1
        if stored == 1:  # the inbox could not store the batch: it is fetched again
            raise RuntimeError("database away")
        telegram.fail_next("getUpdates", 409, "Conflict: terminated by other getUpdates request")
        return await base.inbox.submit(event)

    pauses = Pauses(stop_at=5)
    adapter = channel(telegram, clock, pauses)
    try:
        await asyncio.wait_for(adapter.poll(submit, asyncio.Event()), timeout=30)
    finally:
        await adapter.stop()
        await base.inbox.stop()
    # 429: what Telegram says, even when shorter than the back-off; after a stored batch, 1 second again.
    assert pauses.waits == [1.0, 2.0, 3.0, 8.0, 1.0]
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEventRow)) == 1
    # the call after the stored batch confirms it (Telegram answered that one with the 409)
    assert telegram.called("getUpdates")[-1].get("offset") == update["update_id"] + 1
