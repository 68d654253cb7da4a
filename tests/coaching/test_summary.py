"""The weekly summary of a constructed week, read line by line: who needs the coach first (in order), how
each woman is doing, the caseload's totals; in two languages, and never with another coach's women."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.coaching.chart import ChartFonts
from bot.coaching.summary import collect
from bot.coaching.summary_text import render_chart, render_html, render_lines
from bot.coaching.texts import CoachTexts
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Alert, BuddyMatch, ChannelIdentity, CheckIn, MatchStatus, Person, PersonStatus, Role
from bot.people.directory import create_invite
from tests.support.harness import Bot

FRIDAY = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 15:00 in Brussels, week 2026-W48


async def _participant(bot: Bot, coach: str, name: str, *, status: PersonStatus, last_days: int | None) -> int:
    coach_id = await bot.coach(coach)
    org = await bot.organisation()
    async with bot.db.transaction() as session:
        made = await create_invite(
            session, bot.clock, bot.invites, role=Role.PARTICIPANT, organisation_id=org, coach_id=coach_id
        )
        person = await session.get(Person, made.person_id)
        assert person is not None
        person.display_name = name
        person.status = status
        if last_days is not None:
            session.add(
                ChannelIdentity(
                    person_id=person.id,
                    channel="simulator",
                    external_id=f"phone-{name}",
                    created_at=bot.clock.now(),
                    last_inbound_at=FRIDAY - timedelta(days=last_days),
                )
            )
        return made.person_id


async def _checkin(
    bot: Bot, pid: int, week: str, mood: int, steps: list[str], obstacles: list[str], note: str | None = None
) -> None:
    async with bot.db.transaction() as session:
        session.add(
            CheckIn(
                person_id=pid,
                week=week,
                mood=mood,
                steps=steps,
                obstacles=obstacles,
                note_kind=note,
                note_ciphertext="x" if note else None,
                started_at=FRIDAY,
                completed_at=FRIDAY,
            )
        )


async def _alert(bot: Bot, pid: int, coach: str, kind: str, at: datetime) -> None:
    coach_id = await bot.coach(coach)
    async with bot.db.transaction() as session:
        session.add(Alert(participant_id=pid, coach_id=coach_id, kind=kind, created_at=at))


async def constructed_week(bot: Bot) -> int:
    """Sara's caseload in week 2026-W48, and Mona's, whose woman must never show up in Sara's summary."""
    amina = await _participant(bot, "Sara", "Amina", status=PersonStatus.ACTIVE, last_days=1)
    fatima = await _participant(bot, "Sara", "Fatima", status=PersonStatus.ACTIVE, last_days=2)
    hawa = await _participant(bot, "Sara", "Hawa", status=PersonStatus.ACTIVE, last_days=20)
    await _participant(bot, "Sara", "Lina", status=PersonStatus.INVITED, last_days=None)
    nour = await _participant(bot, "Sara", "Nour", status=PersonStatus.ACTIVE, last_days=3)
    zara = await _participant(bot, "Mona", "Zara", status=PersonStatus.ACTIVE, last_days=30)
    await _checkin(bot, amina, "2026-W47", 2, ["none"], ["money"])
    await _checkin(bot, amina, "2026-W48", 4, ["volunteer", "job"], ["language", "childcare"], note="voice")
    await _checkin(bot, fatima, "2026-W47", 1, ["none"], ["health"])
    await _checkin(bot, fatima, "2026-W48", 2, ["none"], ["language"])
    await _checkin(bot, nour, "2026-W47", 3, ["coaching"], ["none"])
    await _checkin(bot, nour, "2026-W48", 3, ["coaching"], ["childcare", "time"], note="text")
    await _checkin(bot, hawa, "2026-W44", 2, ["none"], ["none"])
    await _checkin(bot, zara, "2026-W48", 1, ["job"], ["papers"])
    await _alert(bot, amina, "Sara", "contact_request", FRIDAY - timedelta(days=2))
    await _alert(bot, nour, "Sara", "cant_come", FRIDAY - timedelta(days=1))
    await _alert(bot, hawa, "Sara", "need_help", FRIDAY - timedelta(days=8))  # last week: not this summary
    await _alert(bot, zara, "Mona", "contact_request", FRIDAY - timedelta(days=1))
    buddy = await _participant(bot, "Mona", "Buddy", status=PersonStatus.ACTIVE, last_days=None)
    async with bot.db.transaction() as session:
        session.add(
            BuddyMatch(
                participant_id=nour,
                buddy_id=buddy,
                status=MatchStatus.PROPOSED,
                proposed_at=FRIDAY - timedelta(days=9),
            )
        )
    sara = await bot.coach("Sara")
    async with bot.db.transaction() as session:
        coach = await session.get(Person, sara)
        assert coach is not None
        coach.locale = "en"
    return sara


EXPECTED_EN = [
    "📋 Your week Nov 23\u2009–\u200929: 5 women",
    "",
    "Needs you first:",
    "📞 Amina asked you to contact her.",
    "🚫 Nour cannot come to a volunteer shift.",
    "🔕 Hawa: no reply for 20 days. A call or a home visit?",
    "😟 Fatima: mood low twice in a row.",
    "👭 Nour: the buddy introduction is stuck.",
    "",
    "Everyone:",
    "✅ Amina: mood 🙂 4 ↑, 2 steps, hard: 💬 Language and 👶 Childcare",
    "✅ Fatima: mood 🙁 2 ↑, 0 steps, hard: 💬 Language",
    "⬜ Hawa: no check-in this week",
    "✉️ Lina: not yet on the bot",
    "✅ Nour: mood 😐 3 →, 1 step, hard: 👶 Childcare and ⏰ Time",
    "",
    "📝 Notes this week:",
    "Amina:",
    "🎤 a voice note",
    "Nour:",
    "💬 a written note",
    "",
    "All together:",
    "Check-ins: 3 of 5",
    "Steps: 🗣️ Talk with my coach 1, 🤝 Volunteer work 1, and 📄 A job step 1",
    "Most named obstacles: 💬 Language (2), 👶 Childcare (2), and ⏰ Time (1)",
]


async def test_the_summary_of_a_constructed_week_reads_attention_first_then_everyone_then_totals(
    db: Database, clock: FakeClock
) -> None:
    bot = Bot(db, clock)
    sara = await constructed_week(bot)
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    assert render_lines(texts, summary) == EXPECTED_EN
    assert "Zara" not in render_html(texts, summary)


@pytest.mark.parametrize("locale", ["nl", "ar"])
async def test_the_summary_comes_in_her_language_with_the_same_lines(
    db: Database, clock: FakeClock, locale: str
) -> None:
    bot = Bot(db, clock)
    sara = await constructed_week(bot)
    async with db.transaction() as session:
        coach = await session.get(Person, sara)
        assert coach is not None
        coach.locale = locale
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    lines = render_lines(texts, summary)
    assert len(lines) == len(EXPECTED_EN)
    # The same women in the same places: attention in its order, then everyone by name.
    for mine, english in zip(lines, EXPECTED_EN, strict=True):
        for name in ("Amina", "Fatima", "Hawa", "Lina", "Nour"):
            assert (name in mine) == (name in english)
    tr = bot.language(locale)
    assert tr.gettext("Language") in lines[10]
    assert tr.gettext("Childcare") in lines[-1]
    if locale == "ar":
        assert "\u2068" in lines[3]  # names and numbers isolated in a right-to-left text


async def test_a_past_week_can_be_asked_for_and_counts_only_that_week(db: Database) -> None:
    bot = Bot(db, FakeClock(datetime(2026, 10, 1, 9, 0, tzinfo=UTC)))  # they joined in October
    sara = await constructed_week(bot)
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY, week="2026-W47")
    lines = render_lines(texts, summary)
    assert "📞 Amina asked you to contact her." not in lines
    assert "🆘 Hawa needs help with a volunteer shift." in lines
    assert "Check-ins: 3 of 5" in lines
    response, steps = summary.chart_series()
    assert len(response) == 8 and response[-1] == pytest.approx(3 / 5)
    assert steps[-1] == 1
    assert render_chart(texts, summary, ChartFonts()).startswith(b"\x89PNG")
