"""Fixtures every test folder may use (loaded by tests/conftest.py): the bot as ``build_app`` builds it."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.db.engine import Database
from tests.support.harness import Bot


@pytest.fixture
def bot(db: Database, clock: FakeClock) -> Bot:
    return Bot(db, clock)
