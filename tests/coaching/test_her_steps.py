"""Her steps (issue 21): she records the steps on her way to work in the check-in and once a month, sees them
in her language (English, Arabic right to left, Tigrinya), never what she has not done, and her first shift,
her first 10 hours and her first paid job are celebrated once each, with a line to her coach."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.coaching import her_steps, milestones, shifts
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Milestone, MilestoneSource, Nudge, Person, ShiftStatus, VolunteerShift
from bot.messaging.channel import OutboundMessage
from bot.runtime.ticks import Ticks
from tests.support.programme import Programme

LOCALES = ["en", "ar"]
JOB_STEP = "3"  # the check-in's "A job step"
CV_READY = "5"  # "My CV is ready" among her steps
FIRST_MONTHLY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 1 December, 10:00 in Brussels


def said(replies: list[OutboundMessage]) -> str:
    return "\n".join(m.text for m in replies)


def translated(p: Programme, locale: str, text: str) -> str:
    return p.bot.service.catalogs.translations(locale).gettext(text)


async def checkin_with_a_job_step(p: Programme, person_id: int) -> list[OutboundMessage]:
    """She checks in and says she took a job step: what the bot asks next."""
    phone = p.phone(person_id)
    await phone.send("/checkin")
    await phone.press(4)  # good
    return await phone.send(JOB_STEP)


async def her_milestones(p: Programme, person_id: int) -> list[Milestone]:
    async with p.db.reading() as session:
        return await milestones.path(session, person_id)


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_job_step_in_the_checkin_asks_which_and_records_it_as_hers(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", locale, await p.coach())
    asked = (await checkin_with_a_job_step(p, amina))[-1]
    assert asked.text == translated(p, locale, "Well done! Which step was it? You can choose more than one.")
    assert asked.right_to_left is (locale == "ar")
    await p.phone(amina).send(CV_READY)
    found = await her_milestones(p, amina)
    assert [(m.code, m.achieved_on, m.source) for m in found] == [("cv_ready", date(2026, 11, 23), MilestoneSource.HER)]


async def test_without_a_job_step_there_is_no_extra_question(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", "en", await p.coach())
    await p.phone(amina).send("/checkin")
    await p.phone(amina).press(4)
    replies = await p.phone(amina).send("2")  # volunteer work
    assert "difficult" in replies[-1].text and await her_milestones(p, amina) == []


async def test_the_monthly_question_moves_a_week_when_the_followup_came_and_the_followup_waits_for_it(
    db: Database, clock: FakeClock
) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", "en", await p.coach())
    assert await her_steps.plan_months(db, clock.now()) == 1
    assert await her_steps.plan_months(db, clock.now()) == 0  # never twice
    clock.set(FIRST_MONTHLY - timedelta(days=1))  # Monday 30 November: her check-in, with a job step
    await checkin_with_a_job_step(p, amina)
    await p.phone(amina).send(CV_READY)
    p.new(amina)
    clock.set(FIRST_MONTHLY)
    await p.tick()
    assert p.new(amina) == []  # not a second extra question in that week
    clock.set(FIRST_MONTHLY + timedelta(weeks=1))
    await p.tick()
    monthly = said(p.new(amina))
    assert "📄 My CV is ready" in monthly and "Is there something new on your way to work?" in monthly
    await p.phone(amina).send("12")  # nothing new
    clock.set(FIRST_MONTHLY + timedelta(weeks=1, days=1))  # the same week: a check-in with a job step
    replies = await checkin_with_a_job_step(p, amina)
    assert "difficult" in replies[-1].text  # the obstacles: no question about which step this week
    assert [m.code for m in await her_milestones(p, amina)] == ["cv_ready"]


@pytest.mark.parametrize("locale", ["ar", "ti"])
async def test_the_monthly_message_is_in_her_language_and_records_what_is_new(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", locale, await p.coach())
    async with db.transaction() as session:
        person = await session.get(Person, amina)
        assert person is not None
        step = milestones.Step("language_course_started", date(2026, 11, 2), level="A2")
        await milestones.record(session, None, person, step, MilestoneSource.COACH, clock.now())
    await her_steps.plan_months(db, clock.now())
    clock.set(FIRST_MONTHLY)
    await p.tick()
    replies = p.new(amina)
    text = said(replies)
    assert "📚" in text and "Began language class" not in text and "Your steps" not in text
    assert translated(p, locale, "Is there something new on your way to work? You can choose more than one.") in text
    assert all(m.right_to_left is (locale == "ar") for m in replies)
    await p.phone(amina).send("8")  # paid work
    assert [m.code for m in await her_milestones(p, amina)] == ["language_course_started", "paid_job"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_steps_word_lists_her_shifts_hours_and_course_and_never_what_she_has_not_done(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", locale, await p.coach())
    nadia = await p.participant("Nadia", locale, await p.coach("Els"))
    start = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    async with db.transaction() as session:
        session.add(
            VolunteerShift(
                participant_id=amina, place="Kringwinkel", address="Rue Haute 5", starts_at=start,
                ends_at=start + timedelta(hours=3), status=ShiftStatus.ATTENDED, created_at=clock.now(),
            )
        )  # fmt: skip
        person = await session.get(Person, amina)
        assert person is not None
        for step in (
            milestones.Step("volunteer_hours", date(2026, 11, 10), hours=12),
            milestones.Step("language_course_started", date(2026, 11, 12), level="A1"),
        ):
            await milestones.record(session, None, person, step, MilestoneSource.COACH, clock.now())
    replies = await p.phone(amina).send("steps")
    text = said(replies)
    assert replies[-1].right_to_left is (locale == "ar")
    assert "🤝" in text and "⏱️" in text and "📚" in text
    assert not any(emoji in text for emoji in ("🎓", "📄", "💼", "✉️"))  # nothing she has not done
    if locale == "en":
        assert "🤝 1 volunteer shift" in text and "⏱️ 15 hours of volunteer work" in text
        assert "📚 Began language class" in text and "not yet" not in text and " no " not in text
    else:
        assert "١٥" in text or "15" in text
    nothing = said(await p.phone(nadia).send("steps")).strip("\u2068\u2069")  # isolated in a right-to-left text
    assert nothing == p.bot.service.catalogs.translations(locale).gettext(
        "🌱 Every way starts with a first step. I am happy to walk it with you."
    )


@pytest.mark.parametrize("locale", LOCALES)
async def test_her_first_shift_ten_hours_and_first_paid_job_are_celebrated_once_each(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    amina = await p.participant("Amina", locale, coach)
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    async with db.transaction() as session:
        for days in (0, 7):
            entry = shifts.ShiftInput(amina, "Kringwinkel", "Rue Haute 5", start + timedelta(days=days),
                                      start + timedelta(days=days, hours=6))  # fmt: skip
            await shifts.add_shift(session, coach, entry, clock.now())
    celebrations, lines = [], []
    for days in (0, 7):
        clock.set(start + timedelta(days=days, hours=7))
        await p.tick()
        for _ in range(3):
            await p.phone(amina).press(1)  # yes I went, good, no note
        p.new(amina), p.new(coach)  # the coach heard of the reminders she did not answer
        await p.tick()
        celebrations.append(said(p.new(amina)))
        lines.append(said(p.new(coach)))
    assert all(m.startswith("🎉") for m in celebrations), celebrations
    assert celebrations[0] == translated(
        p, locale, "🎉 Your first volunteer shift! That is a big step. I am proud of you. 🌱"
    )
    assert celebrations[1] == translated(
        p, locale, "🎉 10 hours of volunteer work! Your work helps other people. Well done! ⏱️"
    )
    assert lines == ["🎉 Amina did her first volunteer shift.", "🎉 Amina has done 10 hours of volunteer work."]
    async with db.transaction() as session:  # her coach records her paid job: the planning tick celebrates it
        person = await session.get(Person, amina)
        assert person is not None
        step = milestones.Step("paid_job", clock.now().date(), contract="part_time")
        await milestones.record(session, None, person, step, MilestoneSource.COACH, clock.now(), coach)
    for _ in range(2):
        await her_steps.plan_celebrations(db, clock.now())
        async with db.transaction() as session:
            person = await session.get(Person, amina)
            assert person is not None
            assert await her_steps.celebrate_due(session, person, clock.now()) == []
        await p.tick()
        celebrations.append(said(p.new(amina)))
        lines.append(said(p.new(coach)))
    assert celebrations[2] == translated(p, locale, "🎉 Paid work! Congratulations, you did it. 💼")
    assert celebrations[3] == "" and lines[2:] == ["🎉 Amina has paid work.", ""]  # once each
    async with db.reading() as session:
        codes = await session.scalars(select(Milestone.code).where(Milestone.participant_id == amina))
        assert sorted(codes) == ["first_shift", "paid_job"]


async def test_the_planning_tick_plans_her_monthly_question_at_her_checkin_time_on_a_weekday(
    db: Database, clock: FakeClock
) -> None:
    p = Programme(db, clock)
    amina = await p.participant("Amina", "en", await p.coach())
    await Ticks(db, p.runner, clock, on_due=lambda: None).plan()
    async with db.reading() as session:
        planned = list(await session.scalars(select(Nudge).where(Nudge.kind == her_steps.MONTH_KIND)))
    assert [(n.person_id, n.key, n.due_at.replace(tzinfo=UTC)) for n in planned] == [
        (amina, f"her_steps_month:{amina}:2026-12", FIRST_MONTHLY)  # not Monday, her check-in day
    ]
