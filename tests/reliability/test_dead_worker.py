"""Drill: a dispatcher worker is killed with SIGKILL while it holds claims on outbox rows. Another worker
delivers those messages once their lease has run out, each once; the one whose send had begun is not sent
again (it may have arrived: a duplicate is worse than a gap) but marked failed with the reason."""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select as sql_select

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.messaging.dispatcher import Dispatcher
from tests.support.dispatch import Flaky, instant_limiters, queue_replies
from tests.support.harness import TEST_KEY, Bot

PROJECT = Path(__file__).resolve().parents[2]
MESSAGES = 5


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.reading() as session:
        return list(await session.scalars(sql_select(OutboxMessage).order_by(OutboxMessage.id)))


def claim_then_die(database_url: str) -> None:
    """Run the dying worker until it is sending its first message, then kill it with SIGKILL."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.dying_worker", database_url],
        # The key as the service gets it: TRAMPOLINE_ENCRYPTION_KEYS in its environment.
        env={**os.environ, "TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY},
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        line = ""
        while line.strip() != "sending":
            assert time.monotonic() < deadline, "the worker did not start sending in time"
            assert worker.poll() is None, f"the worker exited: {worker.stdout.read() if worker.stdout else ''}"
            ready, _, _ = select.select([worker.stdout], [], [], 0.5)
            if ready and worker.stdout is not None:
                line = worker.stdout.readline()
    finally:
        worker.kill()  # holding its claims
        worker.wait(timeout=10)


async def test_a_killed_workers_claims_are_delivered_once_by_another_after_the_lease(
    db: Database, database_url: str
) -> None:
    clock = FakeClock(datetime.now(UTC))  # the dying worker runs on the real clock
    await queue_replies(Bot(db, clock), MESSAGES)  # all to one chat: sent one after another
    await asyncio.to_thread(claim_then_die, database_url)

    held = await rows(db)
    assert [(r.status, r.claimed_by) for r in held] == [(OutboxStatus.CLAIMED, "dying")] * MESSAGES
    assert [r.send_started_at is not None for r in held] == [True] + [False] * (MESSAGES - 1)

    platform = Flaky()
    survivor = Dispatcher(db, {Channel.SIMULATOR: platform}, clock, worker="survivor", limiters=instant_limiters())
    assert await survivor.dispatch_due() == 0  # the lease still holds
    clock.advance(timedelta(seconds=61))
    await survivor.dispatch_due()
    clock.advance(timedelta(minutes=10))
    await survivor.dispatch_due()  # nothing is sent a second time

    assert platform.delivered == [f"message {n}" for n in range(1, MESSAGES)]
    after = await rows(db)
    assert [r.status for r in after] == [OutboxStatus.FAILED] + [OutboxStatus.SENT] * (MESSAGES - 1)
    assert after[0].last_error is not None and "not resent" in after[0].last_error
