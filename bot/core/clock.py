"""The one source of "now". Everything that reads the time is handed a clock, so tests can travel through
weeks and daylight-saving changes in milliseconds instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> datetime:
        self._now = as_utc(moment)
        return self._now


class OffsetClock:
    """The real time plus an offset that only grows: the web simulator's "fast-forward to the next nudge".
    Used only when the simulator is on; a service with real people never jumps in time."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = timedelta(0)

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._offset += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment``; a moment in the past leaves the clock where it is."""
        return self.advance(max(as_utc(moment) - self.now(), timedelta(0)))


def as_utc(moment: datetime) -> datetime:
    """``moment`` converted to UTC; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone-aware time")
    return moment.astimezone(UTC)
