"""The bot on WhatsApp: pywa against the local Graph API emulator and the service's web app (fixtures `graph`, `wa`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.channels.whatsapp import WhatsAppChannel, load_templates
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.paths import project_root
from bot.db.engine import Database
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.messaging.receipts import record_statuses
from bot.web.asgi import create_web_app
from tests.emulators.whatsapp import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    Sent,
    WhatsAppEmulator,
    raw,
    sign,
)
from tests.support.harness import Bot

TEMPLATES = load_templates(project_root() / "conversations" / "_whatsapp_templates.yaml")


async def no_wait(_: float) -> None:
    return None


@dataclass
class WhatsAppBot:
    """The bot of tests/support/harness.py with the WhatsApp adapter and the service's web app. Rate limits count
    fake time, so a test never waits for them."""

    base: Bot
    graph: WhatsAppEmulator
    channel: WhatsAppChannel
    dispatcher: Dispatcher
    web: httpx.AsyncClient

    @property
    def db(self) -> Database:
        return self.base.db

    @property
    def clock(self) -> FakeClock:
        return self.base.clock

    async def post(self, payload: dict[str, Any], signature: str | None = "meta") -> httpx.Response:
        body = raw(payload)
        headers = {"content-type": "application/json"}
        if signature == "meta":
            headers["x-hub-signature-256"] = sign(body)
        elif signature is not None:
            headers["x-hub-signature-256"] = signature
        return await self.web.post("/webhooks/whatsapp", content=body, headers=headers)

    async def deliver(self, *payloads: dict[str, Any]) -> None:
        """Meta posts these webhooks; each must be accepted; then the dispatcher sends the replies."""
        for payload in payloads:
            answer = await self.post(payload)
            assert answer.status_code == 200, answer.text
        await self.dispatcher.dispatch_due()


def make_channel(clock: FakeClock, graph: WhatsAppEmulator, bot: Bot | None = None) -> WhatsAppChannel:
    translate = None
    if bot is not None:
        service = bot.service

        def translate(text_id: str, locale: str) -> str:
            return service.renderer.text(bot.flows.texts[text_id], locale, {})

    return WhatsAppChannel(
        PHONE_NUMBER_ID,
        ACCESS_TOKEN,
        APP_SECRET,
        VERIFY_TOKEN,
        clock,
        templates=TEMPLATES,
        base_url=graph.url,
        translate=translate,
    )


@pytest.fixture
async def graph() -> AsyncIterator[WhatsAppEmulator]:
    emulator = WhatsAppEmulator()
    async with emulator.serving():
        yield emulator


@pytest.fixture
async def wa(db: Database, clock: FakeClock, graph: WhatsAppEmulator) -> AsyncIterator[WhatsAppBot]:
    base = Bot(db, clock)
    channel = make_channel(clock, graph, base)
    limiter = RateLimiter(ChannelRate(80.0, 1.0), monotonic=lambda: clock.now().timestamp(), sleep=no_wait)
    dispatcher = Dispatcher(
        db, {Channel.WHATSAPP: channel}, clock, DispatchPolicy(), limiters={Channel.WHATSAPP: limiter}
    )
    web = create_web_app(
        db,
        submit=base.inbox.submit,
        whatsapp=channel,
        statuses=lambda statuses: record_statuses(db, Channel.WHATSAPP, statuses, clock.now()),
    )
    base.inbox.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://service")
    try:
        yield WhatsAppBot(base, graph, channel, dispatcher, client)
    finally:
        await client.aclose()
        await base.inbox.stop()
        await channel.stop()


def body_text(sent: Sent) -> str:
    if sent.type == "text":
        return str(sent.body["body"])
    if sent.type == "interactive":
        return str(sent.body["body"]["text"])
    return ""
