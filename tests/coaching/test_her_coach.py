"""One answer to "her coach" and "one of this coach's women", wherever it is asked (bot/people/caseload.py):
the first coach assigned and still on, never an ended caseload entry, never another coach's woman."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import CaseloadEntry, Person, PersonStatus
from bot.people.caseload import (
    caseload,
    caseload_ids,
    coach_of,
    coaches_of,
    of_her_coach,
    participant_of,
    require_participant_of,
)
from bot.people.directory import DomainError
from tests.support.harness import Bot


async def test_her_coach_is_the_same_answer_in_every_query(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    amina, _ = await bot.invite(coach="Sara")
    mona = await bot.coach("Mona")
    async with db.transaction() as session:
        session.add(CaseloadEntry(coach_id=mona, participant_id=amina, assigned_at=clock.now()))
    async with db.transaction() as session:
        first = await coach_of(session, amina)
        assert first is not None and first.display_name == "Sara"  # the first assigned, while both are on
        assert [c.display_name for c in await coaches_of(session, amina)] == ["Sara", "Mona"]
        named = await session.scalar(select(of_her_coach("display_name")).where(Person.id == amina))
        assert named == "Sara"
        sara_entry = await session.scalar(select(CaseloadEntry).where(CaseloadEntry.coach_id == first.id))
        assert sara_entry is not None
        sara_entry.ended_at = clock.now()
    async with db.transaction() as session:
        now_coach = await coach_of(session, amina)
        assert now_coach is not None and now_coach.id == mona
        assert [c.id for c in await coaches_of(session, amina)] == [mona]
        assert await session.scalar(select(of_her_coach("display_name")).where(Person.id == amina)) == "Mona"


async def test_a_coach_finds_only_her_own_women(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    amina, _ = await bot.invite(coach="Sara")
    zara, _ = await bot.invite(coach="Mona")
    sara, mona = await bot.coach("Sara"), await bot.coach("Mona")
    async with db.transaction() as session:
        assert [p.id for p in await caseload(session, sara)] == [amina]
        assert list(await session.scalars(caseload_ids(mona))) == [zara]
        assert await participant_of(session, sara, zara) is None
        assert await participant_of(session, sara, sara) is None  # a coach is nobody's participant
        found = await require_participant_of(session, mona, zara)
        assert found.id == zara
        with pytest.raises(DomainError, match=f"participant {zara} is not in the caseload of coach {sara}"):
            await require_participant_of(session, sara, zara)
        woman = await session.get(Person, amina)
        assert woman is not None
        woman.status = PersonStatus.STOPPED
    async with db.transaction() as session:
        assert await caseload(session, sara) == []  # she stopped: no longer offered for a match or a shift
        assert await participant_of(session, sara, amina) is not None  # but still hers to read
