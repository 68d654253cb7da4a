"""Benchmark: planning a week of check-in nudges, and sending nudges at a platform's rate limit.

    python -m bench.nudges [--participants 100000] [--messages 10000] [--rate 300]

- ``plan_100k_s``: seconds to plan the week's check-in nudges for 100,000 participants on PostgreSQL
  (``TRAMPOLINE_BENCH_POSTGRES_URL``, default the local server), median of three runs on an emptied schedule.
- ``dispatch_rate_ratio``: the achieved send rate divided by the limit, sending ``--messages`` nudges from
  the outbox (embedded SQLite) through a local HTTP emulator (a separate process) that allows ``--rate``
  messages per second and answers 429 above it, with the dispatcher configured for the same rate.
- ``http_429``, ``duplicates``, ``lost``: what the emulator saw; all should be 0.

The last line is ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet as _Fernet
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.core.channel import Channel
from bot.core.clock import SystemClock
from bot.core.crypto import Cipher as _Cipher
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import OutboxMessage, OutboxStatus
from bot.messaging.channel import OutboundMessage, SendOutcome, SendResult
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate
from bot.scheduling.planner import plan_checkins

BENCH_SEALER = _Cipher([_Fernet.generate_key().decode()])  # the outbox is sealed, as in the service

POSTGRES = os.environ.get("TRAMPOLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ZONES = ["Europe/Brussels", "Asia/Kabul", "Africa/Asmara", "Africa/Mogadishu", "Europe/Kyiv", "America/New_York"]


# -- planning on PostgreSQL ---


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(make_url(POSTGRES).set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def bench_planning(participants: int) -> dict[str, Any]:
    name = f"trampoline_bench_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)
    db = Database(url, sealer=BENCH_SEALER)
    try:
        await upgrade(db)
        zones = "ARRAY[" + ",".join(f"'{z}'" for z in ZONES) + "]"
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO organisations (name, default_locale, timezone, created_at) "
                    "VALUES ('Bench', 'nl', 'Europe/Brussels', now() - interval '1 year')"
                )
            )
            await session.execute(
                text(
                    f"""
                    INSERT INTO people (organisation_id, role, display_name, locale, timezone, status,
                        quiet_start, quiet_end, checkin_weekday, checkin_time, created_at, updated_at)
                    SELECT 1, 'participant', 'P' || n, 'nl', ({zones})[1 + n % {len(ZONES)}], 'active',
                        time '21:00', time '08:00', n % 7, time '09:00' + (n % 10) * interval '1 hour',
                        now() - interval '1 year', now()
                    FROM generate_series(1, :count) AS n
                    """
                ),
                {"count": participants},
            )
        timings = []
        planned = 0
        now = datetime.now(UTC)
        for _ in range(3):
            async with db.transaction() as session:
                await session.execute(text("TRUNCATE nudges"))
            started = time.perf_counter()
            planned = await plan_checkins(db, now)
            timings.append(time.perf_counter() - started)
        again = time.perf_counter()
        replanned = await plan_checkins(db, now)
        replan_s = time.perf_counter() - again
        return {
            "plan_100k_s": round(statistics.median(timings), 3),
            "plan_runs_s": [round(t, 3) for t in timings],
            "planned_nudges": planned,
            "replan_s": round(replan_s, 3),
            "replanned_new": replanned,
        }
    finally:
        await db.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- dispatching through a rate-limited emulator ---


def _emulator(port: int, rate: int) -> None:
    """A platform that allows ``rate`` messages in any one second and answers 429 above it."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    window: deque[float] = deque()
    seen: dict[str, int] = {}
    stats = {"accepted": 0, "http_429": 0}

    async def send(request: Request) -> JSONResponse:
        body = await request.json()
        now = time.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= rate:
            stats["http_429"] += 1
            return JSONResponse({"ok": False, "retry_after": 1}, status_code=429)
        window.append(now)
        seen[body["id"]] = seen.get(body["id"], 0) + 1
        stats["accepted"] += 1
        return JSONResponse({"ok": True, "message_id": stats["accepted"]})

    async def report(request: Request) -> JSONResponse:
        duplicates = sum(n - 1 for n in seen.values() if n > 1)
        return JSONResponse({**stats, "unique": len(seen), "duplicates": duplicates})

    app = Starlette(routes=[Route("/send", send, methods=["POST"]), Route("/stats", report)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class EmulatedPlatform:
    """A channel adapter for the emulator: the same outcome mapping a platform adapter does."""

    name = Channel.TELEGRAM

    def __init__(self, base_url: str) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=10)

    async def send(self, external_id: str, message: OutboundMessage, context: object = None) -> SendResult:
        try:
            response = await self.client.post("/send", json={"id": message.text, "to": external_id})
        except httpx.TransportError:
            return SendResult(SendOutcome.UNREACHABLE)
        if response.status_code == 429:
            return SendResult(SendOutcome.THROTTLED, retry_after=float(response.json()["retry_after"]))
        if response.status_code != 200:
            return SendResult(SendOutcome.FAILED, error=str(response.status_code))
        return SendResult(SendOutcome.SENT, provider_message_id=str(response.json()["message_id"]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def bench_dispatch(messages: int, rate: int) -> dict[str, Any]:
    port = _free_port()
    emulator = multiprocessing.get_context("spawn").Process(target=_emulator, args=(port, rate), daemon=True)
    emulator.start()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", sealer=BENCH_SEALER)
        platform = EmulatedPlatform(base_url)
        try:
            for _ in range(200):
                try:
                    (await platform.client.get("/stats")).raise_for_status()
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the emulator did not start")
            await upgrade(db)
            clock = SystemClock()
            now = clock.now()
            async with db.transaction() as session:
                await session.execute(
                    OutboxMessage.__table__.insert(),
                    [
                        {
                            "idempotency_key": f"bench:{n}",
                            "person_id": None,
                            "recipient": f"user-{n}",
                            "channel": Channel.TELEGRAM,
                            "kind": "nudge",
                            "priority": 10,
                            "payload": OutboundMessage(text=f"nudge-{n}", locale="nl").to_payload(),
                            "status": OutboxStatus.PENDING,
                            "due_at": now,
                            "attempts": 0,
                            "history": [],
                            "created_at": now,
                        }
                        for n in range(messages)
                    ],
                )
            policy = DispatchPolicy(batch=200, concurrency=16, rates={Channel.TELEGRAM: ChannelRate(float(rate), 1.0)})
            dispatcher = Dispatcher(db, {Channel.TELEGRAM: platform}, clock, policy)
            started = time.perf_counter()
            while True:
                await dispatcher.dispatch_due()
                async with db.reading() as session:
                    left = await session.scalar(
                        text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')")
                    )
                if not left:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            stats = (await platform.client.get("/stats")).json()
        finally:
            await platform.client.aclose()
            await db.dispose()
            emulator.terminate()
    achieved = stats["accepted"] / elapsed
    return {
        "dispatch_rate_ratio": round(achieved / rate, 3),
        "dispatch_msgs_per_s": round(achieved, 1),
        "dispatch_s": round(elapsed, 2),
        "http_429": stats["http_429"],
        "duplicates": stats["duplicates"],
        "lost": messages - stats["unique"],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=300)
    args = parser.parse_args()
    result: dict[str, Any] = {"participants": args.participants, "messages": args.messages, "rate_limit": args.rate}
    try:
        result |= await bench_planning(args.participants)
    except (OSError, asyncpg.PostgresError) as exc:
        result["plan_100k_s"] = None
        result["plan_error"] = f"PostgreSQL not reachable: {type(exc).__name__}"
    result |= await bench_dispatch(args.messages, args.rate)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
