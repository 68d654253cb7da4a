"""``trampoline shifts import``: a placement's volunteer shifts from a CSV file, every row or none. The file is
read through ``bot/core/csv_rows.py`` (one ``ShiftRow`` per row); the checks that need the database (is she a
participant, of this coach's caseload; her time zone for the times) follow, with the same error format.

The file may be as a spreadsheet writes it: the dates day first (``bot.core.timing.read_moment``), her name
instead of her id, and the first column headed ``participant``, ``participant_id`` or ``name`` (in Dutch or French too:
``naam``, ``deelnemer``, ``nom``, ``participante``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.shifts import LIMITS, ShiftInput, add_shift, parse_moment
from bot.core import csv_rows
from bot.core.timing import read_moment
from bot.people.caseload import participant_written
from bot.people.directory import DomainError


class ShiftRow(BaseModel):
    """One row of the shifts file: its columns, in order, and what each allows. The times are read in the
    participant's time zone once she is known (``import_csv``)."""

    participant_id: str = Field(
        description="the id of a participant, or her name (of the coach's caseload, with --coach); the column may "
        "be headed participant, participant_id or name"
    )
    place: str = Field(description=f"the placement's name, at most {LIMITS['place']} characters")
    address: str = Field(description=f"its address, at most {LIMITS['address']} characters")
    start: str = Field(
        description="a date and time like 12/12/2026 14:00, 12-12-2026 14u, 2026-12-12 14h30 or 2026-12-12T14:00, "
        "the day first (in her time zone unless it has an offset), still to come"
    )
    end: str = Field(description="a date and time like start, after start")
    contact: str | None = Field(
        description=f"empty or her contact person there, at most {LIMITS['contact']} characters"
    )

    @field_validator("participant_id", mode="before")
    @classmethod
    def _someone(cls, value: str) -> str:
        if not value:
            raise ValueError("empty")
        return value

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
        read_moment(value)  # its ValueError says what is wrong and how to write it
        return value


HEADER = csv_rows.header(ShiftRow)


def examples(today: date) -> tuple[tuple[str, ...], ...]:
    """Two rows for the template, as a coordinator writes them: her name, the day first, a month ahead."""
    first, second = today + timedelta(days=30), today + timedelta(days=37)
    return (
        ("Amina", "Kringwinkel Gent", "Sint-Pietersnieuwstraat 5, 9000 Gent", f"{first:%d/%m/%Y} 14:00",
         f"{first:%d/%m/%Y} 17:00", "Els"),
        ("Fatima", "Oxfam Solidariteit", "Ravensteinstraat 10, 1000 Brussel", f"{second:%d/%m/%Y} 09u30",
         f"{second:%d/%m/%Y} 12u30", ""),
    )  # fmt: skip


# The first cell of the header, whichever separator follows it: the participant column's other names.
_PARTICIPANT_HEADING = re.compile(
    r'^(\ufeff?\s*)"?\s*(participant_id|participant|name|naam|deelnemer|nom|participante)\s*"?(?=\s*(?:[,;\t]|$))',
    re.I | re.M,
)


def _as_headed(text: str) -> tuple[str, str]:
    """``text`` with its participant column headed ``participant_id``, and the heading the file used."""
    first_line = text.split("\n", 1)[0]
    found = _PARTICIPANT_HEADING.match(first_line)
    if found is None:
        return text, "participant_id"
    return _PARTICIPANT_HEADING.sub(r"\1participant_id", text, count=1), found.group(2).lower()


async def import_csv(session: AsyncSession, text: str, now: datetime, coach_id: int | None = None) -> list[int]:
    """Every row, or none: the first bad row raises ``DomainError`` as ``line N, column C: what is wrong,
    allowed: ...`` (``bot/core/csv_rows.py``)."""
    text, heading = _as_headed(text)
    try:
        rows = csv_rows.read(text, ShiftRow, what="shifts import", rows_called="shifts")
        parsed = [await _shift_of(session, line, row, now, coach_id) for line, row in rows]
    except csv_rows.RowError as exc:
        if exc.line > 1 and exc.column == "participant_id":  # said in the words of her file
            raise DomainError(str(exc).replace(", column participant_id:", f", column {heading}:", 1)) from None
        raise DomainError(str(exc)) from None
    return [(await add_shift(session, coach_id, shift, now)).id for shift in parsed]


async def _shift_of(session: AsyncSession, line: int, row: ShiftRow, now: datetime, coach_id: int | None) -> ShiftInput:
    """The checks that need the database and her time zone; ``RowError`` names the line and column."""

    def wrong(column: str, problem: str) -> csv_rows.RowError:
        return csv_rows.RowError(line, column, problem, csv_rows.allowed(ShiftRow, column))

    try:
        person = await participant_written(session, row.participant_id, coach_id)
    except DomainError as exc:
        raise wrong("participant_id", str(exc)) from None
    starts, ends = parse_moment(row.start, person.timezone), parse_moment(row.end, person.timezone)
    if ends <= starts:
        raise wrong("end", "not after start")
    if starts <= now:
        raise wrong("start", "in the past")
    return ShiftInput(person.id, row.place, row.address, starts, ends, row.contact)
