"""``trampoline steps import``: the milestones of her year from a CSV file, every row or none (issue 21). The file
is read through ``bot/core/csv_rows.py`` (one ``StepRow`` per row); the checks that need the database (is she a
participant, of this coach's caseload; her time zone for "not in the future") follow, with the same error
format, and only then is anything written.

The file may be as a spreadsheet writes it: the dates day first (``bot.core.timing.read_day``), the milestone
as its code or its Dutch, French or English label, hours with a decimal comma, her name instead of her id and
the first column headed ``person_id``, ``participant``, ``name`` or ``naam``. ``level`` (a language course)
and ``contract`` (a paid job) are optional last columns (decision 0032).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import milestones
from bot.coaching.milestones import Step
from bot.core import csv_rows
from bot.core.crypto import Cipher
from bot.core.timing import WRITTEN_DAY_EXAMPLE, local, read_day
from bot.db.models import MilestoneSource, Person
from bot.people.caseload import participant_written
from bot.people.directory import DomainError

Wrong = Callable[[str, str], csv_rows.RowError]


def read_hours(value: str) -> float:
    """Hours as people write them: ``2``, ``2.5`` or ``2,5``; ``ValueError`` for anything else."""
    clean = value.strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,4}(\.\d{1,2})?", clean):
        raise ValueError(f"{value[:40]!r} is not a number of hours, write it as 2,5")
    return float(clean)


class StepRow(BaseModel):
    """One row of the milestones file: its columns, in order, and what each allows."""

    person_id: str = Field(
        description="the id of a participant, or her name (of the coach's caseload, with --coach); the column may "
        "be headed person_id, participant, name or naam"
    )
    milestone: str = Field(
        description="a milestone: its code, the code with spaces or its Dutch, French or English label, in any "
        f"case: {milestones.MILESTONES_ALLOWED}"
    )
    date: str = Field(description=f"the day, like {WRITTEN_DAY_EXAMPLE}, 12-12-2026 or 2026-12-12, not in the future")
    hours: float | None = Field(description="empty, or for volunteer_hours only the hours, like 2,5 or 2.5")
    note: str | None = Field(description=f"empty or a short note, at most {milestones.NOTE_LENGTH} characters")
    level: str | None = Field(
        default=None, description=f"empty, or for a language course its level: {', '.join(milestones.LEVELS)}"
    )
    contract: str | None = Field(
        default=None, description=f"empty, or for paid_job the contract kind: {milestones.CONTRACTS_ALLOWED}"
    )

    @field_validator("person_id", mode="before")
    @classmethod
    def _someone(cls, value: str) -> str:
        if not value:
            raise ValueError("empty")
        return value

    @field_validator("milestone", mode="before")
    @classmethod
    def _milestone(cls, value: str) -> str:
        return milestones.milestone_code(value)

    @field_validator("date", mode="before")
    @classmethod
    def _day(cls, value: str) -> str:
        return read_day(value).isoformat()  # its ValueError says how to write it

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: str) -> float | None:
        return read_hours(value) if value else None

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: str) -> str | None:
        clean = " ".join(value.split()) or None
        if clean is not None and len(clean) > milestones.NOTE_LENGTH:
            raise ValueError(f"longer than {milestones.NOTE_LENGTH} characters")
        return clean

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: str) -> str | None:
        return milestones.level_code(value) if value else None

    @field_validator("contract", mode="before")
    @classmethod
    def _contract(cls, value: str) -> str | None:
        return milestones.contract_code(value) if value else None


HEADER = csv_rows.header(StepRow)
REQUIRED = csv_rows.required(StepRow)


def examples(today: date) -> tuple[tuple[str, ...], ...]:
    """Rows for the template, as a coordinator writes them: her name, a Dutch label, the day first, hours with
    a decimal comma; the optional columns filled where they belong."""
    week, month = today - timedelta(days=7), today - timedelta(days=30)
    return (
        ("Amina", "Vrijwilligersuren", f"{week:%d/%m/%Y}", "2,5", "", "", ""),
        ("Fatima", "Taalcursus begonnen", f"{month:%d/%m/%Y}", "", "", "A2", ""),
    )


# The first cell of the header, whichever separator follows it: the participant column's other names.
_PERSON_HEADING = re.compile(
    r'^(\ufeff?\s*)"?\s*(person_id|participant_id|participant|name|naam|deelnemer|nom|participante)\s*"?'
    r"(?=\s*(?:[,;\t]|$))",
    re.I | re.M,
)


def _as_headed(text: str) -> tuple[str, str]:
    """``text`` with its participant column headed ``person_id``, and the heading the file used."""
    found = _PERSON_HEADING.match(text.split("\n", 1)[0])
    if found is None:
        return text, "person_id"
    return _PERSON_HEADING.sub(r"\1person_id", text, count=1), found.group(2).lower()


@dataclass(frozen=True)
class Imported:
    participant_id: int
    milestone_id: int


async def import_csv(
    session: AsyncSession, cipher: Cipher | None, text: str, now: datetime, coach_id: int | None = None
) -> list[Imported]:
    """Every row, or none: the first bad row raises ``DomainError`` as ``line N, column C: what is wrong,
    allowed: ...``. Recorded by ``import`` (and by the coach, with one). A note needs the cipher."""
    text, heading = _as_headed(text)
    try:
        rows = csv_rows.read(text, StepRow, what="steps import", rows_called="milestones")
        checked = [await _checked(session, cipher, line, row, now, coach_id) for line, row in rows]
    except csv_rows.RowError as exc:
        if exc.line > 1 and exc.column == "person_id":  # said in the words of her file
            raise DomainError(str(exc).replace(", column person_id:", f", column {heading}:", 1)) from None
        raise DomainError(str(exc)) from None
    done = []
    for person, step in checked:
        row = await milestones.record(session, cipher, person, step, MilestoneSource.IMPORT, now, coach_id)
        done.append(Imported(person.id, row.id))
    return done


async def _checked(
    session: AsyncSession, cipher: Cipher | None, line: int, row: StepRow, now: datetime, coach_id: int | None
) -> tuple[Person, Step]:
    def wrong(column: str, problem: str) -> csv_rows.RowError:
        return csv_rows.RowError(line, column, problem, csv_rows.allowed(StepRow, column))

    person = await _participant(session, row.person_id, coach_id, wrong)
    step = Step(row.milestone, date.fromisoformat(row.date), row.hours, row.level, row.contract, row.note)
    try:
        milestones.check(step, local(now, person.timezone).date())
    except DomainError as exc:  # "hours: only for volunteer_hours": the field is the column
        column, _, problem = str(exc).partition(": ")
        if column not in StepRow.model_fields:
            column, problem = "milestone", str(exc)
        raise wrong(column, problem) from None
    if step.on > local(now, person.timezone).date():
        raise wrong("date", "in the future")
    if step.note is not None and cipher is None:
        raise wrong("note", "a note needs the encryption key (TRAMPOLINE_ENCRYPTION_KEYS)")
    return person, step


async def _participant(session: AsyncSession, written: str, coach_id: int | None, wrong: Wrong) -> Person:
    """Her, by id or by her one display name (any case), of the coach's caseload when one is given."""
    try:
        return await participant_written(session, written, coach_id)
    except DomainError as exc:
        raise wrong("person_id", str(exc)) from None
