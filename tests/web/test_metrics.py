"""/metrics: the operator's figures in the Prometheus text format, computed from the database (the same on
every worker) and a few in-process counters; they never name a person or hold a text."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import InboundEvent
from bot.runtime.metrics import Metrics
from bot.web.asgi import create_web_app
from tests.support.harness import Bot

SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+)$")


async def scrape(db: Database, clock: FakeClock, bot: Bot | None = None) -> tuple[httpx.Response, dict[str, float]]:
    web = create_web_app(db, metrics=Metrics(db, clock, bot.inbox if bot else None).render)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://test") as client:
        response = await client.get("/metrics")
    samples: dict[str, float] = {}
    for line in response.text.splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return response, samples


async def test_metrics_count_events_messages_lag_and_errors(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    _, code = await bot.invite(locale="ar")
    phone = bot.phone()
    await phone.send(f"/start {code}")  # one event in, its replies sent
    await bot.inbox.process([bot.simulator.text(phone.external_id, "hello")])  # a reply not sent yet
    async with db.transaction() as session:
        await session.execute(
            insert(InboundEvent).values(
                dedupe_key="telegram:1", channel=Channel.TELEGRAM, received_at=clock.now(), outcome="failed"
            )
        )
    clock.advance(timedelta(seconds=90))

    response, samples = await scrape(db, clock, bot)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert samples['trampoline_inbound_events_total{channel="simulator",outcome="processed"}'] == 2
    assert samples['trampoline_inbound_events_total{channel="telegram",outcome="failed"}'] == 1
    assert samples['trampoline_outbound_messages{channel="simulator",status="sent"}'] >= 1
    assert samples['trampoline_outbound_messages{channel="simulator",status="pending"}'] >= 1
    assert samples["trampoline_outbox_queue_depth"] >= 1
    assert samples["trampoline_dispatcher_lag_seconds"] == 90
    assert samples['trampoline_errors_total{channel="telegram"}'] == 1
    assert samples['trampoline_errors_total{channel="simulator"}'] == 0
    assert samples["trampoline_inbox_queue_depth"] == 0
    assert samples["trampoline_database_up"] == 1
    assert phone.external_id not in response.text and code not in response.text

    await bot.dispatcher.dispatch_due()
    _, samples = await scrape(db, clock, bot)
    assert samples["trampoline_dispatcher_lag_seconds"] == 0
    assert samples["trampoline_outbox_queue_depth"] == 0


async def test_metrics_answer_when_the_database_is_away(clock: FakeClock, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "deeper"
    db = Database(f"sqlite+aiosqlite:///{missing / 'trampoline.db'}")
    try:
        response, samples = await scrape(db, clock)
    finally:
        await db.dispose()
    assert response.status_code == 200
    assert samples["trampoline_database_up"] == 0
