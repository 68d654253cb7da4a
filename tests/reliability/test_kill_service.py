"""Drill: the service is killed with SIGKILL in the middle of a burst of Telegram webhook updates. Telegram
delivers again whatever was not answered 200; after a restart every update is handled exactly once and
every conversation is at the right step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.telegram import TelegramEmulator
from tests.support.databases import BACKENDS, create_postgres_database, drop_postgres_database
from tests.support.drill import (
    RedeliveringPlatform,
    Service,
    assert_each_update_handled_once,
    assert_nothing_sent_twice,
    checkin_updates,
    participants,
)
from tests.support.service import telegram_in_thread  # noqa: F401  (the fixture `telegram`)

USERS = 20


@pytest.fixture(params=BACKENDS)
def drill_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'trampoline.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def test_kill_9_during_a_webhook_burst_loses_nothing_and_doubles_nothing(
    drill_database_url: str,
    telegram: TelegramEmulator,
    tmp_path: Path,
) -> None:
    users = [telegram.user(user_id=7000 + n, first_name=f"P{n}") for n in range(USERS)]
    people = participants(drill_database_url, users)
    chats = checkin_updates(users)
    service = Service(drill_database_url, telegram, tmp_path)
    platform = RedeliveringPlatform(telegram, chats)
    try:
        service.start()
        platform.start()
        platform.wait_until(platform.total * 2 // 5)
        service.kill()
        killed_at = platform.answered
        assert killed_at < platform.total  # it died in the middle of the burst
        service.start()
        platform.finish()
    finally:
        platform.close()
        service.stop()
    assert sum(n for status, n in platform.statuses.items() if status != 200) > 0, platform.statuses
    assert_each_update_handled_once(drill_database_url, chats, people)
    assert_nothing_sent_twice(telegram, users)
    assert "Traceback" not in service.log()
