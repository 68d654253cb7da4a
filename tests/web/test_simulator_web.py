"""The web simulator's switch, its clock and its HTTP surface (without a browser): on only with the embedded
default or when asked, bad requests answered with a clear 4xx, phones chatting through the real inbox,
engine and outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.app import App, build_app
from bot.core.clock import FakeClock, OffsetClock
from bot.core.settings import Settings, load_settings
from bot.db.engine import Database
from bot.db.migrate import upgrade

TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"


def test_the_simulator_is_on_only_with_the_embedded_default() -> None:
    assert load_settings().simulator_enabled
    assert not load_settings(TELEGRAM_BOT_TOKEN=TOKEN).simulator_enabled
    postgres = "postgresql://bot@127.0.0.1/trampoline"
    assert not load_settings(TRAMPOLINE_DATABASE_URL=postgres).simulator_enabled
    assert load_settings(TRAMPOLINE_DATABASE_URL=postgres, TRAMPOLINE_SIMULATOR="on").simulator_enabled
    assert not load_settings(TRAMPOLINE_SIMULATOR="off").simulator_enabled


def test_a_bad_simulator_setting_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.settings import SettingsError

    monkeypatch.setenv("TRAMPOLINE_SIMULATOR", "sometimes")
    with pytest.raises(SettingsError, match=r"^TRAMPOLINE_SIMULATOR: "):
        load_settings()


def test_the_offset_clock_follows_real_time_and_only_jumps_forward() -> None:
    base = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    clock = OffsetClock(base)
    assert clock.now() == base.now()
    clock.advance(timedelta(days=2))
    base.advance(timedelta(minutes=5))  # real time goes on underneath
    assert clock.now() == datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    clock.set(datetime(2026, 11, 20, tzinfo=UTC))  # the past: stays put
    assert clock.now() == datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))


def settings_for(db: Database, **more: object) -> Settings:
    return Settings(
        database_url=db.url.render_as_string(hide_password=False),
        encryption_keys=Fernet.generate_key().decode(),
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture
async def running(db: Database) -> AsyncIterator[App]:
    """The demo the simulator plays in (its web app is the service's), its inbox worker started as ``serve``
    starts it; the tests run the dispatcher."""
    clock = OffsetClock(FakeClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC)))
    service = build_app(settings_for(db, simulator=True), demo_clock=clock)
    assert service.demo is not None
    app = service.demo
    await upgrade(app.db)
    app.inbox.start()
    yield app
    await app.inbox.stop()
    await app.db.dispose()
    await service.db.dispose()


def client(app: App) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://test")


async def messages(app: App, web: httpx.AsyncClient, phone: str, after: int = 0) -> dict[str, object]:
    """What the phone received after ``after``, once the dispatcher has sent what is due."""
    await app.dispatcher.dispatch_due()
    answer = (await web.get(f"/simulator/phones/{phone}/messages", params={"after": after})).json()
    assert 'class="msg bot"' in answer["html"], "no message from the bot"
    return dict(answer)


async def test_the_simulator_is_not_served_when_off(db: Database) -> None:
    app = build_app(settings_for(db, simulator=False))
    try:
        async with client(app) as web:
            assert (await web.get("/simulator")).status_code == 404
            assert (await web.post("/simulator/phones", json={"role": "coach", "locale": "en"})).status_code == 404
    finally:
        await app.db.dispose()


async def test_bad_requests_get_a_clear_4xx(running: App) -> None:
    async with client(running) as web:
        page = await web.get("/simulator")
        assert page.status_code == 200 and 'aria-live="polite"' in page.text
        bad_role = await web.post("/simulator/phones", json={"role": "admin", "locale": "en"})
        assert bad_role.status_code == 400 and "role" in bad_role.json()["error"]
        bad_locale = await web.post("/simulator/phones", json={"role": "participant", "locale": "xx"})
        assert bad_locale.status_code == 400 and "language" in bad_locale.json()["error"]
        not_json = await web.post("/simulator/phones", content=b"{", headers={"content-type": "application/json"})
        assert not_json.status_code == 400
        assert (await web.get("/simulator/phones/nope/messages")).status_code == 404
        assert (await web.post("/simulator/phones/nope/text", json={"text": "hi"})).status_code == 404
        phone = (await web.post("/simulator/phones", json={"role": "participant", "locale": "en"})).json()["phone"]
        assert (await web.post(f"/simulator/phones/{phone}/text", json={"text": "   "})).status_code == 400
        assert (await web.post(f"/simulator/phones/{phone}/press", json={"buttons": "x"})).status_code == 400
        assert (await web.post(f"/simulator/phones/{phone}/press", json={"buttons": []})).status_code == 400


async def test_a_phone_chats_through_the_inbox_and_shows_text_escaped_and_right_to_left(running: App) -> None:
    async with client(running) as web:
        started = await web.post("/simulator/phones", json={"role": "participant", "locale": "ar"})
        phone = started.json()["phone"]
        first = await messages(running, web, phone)
        html = str(first["html"])
        assert 'class="msg bot" lang="ar" dir="rtl"' in html
        assert 'value="language|ar"' in html  # her language is offered as a button
        assert (await web.post(f"/simulator/phones/{phone}/text", json={"text": "<b>hi</b>"})).status_code == 200
        later = await messages(running, web, phone, after=int(str(first["after"])))
        assert "&lt;b&gt;hi&lt;/b&gt;" in str(later["html"]) and "<b>hi</b>" not in str(later["html"])
        assert '<p dir="auto">&lt;b&gt;hi' in str(later["html"])  # what she typed keeps its own direction


async def test_fast_forward_says_so_when_nothing_is_planned(running: App) -> None:
    async with client(running) as web:
        before = running.clock.now()
        answer = (await web.post("/simulator/clock/next-nudge")).json()
        assert answer["moved"] is False and running.clock.now() == before
        moved = (await web.post("/simulator/clock/next-hour")).json()
        assert moved["moved"] is True and running.clock.now() == before + timedelta(hours=1)
