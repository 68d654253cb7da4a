"""Who coaches whom, and where to reach someone: the one place for "a coach's caseload", "is she one of
this coach's participants", "her coach" and "where the bot writes to her first".

A caseload is the active (not ended) caseload entries of a coach. Every coach query elsewhere joins or
filters through ``caseload_ids`` or ``caseloads`` in the query itself, so an id that belongs to another
coach's woman finds nothing (the sixth rule of the house).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ScalarSelect, Select, Subquery, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import CaseloadEntry, ChannelIdentity, Organisation, Person, PersonStatus, Profile, Role
from bot.people.directory import DomainError

# -- a coach's caseload ---


def caseloads(coach_ids: Collection[int]) -> Subquery:
    """(coach_id, participant_id) of the caseloads of ``coach_ids``: for queries over many coaches at once."""
    return (
        select(CaseloadEntry.coach_id, CaseloadEntry.participant_id)
        .where(CaseloadEntry.coach_id.in_(coach_ids), CaseloadEntry.ended_at.is_(None))
        .subquery()
    )


def caseload_ids(coach_id: int) -> Select[int]:
    """The ids of her participants, to filter a query with ``Person.id.in_(caseload_ids(coach_id))``."""
    return select(CaseloadEntry.participant_id).where(
        CaseloadEntry.coach_id == coach_id, CaseloadEntry.ended_at.is_(None)
    )


async def caseload(session: AsyncSession, coach_id: int) -> list[Person]:
    """Her participants who have not stopped, by name."""
    rows = await session.scalars(
        select(Person)
        .where(
            Person.id.in_(caseload_ids(coach_id)),
            Person.role == Role.PARTICIPANT,
            Person.status != PersonStatus.STOPPED,
        )
        .order_by(Person.display_name, Person.id)
    )
    return list(rows)


async def participant_of(session: AsyncSession, coach_id: int, participant_id: int) -> Person | None:
    """The participant ``participant_id`` if she is in this coach's caseload now; None otherwise."""
    return await session.scalar(
        select(Person).where(
            Person.id == participant_id,
            Person.role == Role.PARTICIPANT,
            Person.id.in_(caseload_ids(coach_id)),
        )
    )


async def require_participant_of(session: AsyncSession, coach_id: int, participant_id: int) -> Person:
    """Like ``participant_of``, but a participant outside her caseload is a ``DomainError`` (one line)."""
    person = await participant_of(session, coach_id, participant_id)
    if person is None:
        raise DomainError(f"participant {participant_id} is not in the caseload of coach {coach_id}")
    return person


async def participant_written(session: AsyncSession, written: str, coach_id: int | None = None) -> Person:
    """The participant a spreadsheet names: by her id, or by her one display name (any case); of the coach's
    caseload when one is given. A ``DomainError`` says why not in a file's words (an import names the line and
    column around it)."""
    if written.isdigit():
        found = await session.get(Person, int(written))
        if found is None or found.role is not Role.PARTICIPANT:
            raise DomainError(f"{written} is not a participant")
        if coach_id is not None:
            await require_participant_of(session, coach_id, found.id)
        return found
    query = select(Person).where(
        Person.role == Role.PARTICIPANT, func.lower(Person.display_name) == written.strip().lower()
    )
    if coach_id is not None:
        query = query.where(Person.id.in_(caseload_ids(coach_id)))
    named = list((await session.scalars(query.order_by(Person.id))).all())
    if not named:
        whose = "participant of this coach's caseload" if coach_id is not None else "participant"
        raise DomainError(f"no {whose} is called {written[:40]!r}")
    if len(named) > 1:
        ids = ", ".join(str(person.id) for person in named[:-1])
        raise DomainError(f"{written[:40]!r} is {ids} or {named[-1].id}; write her id")
    return named[0]


# -- her coach ---


def _her_coaches(what: Any, coach: Any, participant_id: Any) -> Select[Any]:
    """``what`` of her current coaches (``coach`` is ``Person`` or an alias of it), the first assigned first."""
    return (
        select(what)
        .select_from(coach)
        .join(CaseloadEntry, CaseloadEntry.coach_id == coach.id)
        .where(CaseloadEntry.participant_id == participant_id, CaseloadEntry.ended_at.is_(None))
        .order_by(CaseloadEntry.id)
    )


async def coach_of(session: AsyncSession, participant_id: int) -> Person | None:
    """Her coach (the first assigned, should she have several), or None."""
    coach: Person | None = await session.scalar(_her_coaches(Person, Person, participant_id).limit(1))
    return coach


async def coaches_of(session: AsyncSession, participant_id: int) -> list[Person]:
    """Every current coach of hers, the first assigned first (her data export names them all)."""
    return list(await session.scalars(_her_coaches(Person, Person, participant_id)))


def of_her_coach(column: str) -> ScalarSelect[Any]:
    """``column`` (``display_name``, ``grammatical_gender``) of the coach of the ``Person`` of the enclosing
    query, as a correlated subquery: the same coach as ``coach_of``."""
    coach = aliased(Person)
    return _her_coaches(getattr(coach, column), coach, Person.id).limit(1).scalar_subquery()


def contexts_of(people: Sequence[int]) -> Select[int, str | None, str | None, Profile | None, str | None]:
    """For each of ``people``: her id, her organisation's name, her coach's name, her profile and the coach's
    grammatical gender (what every text of hers is rendered with)."""
    return (
        select(Person.id, Organisation.name, of_her_coach("display_name"), Profile, of_her_coach("grammatical_gender"))
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Profile, Profile.person_id == Person.id)
        .where(Person.id.in_(people))
    )


# -- where to reach someone ---


async def reachable_identity(session: AsyncSession, person_id: int) -> ChannelIdentity | None:
    """Where the bot writes to someone first: the channel she used last, not one she blocked."""
    return await session.scalar(
        select(ChannelIdentity)
        .where(ChannelIdentity.person_id == person_id, ChannelIdentity.blocked_at.is_(None))
        .order_by(ChannelIdentity.last_inbound_at.desc().nulls_last(), ChannelIdentity.id.desc())
        .limit(1)
    )
