"""Her voice at the end of her year (issue 21 §7): the feedback in the last month of her trajectory and, three
months after the end, how she is now; in her language (English and Arabic, right to left), once each, her
words encrypted, her answer of three months after on her path."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from bot.coaching import milestones
from bot.coaching.year_feedback import ASK_AT, plan_year_questions
from bot.core.clock import FakeClock
from bot.core.timing import at_local
from bot.db.engine import Database
from bot.db.models import Conversation, MilestoneSource, Nudge, Person, YearAnswer
from bot.privacy.export import export_person
from tests.support.programme import Programme

LOCALES = ["en", "ar"]


async def woman(p: Programme, locale: str, started: date) -> tuple[int, Person]:
    amina = await p.participant("Amina", locale, await p.coach())
    async with p.db.transaction() as session:
        person = await session.get(Person, amina)
        assert person is not None
        await milestones.set_start(session, person, started, p.clock.now())
        person.checkin_time = time(17, 30)
    async with p.db.reading() as session:
        found = await session.get(Person, amina)
        assert found is not None
        return amina, found


async def nudges(db: Database, person_id: int) -> list[tuple[str, str]]:
    async with db.reading() as session:
        rows = await session.scalars(select(Nudge).where(Nudge.person_id == person_id).order_by(Nudge.id))
        return [(n.kind, n.due_at.isoformat()) for n in rows if n.kind.startswith("year_")]


@pytest.mark.parametrize("locale", LOCALES)
async def test_in_her_last_month_she_is_asked_about_her_year_once(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    amina, person = await woman(p, locale, date(2026, 1, 10))  # planned end 10 January 2027
    assert await plan_year_questions(db, clock.now()) == 2  # the feedback and the question of three months after
    assert await plan_year_questions(db, clock.now()) == 0
    due = at_local(date(2026, 12, 11), time(17, 30), person.timezone)  # a month before the end, at her time
    assert dict(await nudges(db, amina))["year_feedback"] == due.isoformat()
    clock.set(due)
    await p.tick()
    asked = p.new(amina)
    assert len(asked) == 2 and all(m.right_to_left is (locale == "ar") for m in asked)
    assert ("What helped you most" in asked[1].text) is (locale == "en")
    await p.phone(amina).send("1 3")  # my coach and volunteer work, as numbers (several at once)
    await p.phone(amina).press(1)  # language
    await p.phone(amina).press(1)  # yes, I would tell a friend
    replies = await p.phone(amina).send("Sara helped me find my first job")
    assert ("Thank you for your answers" in replies[-1].text) is (locale == "en")
    async with db.reading() as session:
        [answer] = list(await session.scalars(select(YearAnswer)))
        states = [str(s) for s in await session.scalars(select(Conversation.state))]
        exported = await export_person(session, amina, p.bot.cipher, clock.now())
    assert (answer.kind, answer.helped, answer.hard, answer.recommend) == (
        "feedback",
        ["her_coach", "volunteering"],
        ["language"],
        "yes",
    )
    assert answer.words_ciphertext is not None and "Sara" not in answer.words_ciphertext
    assert p.bot.cipher.decrypt(answer.words_ciphertext) == "Sara helped me find my first job"
    assert all("first job" not in state for state in states)
    assert exported is not None and exported["year_answers"][0]["words"] == "Sara helped me find my first job"
    clock.set(due.replace(day=18))
    assert await plan_year_questions(db, clock.now()) == 0
    await p.tick()
    assert p.new(amina) == []


@pytest.mark.parametrize("locale", LOCALES)
async def test_three_months_after_the_end_her_answer_goes_on_her_path(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    amina, person = await woman(p, locale, date(2025, 11, 1))
    async with db.transaction() as session:
        ended = await session.get(Person, amina)
        assert ended is not None
        await milestones.end_trajectory(session, ended, date(2026, 11, 20), clock.now())  # completed
    assert await plan_year_questions(db, clock.now()) == 1  # no feedback for a year that ended
    due = at_local(date(2027, 2, 20), time(17, 30), person.timezone)
    assert await nudges(db, amina) == [("year_after", due.isoformat())]
    clock.set(due)
    await p.tick()
    [asked] = p.new(amina)
    assert asked.right_to_left is (locale == "ar") and len(asked.buttons) == 4
    await p.phone(amina).press(1)  # I work
    async with db.reading() as session:
        [answer] = list(await session.scalars(select(YearAnswer)))
        path = await milestones.path(session, amina)
    assert (answer.kind, answer.now_doing) == ("after", "work")
    assert [(m.code, m.achieved_on, m.source) for m in path] == [("paid_job", date(2027, 2, 20), MilestoneSource.HER)]


async def test_a_moved_start_asks_at_the_new_time_and_the_old_question_does_nothing(
    db: Database, clock: FakeClock
) -> None:
    p = Programme(db, clock)
    amina, person = await woman(p, "en", date(2026, 1, 10))
    await plan_year_questions(db, clock.now())
    async with db.transaction() as session:
        moved = await session.get(Person, amina)
        assert moved is not None
        await milestones.set_start(session, moved, date(2026, 2, 10), clock.now())  # she began a month later
    assert await plan_year_questions(db, clock.now()) == 2
    clock.set(at_local(date(2026, 12, 11), time(17, 30), person.timezone))
    await p.tick()
    assert p.new(amina) == []  # the question planned for the old end waits for the new one
    clock.set(at_local(date(2027, 1, 11), time(17, 30), person.timezone))
    await p.tick()
    assert len(p.new(amina)) == 2


def test_without_a_checkin_time_she_is_asked_early_in_the_evening() -> None:
    assert time(17, 0) < ASK_AT < time(20, 0)


async def test_never_two_extra_questions_in_one_week(db: Database, clock: FakeClock) -> None:
    """Her monthly question about her steps came this week: the feedback waits a week (issue 21: never more
    than one extra question a week)."""
    from datetime import timedelta

    from bot.coaching.her_steps import MONTH_KIND
    from bot.db.models import NudgeStatus

    p = Programme(db, clock)
    amina, person = await woman(p, "ar", date(2026, 1, 10))
    await plan_year_questions(db, clock.now())
    due = at_local(date(2026, 12, 11), time(17, 30), person.timezone)  # a Friday
    async with db.transaction() as session:
        session.add(
            Nudge(key=f"{MONTH_KIND}:{amina}:test", person_id=amina, kind=MONTH_KIND, due_at=due - timedelta(days=3),
                  status=NudgeStatus.DONE, done_at=due - timedelta(days=3), data={}, created_at=due)
        )  # fmt: skip
    clock.set(due)
    await p.tick()
    assert p.new(amina) == []
    assert ("year_feedback", (due + timedelta(weeks=1)).isoformat()) in await nudges(db, amina)
    clock.set(due + timedelta(weeks=1))
    await p.tick()
    assert len(p.new(amina)) == 2  # the feedback, a week later
