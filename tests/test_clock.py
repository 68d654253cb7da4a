from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.clock import FakeClock, SystemClock, as_utc


def test_system_clock_is_timezone_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(timedelta(days=7))
    assert clock.now() == datetime(2026, 4, 4, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))


def test_fake_clock_keeps_utc_whatever_zone_it_is_given() -> None:
    brussels_summer = timezone(timedelta(hours=2))
    clock = FakeClock(datetime(2026, 7, 1, 10, 0, tzinfo=brussels_summer))
    assert clock.now() == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_naive_times_are_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2026, 1, 1, 9, 0))
    with pytest.raises(ValueError, match="naive"):
        FakeClock(datetime(2026, 1, 1, 9, 0))
