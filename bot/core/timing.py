"""Time in her own time zone: when a weekly moment falls, whether a moment is inside her quiet hours, and
when those end. Times are stored in UTC; these functions convert at the edge with ``zoneinfo``, so daylight
saving changes are handled by the time zone database, not by adding hours."""

from __future__ import annotations

import calendar
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def at_local(day: date, clock_time: time, timezone: str) -> datetime:
    """``clock_time`` on ``day`` in ``timezone``, as UTC. A time that does not exist that day (the hour
    skipped when clocks go forward) comes out one hour later, as a wall clock shows it."""
    # fold=0 (PEP 495): a skipped wall time is read with the offset from before the jump, which lands one
    # hour later on the new clock; a repeated wall time (clocks going back) is its first occurrence.
    return datetime.combine(day, clock_time, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def week_start(moment: datetime, timezone: str) -> date:
    """The Monday of the ISO week that ``moment`` falls in, in her time zone."""
    day = local(moment, timezone).date()
    return day - timedelta(days=day.weekday())


def week_label(day: date) -> str:
    """The ISO week ``day`` falls in, as the programme writes it everywhere: ``2026-W48``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week(moment: datetime, timezone: str) -> str:
    """The ISO week label (``2026-W48``) of ``moment`` in her time zone."""
    return week_label(local(moment, timezone).date())


def in_quiet_hours(moment: datetime, timezone: str, start: time, end: time) -> bool:
    """Whether ``moment`` is inside quiet hours ``start``-``end`` (which may run over midnight)."""
    if start == end:
        return False
    now = local(moment, timezone).time()
    if start < end:
        return start <= now < end
    return now >= start or now < end


def quiet_hours_end(moment: datetime, timezone: str, start: time, end: time) -> datetime:
    """The first moment at or after ``moment`` that is outside quiet hours, in UTC."""
    if not in_quiet_hours(moment, timezone, start, end):
        return moment
    here = local(moment, timezone)
    day = here.date()
    if start > end and here.time() >= start:
        day += timedelta(days=1)  # quiet since this evening: it ends tomorrow morning
    return at_local(day, end, timezone)


def next_local_day(moment: datetime, timezone: str, start_of_day: time) -> datetime:
    """``start_of_day`` on the day after ``moment``'s local day, in UTC."""
    return at_local(local(moment, timezone).date() + timedelta(days=1), start_of_day, timezone)


def local_day_bounds(moment: datetime, timezone: str) -> tuple[datetime, datetime]:
    """Her local calendar day around ``moment``, as a UTC interval [start, end)."""
    day = local(moment, timezone).date()
    return at_local(day, time(0), timezone), at_local(day + timedelta(days=1), time(0), timezone)


def validate_timezone(value: str) -> str:
    """Return ``value`` if it is an IANA time zone name (``Europe/Brussels``), else raise ``ValueError``."""
    name = value.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Brussels") from None
    return name


# A date as a Belgian spreadsheet writes it (the day first, a four-digit year), then a time.
_WRITTEN = re.compile(
    r"(?:(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"|(?P<day2>\d{1,2})(?P<sep>[/-])(?P<month2>\d{1,2})(?P=sep)(?P<year2>\d{4}))"
    r"\s+(?P<hour>\d{1,2})(?::(?P<minute>\d{2})|[uUhH](?P<minute2>\d{2})?)"
)
WRITTEN_EXAMPLE = "12/12/2026 14:00"
_WRITTEN_DAY = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"|(?P<day2>\d{1,2})(?P<sep>[/.-])(?P<month2>\d{1,2})(?P=sep)(?P<year2>\d{4})"
)
WRITTEN_DAY_EXAMPLE = "12/12/2026"


def read_day(value: str) -> date:
    """A date as people write it: ``12/12/2026``, ``12-12-2026`` or ``12.12.2026`` (the day first, as in
    Belgium) or ``2026-12-12``. Anything else is a ``ValueError`` that shows how to write it."""
    refused = ValueError(f"{value[:40]!r} is not a date, write it as {WRITTEN_DAY_EXAMPLE}")
    found = _WRITTEN_DAY.fullmatch(value.strip())
    if found is None:
        raise refused
    part = found.groupdict()
    try:
        return date(
            int(part["year"] or part["year2"]), int(part["month"] or part["month2"]), int(part["day"] or part["day2"])
        )
    except ValueError:
        raise refused from None


def read_moment(value: str) -> datetime:
    """A date and time as people write it: ``2026-12-12``, ``12/12/2026`` or ``12-12-2026`` (the day first,
    as in Belgium), then ``14:00``, ``14u``, ``14h`` or ``14h30``; or the ISO form ``2026-12-12T14:00`` with or
    without an offset. Naive unless the ISO form gave an offset. Anything else (a month first, a date that does
    not exist, no time) is a ``ValueError`` that shows how to write it: never a guess."""
    written = value.strip()
    refused = ValueError(f"{value[:40]!r} is not a date and time, write it as {WRITTEN_EXAMPLE}")
    if (found := _WRITTEN.fullmatch(written)) is not None:
        part = found.groupdict()
        try:
            return datetime(  # noqa: DTZ001 - a wall time; parse_moment puts it in her time zone
                int(part["year"] or part["year2"]),
                int(part["month"] or part["month2"]),
                int(part["day"] or part["day2"]),
                int(part["hour"]),
                int(part["minute"] or part["minute2"] or 0),
            )
        except ValueError:
            raise refused from None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", written):
        try:
            return datetime.fromisoformat(written)
        except ValueError:
            raise refused from None
    raise refused


def plus_months(day: date, months: int) -> date:
    """The same day ``months`` later (or the month's last day: 31 January plus one month is 28 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
