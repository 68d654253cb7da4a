"""Rate limits for sending: how fast a channel may go overall and to one chat (``ChannelRate``), and the
limiter that spaces the dispatcher's sends accordingly (``RateLimiter``)."""

from __future__ import annotations

import asyncio
import time as monotonic_time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChannelRate:
    per_second: float  # for the whole channel (the bot, or the business phone number)
    per_recipient_interval: float = 0.0  # seconds between two messages to the same chat


class RateLimiter:
    """Spaces sends evenly at ``per_second`` overall and ``per_recipient_interval`` per chat. The wait is
    real time (the platform counts real seconds), but the clock and the sleep can be replaced in tests.

    Each send reserves a slot, then sleeps until it. A sender that wakes late (the loop was busy) takes the
    next slot after the last one actually used, so the senders that were held up go out spaced again rather
    than all at once: a burst after a pause would push a second over the platform's limit."""

    # Stay this much under the platform's limit, so that network jitter never pushes a second over it.
    SAFETY = 1.02

    def __init__(
        self,
        rate: ChannelRate,
        monotonic: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = self.SAFETY / rate.per_second if rate.per_second > 0 else 0.0
        self.per_recipient = rate.per_recipient_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._last: float | None = None  # the slot the last send went out in
        self._recipients: dict[str, float] = {}

    async def wait(self, recipient: str) -> None:
        now = self._monotonic()
        slot = max(now, self._next, self._recipients.get(recipient, 0.0))
        # Reserve the slot before sleeping, so concurrent senders queue up behind each other.
        self._next = slot + self.interval
        if self.per_recipient:
            self._recipients[recipient] = slot + self.per_recipient
            if len(self._recipients) > 10_000:
                self._recipients = {k: v for k, v in self._recipients.items() if v > now}
        if slot > now:
            await self._sleep(slot - now)
            now = self._monotonic()
        if self._last is not None and now < self._last + self.interval:
            slot = self._last + self.interval  # woken together with others after a pause: keep the spacing
            self._next = max(self._next, slot + self.interval)
            self._last = slot
            await self._sleep(slot - now)
            now = self._monotonic()
        self._last = now if self._last is None else max(self._last, now)

    def back_off(self, seconds: float) -> None:
        """The platform said "too many": pause the whole channel for that long."""
        self._next = max(self._next, self._monotonic() + seconds)
