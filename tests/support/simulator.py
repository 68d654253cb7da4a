"""The web simulator without a browser: the demo app as ``build_app`` builds it with the simulator on (its own
database and clock, decision 0027), its inbox worker started as ``serve`` starts it (the tests run the
dispatcher), and an HTTP client that keeps its cookies like one browser. A test module imports the fixture
``running`` (``running_simulator``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.app import App, build_app
from bot.core.clock import FakeClock, OffsetClock
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.migrate import upgrade


def settings_for(db: Database, **more: object) -> Settings:
    return Settings(
        database_url=db.url.render_as_string(hide_password=False),
        encryption_keys=Fernet.generate_key().decode(),
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture(name="running")
async def running_simulator(db: Database) -> AsyncIterator[App]:
    """The demo the simulator plays in (decision 0027: its own database and clock; its web app is the
    service's), its inbox worker started as ``serve`` starts it; the tests run the dispatcher."""
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
    """One browser: its cookies are its phones' sessions."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://test")
