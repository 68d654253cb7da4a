"""Her year (issue 21 §1-2): a trajectory that starts at onboarding or import, milestones written as people
write them, her first attended shift as a milestone, notes encrypted, all in ``export`` and gone at ``forget``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.coaching import milestones, shifts
from bot.coaching.milestones import Step
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Milestone, MilestoneSource, Person, Role, Trajectory, TrajectoryStatus
from bot.people.directory import DomainError, add_organisation, create_invite
from bot.privacy.erasure import Reason, erase_person
from bot.privacy.export import export_person
from tests.support.harness import Bot
from tests.support.programme import Programme


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("paid_job", "paid_job"),
        ("paid job", "paid_job"),
        ("Paid-Job", "paid_job"),
        ("Betaald werk", "paid_job"),
        ("emploi rémunéré", "paid_job"),
        ("EMPLOI REMUNERE", "paid_job"),
        ("cv klaar", "cv_ready"),
        ("Taalcursus begonnen", "language_course_started"),
        ("first shift", "first_shift"),
        (" Sollicitatiegesprek ", "job_interview"),
    ],
)
def test_a_milestone_is_read_as_written(written: str, code: str) -> None:
    assert milestones.milestone_code(written) == code


@pytest.mark.parametrize("written", ["job", "werk", "", "paid jobs"])
def test_anything_else_is_not_a_milestone(written: str) -> None:
    with pytest.raises(ValueError, match="is not a milestone"):
        milestones.milestone_code(written)


def test_contracts_and_reasons_in_the_staffs_words() -> None:
    assert milestones.contract_code("Artikel 60") == "social_economy"
    assert milestones.contract_code("temps partiel") == "part_time"
    assert milestones.left_reason_code("werk gevonden") == "found_work"
    assert milestones.level_code(" a2 ") == "A2"


async def test_onboarding_starts_her_year_with_her_coach(bot: Bot) -> None:
    person_id, code = await bot.invite()
    phone = bot.phone(language_hint="en")
    await phone.send(f"/start {code}")
    await phone.press("English")
    await phone.press("Yes")
    await phone.send("Amina")
    for _ in ("age", "children"):
        await phone.press("Skip")
    await phone.press("Secondary")
    await phone.send("yes")
    for _ in ("languages", "level", "interests", "availability"):
        await phone.press("Skip")
    await phone.press("Wednesday")
    await phone.press("Evening")
    replies = await phone.press("22:00")
    assert "All done, Amina!" in replies[-1].text
    async with bot.db.reading() as session:
        trajectory = await milestones.trajectory_of(session, person_id)
        coach = await bot.coach("Sara")
    assert trajectory is not None
    today = bot.clock.now().date()
    assert (trajectory.started_on, trajectory.planned_end_on) == (today, today.replace(year=today.year + 1))
    assert (trajectory.status, trajectory.coach_id) == (TrajectoryStatus.ACTIVE, coach)


async def test_her_first_attended_shift_is_her_first_milestone_once(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    amina = await p.participant("Amina", "ar", coach)
    start = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    async with db.transaction() as session:
        for days in (0, 7):
            entry = shifts.ShiftInput(amina, "Kringwinkel", "Rue Haute 5", start + timedelta(days=days),
                                      start + timedelta(days=days, hours=3))  # fmt: skip
            await shifts.add_shift(session, coach, entry, clock.now())
    for days in (0, 7):
        clock.set(start + timedelta(days=days, hours=4))
        await p.tick()
        await p.phone(amina).press(1)  # yes, I went
        await p.phone(amina).press(1)  # good
        await p.phone(amina).press(1)  # no note
    async with db.reading() as session:
        found = await milestones.path(session, amina)
        minutes = await milestones.volunteer_minutes(session, amina)
    assert [(m.code, m.achieved_on, m.source) for m in found] == [
        ("first_shift", date(2026, 11, 25), MilestoneSource.BOT)
    ]
    assert minutes == 6 * 60


async def test_a_milestone_is_checked_and_its_note_encrypted(bot: Bot) -> None:
    p = Programme(bot.db, bot.clock)
    coach = await p.coach()
    amina = await p.participant("Amina", "ti", coach)
    today = bot.clock.now().date()
    async with bot.db.transaction() as session:
        person = await session.get(Person, amina)
        assert person is not None
        for wrong, problem in (
            (Step("paid_job", today, hours=3), "hours: only for volunteer_hours"),
            (Step("volunteer_hours", today), "hours: volunteer_hours needs"),
            (Step("cv_ready", today, level="B1"), "level: only for a language course"),
            (Step("cv_ready", today + timedelta(days=3)), "date: in the future"),
            (Step("paid_job", today, contract="forever"), "contract: one of part_time"),
            (Step("nothing", today), "milestone: 'nothing' is not one of first_shift"),
        ):
            with pytest.raises(DomainError, match=problem):
                await milestones.record(session, bot.cipher, person, wrong, MilestoneSource.COACH, bot.clock.now())
        await milestones.record(
            session, bot.cipher, person, Step("paid_job", today, contract="social_economy", note="Kringwinkel, kassa"),
            MilestoneSource.COACH, bot.clock.now(), recorded_by_id=coach,
        )  # fmt: skip
        await milestones.record(
            session, bot.cipher, person, Step("volunteer_hours", today - timedelta(days=30), hours=12.5),
            MilestoneSource.IMPORT, bot.clock.now(),
        )  # fmt: skip
    async with bot.db.reading() as session:
        stored = list(await session.scalars(select(Milestone.note_ciphertext)))
        exported = await export_person(session, amina, bot.cipher, bot.clock.now())
        trajectory = await milestones.trajectory_of(session, amina)
    assert all("kassa" not in (token or "") for token in stored)
    assert exported is not None
    assert [(m["milestone"], m["hours"], m["note"], m["recorded_by"]) for m in exported["milestones"]] == [
        ("volunteer_hours", 12.5, None, "import"),
        ("paid_job", None, "Kringwinkel, kassa", "coach"),
    ]
    # Her year started with the first thing recorded (the paid job, today); a later entry does not move it.
    assert trajectory is not None and exported["trajectory"]["started_on"] == today.isoformat()
    async with bot.db.transaction() as session:
        assert await erase_person(session, amina, bot.clock.now(), reason=Reason.REQUEST)
    async with bot.db.reading() as session:
        left = [await session.scalar(select(func.count()).select_from(t)) for t in (Milestone, Trajectory)]
    assert left == [0, 0]


async def test_her_trajectory_ends_completed_or_left_with_a_reason(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", "en", await p.coach())
    async with db.transaction() as session:
        person = await session.get(Person, amina)
        assert person is not None
        await milestones.set_start(session, person, date(2026, 2, 28), clock.now())
        with pytest.raises(DomainError, match="found_work, moved"):
            await milestones.end_trajectory(session, person, date(2026, 10, 1), clock.now(), "bored")
        ended = await milestones.end_trajectory(session, person, date(2026, 10, 1), clock.now(), "found_work")
    assert (ended.planned_end_on, ended.status, ended.left_reason) == (
        date(2027, 2, 28),
        TrajectoryStatus.LEFT,
        "found_work",
    )


async def test_an_organisation_plans_its_own_length_of_a_year(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    async with db.transaction() as session:
        with pytest.raises(DomainError, match="1 to 60 months"):
            await add_organisation(session, clock, "Kort", locale="nl", timezone="Europe/Brussels", trajectory_months=0)
    async with db.transaction() as session:
        short = await add_organisation(
            session, clock, "Half jaar", locale="nl", timezone="Europe/Brussels", trajectory_months=6
        )
        coach = await create_invite(session, clock, p.bot.invites, role=Role.COACH, organisation_id=short.id)
        made = await create_invite(
            session, clock, p.bot.invites, role=Role.PARTICIPANT, organisation_id=short.id, coach_id=coach.person_id
        )
        person = await session.get(Person, made.person_id)
        assert person is not None
        trajectory = await milestones.start_trajectory(session, person, date(2026, 8, 31), clock.now())
    assert trajectory.planned_end_on == date(2027, 2, 28)
