"""Queries about her coach (the coach of her open caseload entry) that the engine needs: her coach as a
column of a larger query, the context every text of hers is rendered with, and her coach for an alert.
They belong with the other caseload queries of ``bot/people/`` and move there once that module exists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ScalarSelect, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import CaseloadEntry, Organisation, Person, Profile


def of_her_coach(column: str) -> ScalarSelect[str]:
    """``column`` (``display_name``, ``grammatical_gender``) of the coach of the ``Person`` of the enclosing
    query (correlated)."""
    coach = aliased(Person)
    return (
        select(getattr(coach, column))
        .join(CaseloadEntry, CaseloadEntry.coach_id == coach.id)
        .where(CaseloadEntry.participant_id == Person.id, CaseloadEntry.ended_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )


def contexts(people: Sequence[int]) -> Select[int, str | None, str | None, Profile | None, str | None]:
    """For each of ``people``: her id, her organisation's name, her coach's name, her profile and the coach's
    grammatical gender."""
    return (
        select(Person.id, Organisation.name, of_her_coach("display_name"), Profile, of_her_coach("grammatical_gender"))
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Profile, Profile.person_id == Person.id)
        .where(Person.id.in_(people))
    )


async def her_coach(session: AsyncSession, participant_id: int) -> Person | None:
    """The coach of her open caseload entry, if she has one."""
    return await session.scalar(
        select(Person)
        .join(CaseloadEntry, CaseloadEntry.coach_id == Person.id)
        .where(CaseloadEntry.participant_id == participant_id, CaseloadEntry.ended_at.is_(None))
        .limit(1)
    )
