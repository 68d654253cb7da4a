"""Graceful shutdown: once the service is told to stop, the dispatcher claims nothing more, and the message
it is sending at that moment is finished and recorded, not lost or left claimed."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.messaging.channel import OutboundMessage, SendOutcome, SendResult
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from tests.support.harness import Bot


class SlowPhone:
    """A channel whose first send waits until the test lets it finish."""

    name = Channel.SIMULATOR

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0
        self.sent: list[str] = []

    async def send(self, external_id: str, message: OutboundMessage, context: object = None) -> SendResult:
        self.calls += 1
        self.started.set()
        await self.release.wait()
        self.sent.append(external_id)
        return SendResult(SendOutcome.SENT, provider_message_id=f"slow-{len(self.sent)}")


async def test_stopping_finishes_the_send_in_flight_and_claims_nothing_more(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    for _ in range(3):  # three people start onboarding: three replies wait in the outbox
        _, code = await bot.invite(locale="en")
        await bot.inbox.process([bot.simulator.text(bot.phone().external_id, f"/start {code}")])

    async def no_wait(_: float) -> None:
        return None

    phone = SlowPhone()
    dispatcher = Dispatcher(
        db, {Channel.SIMULATOR: phone}, clock, DispatchPolicy(batch=1),
        limiters={Channel.SIMULATOR: RateLimiter(ChannelRate(1e9), sleep=no_wait)},
    )  # fmt: skip
    stopping = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stopping))
    await asyncio.wait_for(phone.started.wait(), timeout=10)

    stopping.set()  # SIGTERM arrives while a message is on its way (the next batch may be on its way too)
    phone.release.set()
    await asyncio.wait_for(running, timeout=10)

    async with db.reading() as session:
        statuses = list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
    assert len(phone.sent) in (1, 2) and phone.calls == len(phone.sent)
    assert statuses.count(OutboxStatus.SENT) == len(phone.sent)  # what was on its way was finished and recorded
    assert statuses.count(OutboxStatus.PENDING) == len(statuses) - len(phone.sent)  # the rest wait for the next start
    assert OutboxStatus.CLAIMED not in statuses
