"""Her path as her coach records and sees it (issue 21, decision 0036): the coach's ``step`` in the chat (only
for her own women), the week's milestones and "no step and no shift for 8 weeks" in the weekly summary, and
the timeline of her year under ``participant``; in Dutch and Arabic (right to left)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.coaching import milestones
from bot.coaching.milestones import Step
from bot.coaching.summary import collect
from bot.coaching.summary_text import render_text
from bot.coaching.texts import texts_for
from bot.conversation.actions import ActionContext
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import CheckIn, Milestone, MilestoneSource, Person
from tests.support.harness import WIRED, texts
from tests.support.programme import Programme

LOCALES = ["nl", "ar", "en"]


async def _programme(db: Database, clock: FakeClock, locale: str) -> tuple[Programme, int, int]:
    p = Programme(db, clock)
    sara = await p.coach("Sara")
    async with p.db.transaction() as session:
        coach = await session.get(Person, sara)
        assert coach is not None
        coach.locale = locale
    amina = await p.participant("Amina", locale, sara)
    return p, sara, amina


def _tr(p: Programme, locale: str, text: str, context: str | None = None) -> str:
    tr = p.bot.language(locale)
    return str(tr.pgettext(context, text) if context else tr.gettext(text))


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_coach_records_volunteer_hours_on_a_day_she_types_with_a_note(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p, sara, amina = await _programme(db, clock, locale)
    phone = p.phone(sara)
    await phone.send("step")
    await phone.press("Amina")
    asked = await phone.press(2)  # ⏱️ volunteer hours
    assert asked[-1].right_to_left == (locale == "ar")
    again = texts(await phone.send("31/02/2026"))  # no such day: asked kindly again
    assert _tr(p, locale, "Please send a date, like 25/12/2026.") in again
    later = texts(await phone.send("3/12/2026"))  # still to come (today is 23 November)
    assert _tr(p, locale, "That day has not come yet. Please send a day that has passed, or today, like 3/12/2026.",
               "to:coach").split(".")[0] in later  # fmt: skip
    await phone.send("3/11/2026")  # day first: 3 November
    await phone.send("6")
    done = texts(await phone.send("Goed gesprek met de verantwoordelijke"))
    assert _tr(p, locale, "Volunteer hours") in done and "Amina" in done
    async with p.db.reading() as session:
        [row] = list(await session.scalars(select(Milestone)))
    assert (row.participant_id, row.code, row.minutes) == (amina, "volunteer_hours", 360)
    assert row.achieved_on == date(2026, 11, 3)
    assert (row.source, row.recorded_by_id) == (MilestoneSource.COACH, sara)
    assert row.note_ciphertext is not None and "gesprek" not in row.note_ciphertext
    assert p.bot.cipher.decrypt(row.note_ciphertext) == "Goed gesprek met de verantwoordelijke"


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_paid_job_today_with_its_contract_and_a_course_without_a_level(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p, sara, amina = await _programme(db, clock, locale)
    phone = p.phone(sara)
    await phone.send("step")
    await phone.press("Amina")
    await phone.press("💼")
    await phone.press(_tr(p, locale, "Skip"))  # today
    await phone.press(_tr(p, locale, "Article 60"))
    await phone.press(_tr(p, locale, "Skip"))  # no note
    await phone.send("step")
    await phone.press("Amina")
    await phone.press("📚")
    await phone.send("1/9/2026")
    await phone.press(_tr(p, locale, "Skip"))  # level not known
    await phone.press(_tr(p, locale, "Skip"))
    async with p.db.reading() as session:
        rows = list(await session.scalars(select(Milestone).order_by(Milestone.id)))
    assert [(r.code, r.achieved_on, r.contract, r.level, r.note_ciphertext) for r in rows] == [
        ("paid_job", date(2026, 11, 23), "social_economy", None, None),
        ("language_course_started", date(2026, 9, 1), None, None, None),
    ]
    assert all(r.participant_id == amina for r in rows)


async def test_the_step_of_another_coachs_woman_is_refused(db: Database, clock: FakeClock) -> None:
    p, sara, _ = await _programme(db, clock, "ar")
    mona = await p.coach("Mona")
    zara = await p.participant("Zara", "ar", mona)
    phone = p.phone(sara)
    await phone.send("step")
    refused = await phone.send("Zara")  # not one of her women: not a choice, asked again
    assert [b.label for b in refused[-1].buttons if "Amina" in b.label]
    async with p.db.transaction() as session:
        coach = await session.get(Person, sara)
        assert coach is not None
        state = {"vars": {"woman": str(zara), "milestone": "paid_job", "contract": "full_time"}}
        context = ActionContext(session, clock.now(), coach, None, state, {}, Channel.SIMULATOR, p.bot.service)
        result = await WIRED.actions.run("step.record", context)
    assert (result["step_recorded"], result["step_problem"]) == ("no", "caseload")
    async with p.db.reading() as session:
        assert list(await session.scalars(select(Milestone))) == []


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_summary_shows_the_weeks_milestones_and_who_has_been_quiet_for_8_weeks(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p, sara, amina = await _programme(db, clock, locale)
    quiet = await p.participant("Hawa", locale, sara)
    busy = await p.participant("Lina", locale, sara)
    young = await p.participant("Nour", locale, sara)
    now = clock.now()
    today = now.date()
    async with p.db.transaction() as session:
        people = {pid: await session.get(Person, pid) for pid in (amina, quiet, busy, young)}
        for pid in (quiet, busy, amina):
            person = people[pid]
            assert person is not None
            await milestones.start_trajectory(session, person, today - timedelta(weeks=12), now)
        young_person = people[young]
        assert young_person is not None
        await milestones.start_trajectory(session, young_person, today - timedelta(weeks=3), now)
        amina_person = people[amina]
        assert amina_person is not None
        await milestones.record(session, None, amina_person, Step("cv_ready", today), MilestoneSource.COACH, now)
        await milestones.record(
            session, None, amina_person, Step("volunteer_hours", today, hours=4), MilestoneSource.COACH, now
        )
        weeks_ago = now - timedelta(weeks=3)
        session.add(
            CheckIn(person_id=busy, week="2026-W45", mood=4, steps=["job"], obstacles=[], started_at=weeks_ago,
                    completed_at=weeks_ago)
        )  # fmt: skip
        [summary] = await collect(session, [sara], now)
    text = render_text(texts_for(p.bot.service), summary)
    assert _tr(p, locale, "CV ready") in text and _tr(p, locale, "Volunteer hours") in text
    quiet_line = _tr(p, locale, "🧭 {name}: no step and no shift for 8 weeks.").split("{name}")[-1].strip()
    flagged = [line for line in text.splitlines() if quiet_line in line]
    assert len(flagged) == 1 and "Hawa" in flagged[0]  # Lina took a step, Nour began 3 weeks ago, Amina has steps


@pytest.mark.parametrize("locale", LOCALES)
async def test_participant_shows_the_timeline_of_her_year(db: Database, clock: FakeClock, locale: str) -> None:
    p, sara, amina = await _programme(db, clock, locale)
    now = clock.now()
    async with p.db.transaction() as session:
        person = await session.get(Person, amina)
        assert person is not None
        await milestones.set_start(session, person, date(2026, 3, 2), now)
        await milestones.record(session, None, person, Step("first_shift", date(2026, 4, 7)), MilestoneSource.BOT, now)
        await milestones.record(
            session, None, person, Step("language_course_finished", date(2026, 6, 30), level="A2"),
            MilestoneSource.COACH, now,
        )  # fmt: skip
    phone = p.phone(sara)
    await phone.send("participant")
    shown = await phone.press("Amina")
    said = texts(shown)
    assert shown[-1].right_to_left == (locale == "ar")
    assert _tr(p, locale, "🗓️ Her year: {start} to {end}").split("{start}")[0].strip() in said
    assert _tr(p, locale, "First shift") in said and _tr(p, locale, "Language course done") in said and "A2" in said
    assert said.index(_tr(p, locale, "First shift")) < said.index(_tr(p, locale, "Language course done"))
    assert _tr(p, locale, "⏱️ Shifts attended: {shifts}. Volunteer hours in all: {hours}").split("{shifts}")[0] in said


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_coachs_menu_and_help_lead_to_step(db: Database, clock: FakeClock, locale: str) -> None:
    p, sara, _ = await _programme(db, clock, locale)
    phone = p.phone(sara)
    helped = texts(await phone.send("help"))
    word = _tr(p, locale, "step|milestone", "command").split("|")[0]
    assert f"{word.upper()} – " in helped or f"{word} – " in helped
    await phone.send("menu")
    asked = await phone.press("🌟")
    assert _tr(p, locale, "Whose step do you want to record?", "to:coach") in texts(asked)
    assert [b.label for b in asked[-1].buttons if "Amina" in b.label]
