"""Nothing she sent is overwritten (issue 17 §1, decision 0015): each check-in is its own record, and the
coach's summary shows the week's latest mood and every note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.coaching.summary import collect
from bot.coaching.summary_text import render_lines
from bot.coaching.texts import CoachTexts
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Alert, CheckIn, Person
from tests.support.harness import Bot, onboarded

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # week 2026-W48 in Brussels


async def _checkin(phone: object, mood: str, note: str) -> None:
    for answer in ("check-in", mood, "1", "1"):
        await phone.send(answer)  # type: ignore[attr-defined]
    await phone.send(note)  # type: ignore[attr-defined]
    await phone.send("1")  # type: ignore[attr-defined]  # the first choice: yes, contact me


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_two_checkins_in_one_week_keep_both_notes_and_contact_requests(db: Database, locale: str) -> None:
    bot = Bot(db, FakeClock(MONDAY))
    person_id, phone = await onboarded(bot, locale=locale)
    await _checkin(phone, "2", "first note: my daughter is ill")
    bot.clock.advance(timedelta(days=2))
    await _checkin(phone, "4", "second note: she is better now")

    async with db.reading() as session:
        rows = list(await session.scalars(select(CheckIn).where(CheckIn.person_id == person_id).order_by(CheckIn.id)))
        alerts = list(await session.scalars(select(Alert).where(Alert.participant_id == person_id)))
    assert [(r.week, r.mood, r.wants_contact) for r in rows] == [("2026-W48", 2, True), ("2026-W48", 4, True)]
    assert [bot.cipher.decrypt(r.note_ciphertext or "") for r in rows] == [
        "first note: my daughter is ill",
        "second note: she is better now",
    ]
    assert [a.kind for a in alerts].count("contact_request") == 2

    sara = await bot.coach("Sara")
    async with db.transaction() as session:
        coach = await session.get(Person, sara)
        assert coach is not None
        coach.locale = locale
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], MONDAY + timedelta(days=4))
    assert summary.participants[0].checkins[0] == ("2026-W48", 4)  # the week's latest mood
    assert summary.weekly["2026-W48"][0] == 1  # one woman checked in, however often
    lines = render_lines(texts, summary)
    under = lines.index(texts.say("summary_note_name", summary.locale, name="Amina"))
    assert [line[:1] for line in lines[under + 1 : under + 3]] == ["💬", "💬"]  # both notes, under her name


@pytest.mark.parametrize(("locale", "word"), [("en", "course "), ("ar", "دورة ")])
async def test_a_long_note_is_kept_whole(db: Database, locale: str, word: str) -> None:
    bot = Bot(db, FakeClock(MONDAY))
    person_id, phone = await onboarded(bot, locale=locale)
    note = (word * 400).strip() + " END"  # over the old cut at 2,000; a message holds 4,096
    await _checkin(phone, "3", note)
    async with db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and len(note) > 2000
    assert bot.cipher.decrypt(checkin.note_ciphertext or "") == note
