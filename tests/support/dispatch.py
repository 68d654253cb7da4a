"""The dispatcher under test: rate limits that never wait, a platform that fails, replies queued in the outbox."""

from __future__ import annotations

from bot.core.channel import Channel
from bot.db.models import OutboxMessage, OutboxStatus
from bot.messaging.channel import OutboundMessage, SendOutcome, SendResult
from bot.messaging.dispatcher import ChannelRate, RateLimiter
from tests.support.harness import Bot, onboarded


def instant_limiters() -> dict[Channel, RateLimiter]:
    async def no_wait(_: float) -> None:
        return None

    return {Channel.SIMULATOR: RateLimiter(ChannelRate(1e9), sleep=no_wait)}


class Flaky:
    """A channel that answers with the given outcomes, then sends."""

    name = Channel.SIMULATOR

    def __init__(self, *outcomes: SendOutcome) -> None:
        self.outcomes = list(outcomes)
        self.delivered: list[str] = []

    async def send(self, external_id: str, message: OutboundMessage, context: object = None) -> SendResult:
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            return SendResult(outcome, retry_after=2 if outcome is SendOutcome.THROTTLED else None, error="test")
        self.delivered.append(message.text)
        return SendResult(SendOutcome.SENT, provider_message_id=f"m{len(self.delivered)}")


async def queue_replies(bot: Bot, count: int) -> list[int]:
    _, phone = await onboarded(bot)
    ids = []
    async with bot.db.transaction() as session:
        for number in range(count):
            row = OutboxMessage(
                idempotency_key=f"bulk:{number}", person_id=None, recipient=phone.external_id,
                channel=Channel.SIMULATOR, kind="reply", priority=0,
                payload=OutboundMessage(text=f"message {number}", locale="en").to_payload(),
                status=OutboxStatus.PENDING, due_at=bot.clock.now(), attempts=0, created_at=bot.clock.now(),
            )  # fmt: skip
            session.add(row)
            await session.flush()
            ids.append(row.id)
    return ids
