"""``trampoline people import``: participants from an organisation's own list, as pending participants in
one coach's caseload, each with an invite. They count in the programme from the day they are imported.

Every row is checked before anything is written (``bot/core/csv_rows.py``, one ``ParticipantRow`` per row);
the first bad row stops the import with its line and column, and nothing is imported (the whole import is one
transaction). ``started``, an optional last column, is the day a woman began (months ago, before the bot):
her year counts from then (today when empty or left out).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import milestones
from bot.core import csv_rows
from bot.core.clock import Clock
from bot.core.i18n import SUPPORTED_LOCALES, normalise_locale
from bot.core.timing import WRITTEN_DAY_EXAMPLE, local, read_day
from bot.db.models import Organisation, Person, Profile, Role
from bot.people.directory import CreatedInvite, DomainError, InviteTerms, create_invite

# The values of the onboarding intake (conversations/onboarding.yaml), each with the labels the chat and the
# report print, which a file may use instead; empty means unknown.
AGE_GROUPS: dict[str, tuple[str, ...]] = {"18_24": ("18-24",), "25_40": ("25-40",), "41_plus": ("41+", "41 or older")}
SCHOOLING: dict[str, tuple[str, ...]] = {
    "none": ("No school",),
    "primary": ("Primary school",),
    "secondary": ("Secondary school",),
    "higher": ("Higher education",),
}
# Yes and no as a Belgian organisation writes them: English, Dutch, French.
YES = {"yes", "y", "true", "1", "ja", "j", "oui"}
NO = {"no", "n", "false", "0", "nee", "non"}
MAX_ROWS = csv_rows.MAX_ROWS
NAME_LENGTH = 100
YES_NO = "yes, no (or ja, nee, oui, non, y, j, n, true, false, 1, 0, in any case) or empty"
ONCE = "each woman once (--allow-duplicates to import both)"


def _choices(values: dict[str, tuple[str, ...]]) -> str:
    return f"{', '.join(labels[0] for labels in values.values())} (or {', '.join(values)}) or empty"


class ParticipantRow(BaseModel):
    """One row of the file: its columns, in order, and what each allows; empty is unknown."""

    name: str | None = Field(description=f"empty or a name of at most {NAME_LENGTH} characters")
    locale: str | None = Field(description=f"empty or a language the bot knows: {', '.join(SUPPORTED_LOCALES)}")
    age_group: str | None = Field(description=_choices(AGE_GROUPS))
    children: bool | None = Field(description=YES_NO)
    single_parent: bool | None = Field(description=YES_NO + "; not yes when children is no")
    schooling: str | None = Field(description=_choices(SCHOOLING))
    ever_paid_job: bool | None = Field(description=YES_NO)
    # Optional (a file may leave the column out); not one of the intake's answers, so not in ``model_dump``.
    started: date | None = Field(
        default=None,
        exclude=True,
        description=f"empty (today) or the day she began, like {WRITTEN_DAY_EXAMPLE}, not in the future",
    )

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: str) -> str | None:
        clean = " ".join(value.split()) or None
        if clean is not None and len(clean) > NAME_LENGTH:
            raise ValueError(f"longer than {NAME_LENGTH} characters")
        return clean

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: str) -> str | None:
        try:
            return normalise_locale(value) if value else None
        except ValueError:
            raise ValueError(f"{value!r} is not a language the bot knows") from None

    @field_validator("age_group", mode="before")
    @classmethod
    def _age_group(cls, value: str) -> str | None:
        return _one_of(value, AGE_GROUPS, "an age group")

    @field_validator("schooling", mode="before")
    @classmethod
    def _schooling(cls, value: str) -> str | None:
        return _one_of(value, SCHOOLING, "a schooling level")

    @field_validator("children", "single_parent", "ever_paid_job", mode="before")
    @classmethod
    def _yes_no(cls, value: str) -> bool | None:
        clean = value.lower()
        if not clean:
            return None
        if clean in YES:
            return True
        if clean in NO:
            return False
        raise ValueError(f"{value!r} is not yes or no")

    @field_validator("started", mode="before")
    @classmethod
    def _started(cls, value: str) -> date | None:
        return read_day(value) if value else None

    @field_validator("single_parent")
    @classmethod
    def _with_children(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and info.data.get("children") is False:
            raise ValueError("yes, but children is no")
        return value


HEADER = csv_rows.required(ParticipantRow)  # every file has these; ``started`` may follow
# Two rows for ``trampoline people template``: a file to fill in, with the labels a coach would write.
EXAMPLES = (
    ("Amina", "ar", "25-40", "yes", "no", "Primary school", "no"),
    ("Fatima", "fr", "41+", "no", "", "Secondary school", "yes"),
)


def _one_of(value: str, allowed: dict[str, tuple[str, ...]], what: str) -> str | None:
    """The code of ``value``, given as a code or as one of its labels, in any case and spacing."""
    return csv_rows.one_of(value, allowed, what) if value else None


def _same_name(name: str | None) -> str | None:
    return " ".join(name.split()).casefold() if name else None


def _refuse_twice(rows: list[tuple[int, ParticipantRow]], existing: dict[str, int]) -> None:
    """``DomainError`` for the first name already on an earlier line or in the organisation."""
    seen: dict[str, int] = {}
    for line, row in rows:
        key = _same_name(row.name)
        if key is None:
            continue
        if key in existing:
            problem = f"the same name as person {existing[key]} of this organisation"
        elif key in seen:
            problem = f"the same name as line {seen[key]}"
        else:
            seen[key] = line
            continue
        raise DomainError(str(csv_rows.RowError(line, "name", problem, ONCE)))


def _refuse_future(rows: list[tuple[int, ParticipantRow]], today: date) -> None:
    """``DomainError`` for the first ``started`` after today (in the organisation's time zone) or before 2000."""
    for line, row in rows:
        if row.started is None:
            continue
        problem = "in the future" if row.started > today else "before 2000" if row.started < milestones.EARLIEST else ""
        if problem:
            raise DomainError(
                str(csv_rows.RowError(line, "started", problem, csv_rows.allowed(ParticipantRow, "started")))
            )


async def _participants_by_name(session: AsyncSession, organisation_id: int) -> dict[str, int]:
    found = await session.execute(
        select(Person.display_name, Person.id)
        .where(Person.organisation_id == organisation_id, Person.role == Role.PARTICIPANT)
        .order_by(Person.id)
    )
    named: dict[str, int] = {}
    for name, person_id in found:
        key = _same_name(name)
        if key is not None:
            named.setdefault(key, person_id)
    return named


def parse(content: str) -> list[tuple[int, ParticipantRow]]:
    """Check the whole file: every row with its line, or a ``DomainError`` naming the first bad line and
    column (``line 3, column locale: ...``)."""
    try:
        return csv_rows.read(content, ParticipantRow, what="people import", rows_called="participants")
    except csv_rows.RowError as exc:
        raise DomainError(str(exc)) from None


async def import_participants(
    session: AsyncSession,
    clock: Clock,
    terms: InviteTerms,
    content: str,
    *,
    organisation_id: int,
    coach_id: int,
    allow_duplicates: bool = False,
) -> list[dict[str, Any]]:
    """Import every row or none: call inside one transaction; a ``DomainError`` rolls it all back. The same
    name twice in the file, or a name a participant of the organisation already has, is refused unless
    ``allow_duplicates`` (the file has no phone or birth year to tell two women apart)."""
    rows = parse(content)
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise DomainError(f"no organisation with id {organisation_id}")
    coach = await session.get(Person, coach_id)
    if coach is None or coach.role is not Role.COACH or coach.organisation_id != organisation_id:
        raise DomainError(f"no coach with id {coach_id} in organisation {organisation_id}")
    if not allow_duplicates:
        _refuse_twice(rows, await _participants_by_name(session, organisation_id))
    created: list[dict[str, Any]] = []
    now = clock.now()
    _refuse_future(rows, local(now, organisation.timezone).date())
    for line, row in rows:
        invite: CreatedInvite = await create_invite(
            session,
            clock,
            terms,
            role=Role.PARTICIPANT,
            organisation_id=organisation_id,
            coach_id=coach_id,
            name=row.name,
            locale=row.locale,
        )
        session.add(
            Profile(
                person_id=invite.person_id,
                age_group=row.age_group,
                has_children=row.children,
                single_parent=row.single_parent,
                schooling=row.schooling,
                ever_paid_job=row.ever_paid_job,
                languages=[],
                interests=[],
                availability=[],
                updated_at=now,
            )
        )
        person = await session.get(Person, invite.person_id)
        assert person is not None
        # She counts in the programme from the day she is imported, or from the day the file says she began.
        began = row.started or local(now, person.timezone).date()
        await milestones.start_trajectory(session, person, began, now, coach_id)
        created.append({"line": line, "name": row.name, **invite.as_json()})
    await session.flush()
    return created
