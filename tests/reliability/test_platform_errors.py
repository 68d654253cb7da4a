"""Drill: the platform answers 429 (too many requests) and 500 (server error) for a while. Everything the
bot queued is delivered afterwards, and nothing twice. The real python-telegram-bot talks HTTP to the local
Bot API emulator; the outbox and the dispatcher are the real ones, on a fake clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.messaging.channel import OutboundMessage
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.messaging.rows import outbox_row
from tests.emulators.telegram import TOKEN, TelegramEmulator

CHATS = 10
PER_CHAT = 3


async def no_wait(_: float) -> None:
    return None


async def test_after_429s_and_500s_everything_is_delivered_once(
    db: Database, clock: FakeClock, telegram: TelegramEmulator
) -> None:
    async with db.transaction() as session:
        for chat in range(CHATS):
            for n in range(PER_CHAT):
                message = OutboundMessage(text=f"chat {chat} message {n}", locale="en")
                session.add(
                    outbox_row(
                        f"drill:{chat}:{n}", message, clock.now(), recipient=(Channel.TELEGRAM, str(9000 + chat))
                    )
                )
    # The platform is in trouble for a while: more failed answers than there are messages.
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3, times=20)
    telegram.fail_next("sendMessage", 500, "Internal Server Error", times=20)
    channel = TelegramChannel(TOKEN, clock, base_url=telegram.url)
    await channel.start()
    limiter = RateLimiter(ChannelRate(30.0, 1.0), monotonic=lambda: clock.now().timestamp(), sleep=no_wait)
    dispatcher = Dispatcher(
        db, {Channel.TELEGRAM: channel}, clock, DispatchPolicy(batch=100), limiters={Channel.TELEGRAM: limiter}
    )
    try:
        for _ in range(10):  # bounded: each round is one pass over what is due
            await dispatcher.dispatch_due()
            async with db.reading() as session:
                rows = list(await session.scalars(select(OutboxMessage)))
            if all(row.status is OutboxStatus.SENT for row in rows):
                break
            clock.advance(timedelta(minutes=1))
    finally:
        await channel.stop()

    assert len(telegram.called("sendMessage")) > CHATS * PER_CHAT  # the trouble was real: sends were refused
    assert [row.status for row in rows] == [OutboxStatus.SENT] * (CHATS * PER_CHAT)
    assert {event["event"] for row in rows for event in row.history} <= {"retry"}
    for chat in range(CHATS):
        texts = sorted(m["text"] for m in telegram.chat(9000 + chat))
        assert texts == [f"chat {chat} message {n}" for n in range(PER_CHAT)]  # each one, once
