"""Her time zone, quiet hours and daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.core.timing import at_local, in_quiet_hours, iso_week, local_day_bounds, quiet_hours_end

NIGHT = (time(21, 0), time(8, 0))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_weekly_time_keeps_its_wall_clock_across_daylight_saving() -> None:
    before = at_local(date(2026, 10, 19), time(10, 0), "Europe/Brussels")  # summer time
    after = at_local(date(2026, 10, 26), time(10, 0), "Europe/Brussels")  # winter time
    assert before == utc(2026, 10, 19, 8, 0)
    assert after == utc(2026, 10, 26, 9, 0)


def test_a_skipped_hour_lands_after_the_jump_and_a_repeated_one_on_its_first_time() -> None:
    assert at_local(date(2026, 3, 29), time(2, 30), "Europe/Brussels") == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert at_local(date(2026, 10, 25), time(2, 30), "Europe/Brussels") == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("moment", "zone", "quiet"),
    [
        (utc(2026, 11, 23, 21, 30), "Europe/Brussels", True),  # 22:30 local
        (utc(2026, 11, 23, 6, 59), "Europe/Brussels", True),  # 07:59 local
        (utc(2026, 11, 23, 7, 0), "Europe/Brussels", False),  # 08:00 local
        (utc(2026, 11, 23, 19, 59), "Europe/Brussels", False),  # 20:59 local
        (utc(2026, 11, 23, 16, 30), "Asia/Kabul", True),  # 21:00 in Kabul (+04:30)
        (utc(2026, 11, 23, 16, 29), "Asia/Kabul", False),
    ],
)
def test_quiet_hours_over_midnight(moment: datetime, zone: str, quiet: bool) -> None:
    assert in_quiet_hours(moment, zone, *NIGHT) is quiet


def test_quiet_hours_end_next_morning_or_this_morning() -> None:
    evening = utc(2026, 11, 23, 21, 30)  # 22:30 in Brussels
    assert quiet_hours_end(evening, "Europe/Brussels", *NIGHT) == utc(2026, 11, 24, 7, 0)
    early = utc(2026, 11, 24, 2, 0)  # 03:00
    assert quiet_hours_end(early, "Europe/Brussels", *NIGHT) == utc(2026, 11, 24, 7, 0)
    day = utc(2026, 11, 24, 12, 0)
    assert quiet_hours_end(day, "Europe/Brussels", *NIGHT) == day


def test_quiet_hours_end_on_the_night_clocks_go_back() -> None:
    # 22:00 on Saturday 24 October (summer time) -> 08:00 on Sunday, which is winter time.
    assert quiet_hours_end(utc(2026, 10, 24, 20, 0), "Europe/Brussels", *NIGHT) == utc(2026, 10, 25, 7, 0)


def test_daytime_quiet_hours_and_none() -> None:
    assert in_quiet_hours(utc(2026, 11, 23, 12, 0), "UTC", time(12, 0), time(14, 0))
    assert not in_quiet_hours(utc(2026, 11, 23, 12, 0), "UTC", time(9, 0), time(9, 0))


def test_weeks_and_days_are_hers() -> None:
    sunday_night_utc = utc(2026, 11, 29, 23, 30)  # already Monday in Brussels
    assert iso_week(sunday_night_utc, "UTC") == "2026-W48"
    assert iso_week(sunday_night_utc, "Europe/Brussels") == "2026-W49"
    start, end = local_day_bounds(utc(2026, 10, 25, 12, 0), "Europe/Brussels")
    assert (start, end) == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0))  # a 25-hour day
