"""A dispatcher worker for the drill in test_dead_worker.py, run as its own process:

    python -m tests.reliability.dying_worker DATABASE_URL

It claims the due outbox rows with the real dispatcher and starts sending the first one to a platform that
never answers; it prints ``sending`` and then waits there until it is killed.
"""

from __future__ import annotations

import asyncio
import sys

from bot.core.channel import Channel
from bot.core.clock import SystemClock
from bot.core.keys import load_cipher
from bot.core.settings import load_settings
from bot.db.engine import Database
from bot.messaging.channel import OutboundMessage, SendContext, SendResult
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter


class HangingPlatform:
    name = Channel.SIMULATOR

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        print("sending", flush=True)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def main(url: str) -> None:
    # The key as the service gets it: from the settings (TRAMPOLINE_ENCRYPTION_KEYS or the key file).
    db = Database(url, sealer=load_cipher(load_settings(database_url=url)))
    limiters = {Channel.SIMULATOR: RateLimiter(ChannelRate(1e9))}
    dispatcher = Dispatcher(
        db, {Channel.SIMULATOR: HangingPlatform()}, SystemClock(), DispatchPolicy(), "dying", limiters
    )
    await dispatcher.dispatch_due()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
