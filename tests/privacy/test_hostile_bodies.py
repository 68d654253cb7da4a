"""Hostile bodies at the real web app (``build_app``, through httpx's ASGI transport), on SQLite and
PostgreSQL: nesting a thousand deep, wrong-typed fields, a lone surrogate in a signed message id, and a
random mix of all of them. Never a 5xx, never a traceback in the log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.core.clock import FakeClock
from bot.core.safe_json import depth
from bot.core.settings import Settings
from bot.db.models import InboundEvent as InboundEventRow
from tests.support.harness import TEST_KEY

TELEGRAM_SECRET = "hook-secret"
APP_SECRET = "whatsapp-app-secret"
PHONE_NUMBER_ID = "1234567890"


def settings_for(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        telegram_bot_token="123456:AAFakeTokenForTestsOnly_abcdefghij",
        telegram_webhook_secret=TELEGRAM_SECRET,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_access_token="whatsapp-token",
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token="verify",
        encryption_keys=TEST_KEY,
        simulator=True,
    )


def signed(route: str, body: bytes) -> dict[str, str]:
    if route.endswith("telegram"):
        return {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}
    if route.endswith("whatsapp"):
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return {"x-hub-signature-256": f"sha256={digest}"}
    return {}


@dataclass
class Service:
    app: App
    client: httpx.AsyncClient

    async def post(self, route: str, body: bytes) -> httpx.Response:
        return await self.client.post(
            route, content=body, headers={**signed(route, body), "content-type": "application/json"}
        )


@pytest.fixture
async def service(database_url: str, clock: FakeClock) -> AsyncIterator[Service]:
    app = build_app(settings_for(database_url), clock)
    if app.telegram is not None:
        app.telegram.webhook_secret = TELEGRAM_SECRET
    app.inbox.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://service")
    try:
        yield Service(app, client)
    finally:
        await client.aclose()
        await app.inbox.stop()
        await app.db.dispose()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info is not None or r.levelno >= logging.ERROR]


def telegram_update(update_id: int, text: Any = "hello", user: int = 555001) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764000000,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "A"},
            "text": text,
        },
    }


def whatsapp_webhook(*messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {"metadata": {"phone_number_id": PHONE_NUMBER_ID}, "messages": list(messages)},
                    }
                ],
            }
        ],
    }


def wa_text(wamid: str, text: Any = "hello", sender: str = "32470000001") -> dict[str, Any]:
    return {"id": wamid, "from": sender, "timestamp": "1764000000", "type": "text", "text": {"body": text}}


ROUTES = ["/webhooks/telegram", "/webhooks/whatsapp", "/simulator/phones"]


def test_the_depth_scanner_ignores_brackets_inside_strings() -> None:
    assert depth(b'{"a": "[[[{{{\\"[[", "b": [[1]]}') == 3
    assert depth(b"[" * 100_000) == 100_000  # a loop, not recursion


@pytest.mark.parametrize("route", ROUTES)
async def test_json_nested_a_thousand_deep_gets_a_400_and_the_connection_stays_usable(
    service: Service, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    for body in (b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000):
        answer = await service.post(route, body)
        assert answer.status_code == 400, answer.text
    assert (await service.client.get("/healthz")).status_code == 200
    assert tracebacks(caplog) == []


FIELDS = [  # seven wrong-typed fields, each where a string (or object) belongs
    ("telegram", lambda: telegram_update(9001, text=1)),
    ("telegram", lambda: telegram_update(9002, text={"x": 1})),
    ("telegram", lambda: {**telegram_update(9003), "message": {**telegram_update(9003)["message"], "chat": 7}}),
    ("whatsapp", lambda: whatsapp_webhook(wa_text("wamid.T1", text=1))),
    ("whatsapp", lambda: whatsapp_webhook({**wa_text("wamid.T2"), "text": "plain"})),
    ("whatsapp", lambda: whatsapp_webhook({**wa_text("wamid.T3"), "type": 5})),
    ("whatsapp", lambda: whatsapp_webhook({**wa_text("wamid.T4"), "interactive": [1], "type": "interactive"})),
]


@pytest.mark.parametrize(("channel", "make"), FIELDS)
async def test_a_wrong_typed_field_is_refused_or_ignored_with_one_line_and_no_traceback(
    service: Service, channel: str, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = await service.post(f"/webhooks/{channel}", json.dumps(make()).encode())
    assert answer.status_code in (200, 400), answer.text
    assert tracebacks(caplog) == []
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1


async def test_a_lone_surrogate_in_a_signed_message_id_is_stored_replaced_and_spoils_nothing_beside_it(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    bad = json.dumps(whatsapp_webhook(wa_text("wamid.\ud800bad"))).encode()
    assert b"\\ud800" in bad
    innocent = [
        json.dumps(whatsapp_webhook(wa_text(f"wamid.ok{n}", sender=f"3247000{n:04d}"))).encode() for n in range(30)
    ]
    answers = await asyncio.gather(*(service.post("/webhooks/whatsapp", body) for body in [bad, *innocent, bad]))
    assert [a.status_code for a in answers] == [200] * 32
    again = await service.post("/webhooks/whatsapp", bad)  # the redelivery is a repeat, not a 503 forever
    assert again.status_code == 200
    async with service.app.db.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(InboundEventRow))
    assert stored == 31
    assert tracebacks(caplog) == []
    assert any("surrogate" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# -- random hostile bodies ---

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
hostile_strings = st.sampled_from(["\ud800", "x\udfffy", "", "\x00", "=1+1", "🙂"]) | st.text(max_size=10)


def _telegram_body(update_id: int, text: Any, chat: Any) -> bytes:
    update = telegram_update(update_id, text=text)
    update["message"]["chat"] = chat if chat is not None else update["message"]["chat"]
    return json.dumps(update).encode()


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.builds(
        _telegram_body,
        st.integers(1, 10_000),
        json_values | hostile_strings,
        st.none() | json_values,
    ),
    st.builds(
        lambda wamid, text, sender: json.dumps(whatsapp_webhook(wa_text(wamid, text, sender))).encode(),
        hostile_strings.map(lambda s: f"wamid.{s}"),
        json_values | hostile_strings,
        st.sampled_from(["32470000009", "\ud800", ""]),
    ),
)


def test_random_hostile_bodies_never_get_a_5xx_nor_leave_a_traceback(database_url: str, clock: FakeClock) -> None:
    loop = asyncio.new_event_loop()
    app = build_app(settings_for(database_url), clock)
    if app.telegram is not None:
        app.telegram.webhook_secret = TELEGRAM_SECRET
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://service")
    service = Service(app, client)

    async def start() -> None:
        app.inbox.start()

    loop.run_until_complete(start())
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(route=st.sampled_from(ROUTES), body=bodies)
    def post(route: str, body: bytes) -> None:
        answer = loop.run_until_complete(service.post(route, body))
        assert answer.status_code < 500, (route, body[:200], answer.text)

    try:
        post()
    finally:
        logging.getLogger().removeHandler(handler)

        async def stop() -> None:
            await client.aclose()
            await app.inbox.stop()
            await app.db.dispose()

        loop.run_until_complete(stop())
        loop.close()
    assert [r.getMessage() for r in seen if r.exc_info is not None or r.levelno >= logging.ERROR] == []


async def test_an_event_with_unstorable_text_is_stored_replaced_and_spoils_nothing_beside_it(
    service: Service, clock: FakeClock
) -> None:
    """Behind the web layer too (Telegram's long polling parses its own JSON): one unstorable event never fails
    the events beside it."""
    from bot.core.channel import Channel
    from bot.messaging.channel import EventKind, InboundEvent

    def event(key: str, sender: str) -> InboundEvent:
        return InboundEvent(
            channel=Channel.WHATSAPP,
            external_id=sender,
            dedupe_key=key,
            kind=EventKind.TEXT,
            received_at=clock.now(),
            text="hello",
        )

    batch = [
        event("whatsapp:ok1", "32470000101"),
        event("whatsapp:\ud800\x00", "32470000102"),
        event("whatsapp:ok2", "32470000103"),
    ]
    results = await service.app.inbox.process(batch)
    assert [r.handled.value for r in results] == ["processed"] * 3
    assert [r.handled.value for r in await service.app.inbox.process(batch)] == ["duplicate"] * 3
    async with service.app.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(InboundEventRow)) == 3
