"""Bad and hostile input: floods, over-long text, control and bidi-override characters, random events at the
interpreter and random bodies at every webhook."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import build_app
from bot.conversation.interpreter import Interpreter, Outcome, Reply
from bot.conversation.profile import context_for
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.db.models import CheckIn, Person, PersonStatus, Role
from bot.messaging.inbound import MAX_INBOUND_TEXT, FloodGate, Verdict, neutralise
from tests.support.harness import TEST_KEY, Bot, conversations, texts
from tests.support.privacy import linked

RLO, LRI, PDI, ZWJ = "\u202e", "\u2066", "\u2069", "\u200d"


def test_neutralise_removes_overrides_and_controls_and_keeps_joiners() -> None:
    assert neutralise(f"pay {RLO}gnp.exe{PDI}\x00\x07 now") == "pay gnp.exe   now"
    assert neutralise(f"{LRI}a\nb\tc{PDI}") == "a\nb\tc"
    assert neutralise(f"می{ZWJ}خواهم") == f"می{ZWJ}خواهم"  # Persian needs the joiner
    assert len(neutralise("x" * 50_000)) == MAX_INBOUND_TEXT


async def test_a_long_hostile_note_is_cut_and_cleaned_before_it_is_stored(bot: Bot) -> None:
    her = await linked(bot, "tg-120000001")
    await her.phone.send("check-in")
    for answer in ("4", "1", "nothing"):
        await her.phone.send(answer)
    await her.phone.send(f"{RLO}evil" + "y" * 20_000)
    async with bot.db.reading() as session:
        token = await session.scalar(select(CheckIn.note_ciphertext))
    assert token is not None
    note = bot.cipher.decrypt(token)
    assert RLO not in note and note.startswith("evil") and len(note) <= MAX_INBOUND_TEXT


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_flood_is_answered_once_then_ignored_until_it_calms(bot: Bot, locale: str) -> None:
    bot.service.flood = FloodGate(exempt=frozenset())  # as on Telegram and WhatsApp
    her = await linked(bot, "tg-120000002", locale=locale)
    answered = []
    for number in range(40):
        answered.append(await her.phone.send(f"hello {number}"))
    kind_line = bot.language(locale).gettext(bot.flows.texts["flood_slow_down"])  # type: ignore[arg-type]
    warnings = [replies for replies in answered if any(m.text == kind_line for m in replies)]
    assert len(warnings) == 1
    assert warnings[0][0].right_to_left is (locale == "ar")
    assert answered[-1] == []  # ignored while it goes on
    bot.clock.advance(timedelta(minutes=2))
    assert await her.phone.send("menu")  # calm again: answered


def test_the_flood_gate_state_is_bounded() -> None:
    gate = FloodGate(burst=2, refill_seconds=10, max_tracked=100)
    now = datetime(2026, 11, 27, tzinfo=UTC)
    for key in range(1000):
        gate.check(key, now)
    assert len(gate) == 100
    assert [gate.check("x", now) for _ in range(4)] == [Verdict.OK, Verdict.OK, Verdict.WARN, Verdict.IGNORE]
    assert gate.check("x", now + timedelta(seconds=5)) is Verdict.IGNORE  # not calm yet
    assert gate.check("x", now + timedelta(seconds=60)) is Verdict.OK


# -- random events at the pure interpreter ---

FLOWS, CATALOGS = conversations()
INTERPRETER = Interpreter(FLOWS)
PERSON = Person(
    id=1,
    role=Role.PARTICIPANT,
    display_name="Amina",
    locale="en",
    timezone="Europe/Brussels",
    status=PersonStatus.ACTIVE,
    quiet_start=time(22),
    quiet_end=time(7),
)
CONTEXT = context_for(PERSON, None, organisation="Foyer", coach="Sara", language_hint="en")


def _button_ids(flow: str, step: str | None) -> list[str]:
    if step is None:
        return []
    found = FLOWS.flow(flow).step(step)
    try:
        return [f"{step}|{c.value}" for c in FLOWS.choices(found, {})]
    except Exception:
        return []


replies = st.one_of(
    st.builds(Reply, text=st.text(max_size=300)),
    st.builds(Reply, text=st.sampled_from(["1", "2", "0", "99", "yes", "no", "1 3", "skip", "", " ", "/stop"])),
    st.builds(Reply, choice=st.text(max_size=70)),
    st.builds(Reply, choices=st.lists(st.text(max_size=20), max_size=5).map(tuple)),
    st.builds(Reply, media_kind=st.sampled_from(["voice", "photo", "audio", "x"]), media_ref=st.text(max_size=40)),
    st.just(Reply()),
)


def _settled(flow: str, outcome: Outcome) -> Outcome:
    """Where the service would be after running a ``wait`` action step's actions (no results here)."""
    for _ in range(20):
        if not outcome.continue_after_actions or outcome.step is None:
            break
        outcome = INTERPRETER.proceed(flow, outcome.step, outcome.state, CONTEXT)
    return outcome


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow=st.sampled_from(sorted(FLOWS.flows)), moves=st.lists(st.tuples(replies, st.integers(0, 30)), max_size=12))
def test_random_events_never_break_the_interpreter(flow: str, moves: list[tuple[Reply, int]]) -> None:
    tr = CATALOGS.translations("en")
    outcome = _settled(flow, INTERPRETER.start(flow, CONTEXT))
    state, step = outcome.state, outcome.step
    for reply, pick in moves:
        if step is None:
            break
        buttons = _button_ids(flow, step)
        if buttons and pick < len(buttons):
            reply = Reply(choice=buttons[pick])  # sometimes a real button
        outcome = _settled(flow, INTERPRETER.resume(flow, step, state, reply, CONTEXT, tr))
        json.dumps(outcome.state)  # always storable
        if outcome.step is not None:
            FLOWS.flow(flow).step(outcome.step)  # a real step
        state, step = outcome.state, outcome.step


# -- random bodies at every webhook ---

TELEGRAM_SECRET = "hook-secret"
APP_SECRET = "whatsapp-app-secret"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
shaped = st.fixed_dictionaries(
    {"update_id": st.integers(), "object": st.just("whatsapp_business_account")},
    optional={
        "message": st.dictionaries(
            st.sampled_from(["text", "chat", "from", "message_id", "date", "voice"]), json_values
        ),
        "callback_query": st.dictionaries(st.sampled_from(["id", "data", "from", "message"]), json_values),
        "entry": st.lists(st.dictionaries(st.sampled_from(["id", "changes"]), json_values), max_size=3),
    },
)
bodies = st.one_of(
    st.binary(max_size=500),
    json_values.map(lambda v: json.dumps(v).encode()),
    shaped.map(lambda v: json.dumps(v).encode()),
)


def test_random_bodies_at_every_webhook_never_get_a_500(database_url: str, clock: FakeClock) -> None:
    app = build_app(
        Settings(
            database_url=database_url,
            telegram_bot_token="123456:AAFakeTokenForTestsOnly_abcdefghij",
            telegram_webhook_secret=TELEGRAM_SECRET,
            whatsapp_phone_number_id="1234567890",
            whatsapp_access_token="whatsapp-token",
            whatsapp_app_secret=APP_SECRET,
            whatsapp_verify_token="verify",
            encryption_keys=TEST_KEY,
        ),
        clock,
    )
    if app.telegram is not None:
        app.telegram.webhook_secret = TELEGRAM_SECRET
    routes = sorted(
        {route.path for route in app.web.routes if getattr(route, "path", "").startswith("/webhooks/")}  # type: ignore[attr-defined]
    )
    assert "/webhooks/telegram" in routes
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://test")

    async def start() -> None:
        app.inbox.start()

    loop.run_until_complete(start())

    def headers(route: str, body: bytes, signed: bool) -> dict[str, str]:
        if not signed:
            return {}
        if route.endswith("telegram"):
            return {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return {"x-hub-signature-256": f"sha256={digest}"}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(route=st.sampled_from(routes), body=bodies, signed=st.booleans())
    def post(route: str, body: bytes, signed: bool) -> None:
        response = loop.run_until_complete(client.post(route, content=body, headers=headers(route, body, signed)))
        assert response.status_code < 500 or response.status_code == 503, (route, body, response.text)
        assert response.status_code != 500

    try:
        post()
        # An oversized body is refused before it is read.
        for route in routes:
            big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
            response = loop.run_until_complete(client.post(route, content=big, headers=headers(route, big, True)))
            assert response.status_code == 413
    finally:

        async def stop() -> None:
            await client.aclose()
            await app.inbox.stop()
            await app.db.dispose()

        loop.run_until_complete(stop())
        loop.close()


def _unused(*_: Any) -> None:  # keep imports honest for linters
    _ = texts
