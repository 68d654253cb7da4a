"""``trampoline shifts import``: a placement's volunteer shifts from a CSV file, every row or none. The file is
read through ``bot/core/csv_rows.py`` (one ``ShiftRow`` per row); the checks that need the database (is she a
participant, of this coach's caseload; her time zone for the times) follow, with the same error format.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.shifts import LIMITS, ShiftInput, add_shift, parse_moment
from bot.core import csv_rows
from bot.db.models import Person, Role
from bot.people.caseload import require_participant_of
from bot.people.directory import DomainError


class ShiftRow(BaseModel):
    """One row of the shifts file: its columns, in order, and what each allows. The times are read in the
    participant's time zone once she is known (``import_csv``)."""

    participant_id: int = Field(description="the id of a participant (of the coach's caseload, with --coach)")
    place: str = Field(description=f"the placement's name, at most {LIMITS['place']} characters")
    address: str = Field(description=f"its address, at most {LIMITS['address']} characters")
    start: str = Field(
        description="an ISO date and time like 2026-12-01T09:00 (in her time zone unless it has an offset), "
        "still to come"
    )
    end: str = Field(description="an ISO date and time after start")
    contact: str | None = Field(
        description=f"empty or her contact person there, at most {LIMITS['contact']} characters"
    )

    @field_validator("participant_id", mode="before")
    @classmethod
    def _number(cls, value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{value[:20]!r} is not a number") from None

    @field_validator("place", "address", "contact", mode="before")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str | None:
        if not value and info.field_name != "contact":
            raise ValueError("empty")
        if len(value) > LIMITS[str(info.field_name)]:
            raise ValueError(f"longer than {LIMITS[str(info.field_name)]} characters")
        return value or None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _moment(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not an ISO date and time") from None
        return value


async def import_csv(session: AsyncSession, text: str, now: datetime, coach_id: int | None = None) -> list[int]:
    """Every row, or none: the first bad row raises ``DomainError`` as ``line N, column C: what is wrong,
    allowed: ...`` (``bot/core/csv_rows.py``)."""
    try:
        rows = csv_rows.read(text, ShiftRow, what="shifts import", rows_called="shifts")
        parsed = [await _shift_of(session, line, row, now, coach_id) for line, row in rows]
    except csv_rows.RowError as exc:
        raise DomainError(str(exc)) from None
    return [(await add_shift(session, coach_id, shift, now)).id for shift in parsed]


async def _shift_of(session: AsyncSession, line: int, row: ShiftRow, now: datetime, coach_id: int | None) -> ShiftInput:
    """The checks that need the database and her time zone; ``RowError`` names the line and column."""

    def wrong(column: str, problem: str) -> csv_rows.RowError:
        return csv_rows.RowError(line, column, problem, csv_rows.allowed(ShiftRow, column))

    person = await session.get(Person, row.participant_id)
    if person is None or person.role is not Role.PARTICIPANT:
        raise wrong("participant_id", f"{row.participant_id} is not a participant")
    if coach_id is not None:
        try:
            await require_participant_of(session, coach_id, row.participant_id)
        except DomainError as exc:
            raise wrong("participant_id", str(exc)) from None
    starts, ends = parse_moment(row.start, person.timezone), parse_moment(row.end, person.timezone)
    if ends <= starts:
        raise wrong("end", "not after start")
    if starts <= now:
        raise wrong("start", "in the past")
    return ShiftInput(row.participant_id, row.place, row.address, starts, ends, row.contact)
