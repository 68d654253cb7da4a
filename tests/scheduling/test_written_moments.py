"""A date and time as people write it in a spreadsheet (Belgium: the day first): 2026-12-12, 12/12/2026 or
12-12-2026, with 14:00, 14u, 14h or 14h30; the ISO form too. Anything else is refused with an example."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.core.timing import read_day, read_moment


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2026-12-12 14:00", datetime(2026, 12, 12, 14, 0)),
        ("12/12/2026 14:00", datetime(2026, 12, 12, 14, 0)),
        ("12-12-2026 14:00", datetime(2026, 12, 12, 14, 0)),
        ("3/12/2026 9:05", datetime(2026, 12, 3, 9, 5)),
        ("03/12/2026 14u", datetime(2026, 12, 3, 14, 0)),
        ("03/12/2026 14h", datetime(2026, 12, 3, 14, 0)),
        ("03/12/2026 14h30", datetime(2026, 12, 3, 14, 30)),
        ("03-12-2026 14U30", datetime(2026, 12, 3, 14, 30)),
        ("  2026-12-03   8h ", datetime(2026, 12, 3, 8, 0)),
        ("2026-12-01T09:00", datetime(2026, 12, 1, 9, 0)),
        ("2026-12-01T09:00+01:00", datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-12-01T08:00Z", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_written_date_and_time_is_read_day_first(written: str, meant: datetime) -> None:
    assert read_moment(written) == meant


@pytest.mark.parametrize(
    "written",
    [
        "12/13/2026 14:00",  # month first, or no month 13: refused, never guessed
        "31/11/2026 14:00",  # no 31 November
        "12/12/26 14:00",  # which century
        "12/12/2026",  # no time
        "12/12/2026 25:00",
        "12/12/2026 14h75",
        "1 December",
        "tomorrow",
        "",
        "2026/12/12 14:00",
    ],
)
def test_anything_else_is_refused_with_an_example(written: str) -> None:
    with pytest.raises(ValueError) as raised:
        read_moment(written)
    assert str(raised.value) == f"{written[:40]!r} is not a date and time, write it as 12/12/2026 14:00"


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("12/12/2026", date(2026, 12, 12)),
        ("3/1/2027", date(2027, 1, 3)),
        ("03-01-2027", date(2027, 1, 3)),
        ("03.01.2027", date(2027, 1, 3)),
        (" 2027-01-03 ", date(2027, 1, 3)),
    ],
)
def test_a_day_is_read_day_first(written: str, meant: date) -> None:
    assert read_day(written) == meant


@pytest.mark.parametrize("written", ["31/02/2027", "12/12/26", "2026/12/12", "03/01-2027", "12/12/2026 14:00", ""])
def test_any_other_day_is_refused_with_an_example(written: str) -> None:
    with pytest.raises(ValueError) as raised:
        read_day(written)
    assert str(raised.value) == f"{written[:40]!r} is not a date, write it as 12/12/2026"
