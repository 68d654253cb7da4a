"""``trampoline people import``: participants from an organisation's own list, as pending participants in
one coach's caseload, each with an invite. They count in the programme from the day they are imported.

Every row is checked before anything is written; the first bad row stops the import with its line number and
the field, and nothing is imported (the whole import is one transaction).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import csv_safe
from bot.core.clock import Clock
from bot.core.i18n import normalise_locale
from bot.db.models import Organisation, Person, Profile, Role
from bot.people.directory import CreatedInvite, DomainError, InviteTerms, create_invite

HEADER = ("name", "locale", "age_group", "children", "single_parent", "schooling", "ever_paid_job")
# The values of the onboarding intake (conversations/onboarding.yaml); empty means unknown.
AGE_GROUPS = ("18_24", "25_40", "41_plus")
SCHOOLING = ("none", "primary", "secondary", "higher")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Row:
    line: int
    name: str | None
    locale: str | None
    age_group: str | None
    children: bool | None
    single_parent: bool | None
    schooling: str | None
    ever_paid_job: bool | None


def _yes_no(value: str, line: int, field: str) -> bool | None:
    clean = value.strip().lower()
    if not clean:
        return None
    if clean in YES:
        return True
    if clean in NO:
        return False
    raise DomainError(f"line {line}, field {field}: {value!r} is not yes, no or empty")


def _one_of(value: str, allowed: tuple[str, ...], line: int, field: str) -> str | None:
    clean = value.strip()
    if not clean:
        return None
    if clean not in allowed:
        raise DomainError(f"line {line}, field {field}: {value!r} is not one of {', '.join(allowed)} or empty")
    return clean


def parse(content: str) -> list[Row]:
    """Check the whole file; raise ``DomainError`` naming the first bad line and field."""
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise DomainError("the file is empty; its first line must be: " + ",".join(HEADER)) from None
    if tuple(h.strip().lower() for h in header) != HEADER:
        raise DomainError("line 1: the header must be exactly: " + ",".join(HEADER))
    rows: list[Row] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(HEADER):
            raise DomainError(f"line {line}: {len(values)} fields, expected {len(HEADER)}")
        csv_safe.flag("people import", line, HEADER, values)  # kept as they are, and said
        name, locale, age, children, single, schooling, paid = values
        clean_name = " ".join(name.split()) or None
        if clean_name is not None and len(clean_name) > 100:
            raise DomainError(f"line {line}, field name: longer than 100 characters")
        try:
            clean_locale = normalise_locale(locale) if locale.strip() else None
        except ValueError:
            raise DomainError(f"line {line}, field locale: {locale!r} is not a language the bot knows") from None
        has_children = _yes_no(children, line, "children")
        single_parent = _yes_no(single, line, "single_parent")
        if single_parent and has_children is False:
            raise DomainError(f"line {line}, field single_parent: yes, but children is no")
        rows.append(
            Row(
                line,
                clean_name,
                clean_locale,
                _one_of(age, AGE_GROUPS, line, "age_group"),
                has_children,
                single_parent,
                _one_of(schooling, SCHOOLING, line, "schooling"),
                _yes_no(paid, line, "ever_paid_job"),
            )
        )
        if len(rows) > MAX_ROWS:
            raise DomainError(f"line {line}: more than {MAX_ROWS} participants; split the file")
    if not rows:
        raise DomainError("the file has a header but no participants")
    return rows


async def import_participants(
    session: AsyncSession,
    clock: Clock,
    terms: InviteTerms,
    content: str,
    *,
    organisation_id: int,
    coach_id: int,
) -> list[dict[str, Any]]:
    """Import every row or none: call inside one transaction; a ``DomainError`` rolls it all back."""
    rows = parse(content)
    if await session.get(Organisation, organisation_id) is None:
        raise DomainError(f"no organisation with id {organisation_id}")
    coach = await session.get(Person, coach_id)
    if coach is None or coach.role is not Role.COACH or coach.organisation_id != organisation_id:
        raise DomainError(f"no coach with id {coach_id} in organisation {organisation_id}")
    created: list[dict[str, Any]] = []
    now = clock.now()
    for row in rows:
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
        created.append({"line": row.line, "name": row.name, **invite.as_json()})
    await session.flush()
    return created
