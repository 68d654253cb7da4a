"""Her words are never a command by accident (issue 17): at a question that takes free text, a sentence that
starts with or holds a command word, or is one, is her answer; a woman who then taps the first button each
time is never stopped or erased."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import CheckIn, Person, PersonStatus
from tests.harness import Bot, Phone, onboarded

# Measured in the issue: each was dropped or opened "delete all my data?".
MEASURED = [
    ("nl", "Start maandag met de taalcursus"),
    ("ar", "ابدأ العمل الأسبوع القادم"),
    ("ps", "پیل د کورس راتلونکې اونۍ"),
    ("nl", "vergeten"),
    ("ar", "انسى"),
]


async def at_the_note(phone: Phone) -> None:
    """A check-in up to her note to the coach: mood, one step, one obstacle (typed as numbers)."""
    await phone.send("/checkin")
    for number in ("4", "1", "1"):
        await phone.send(number)


async def stored_note(bot: Bot, person_id: int) -> str | None:
    async with bot.db.reading() as session:
        checkin = await session.scalar(
            select(CheckIn).where(CheckIn.person_id == person_id).order_by(CheckIn.id.desc()).limit(1)
        )
    if checkin is None or checkin.note_ciphertext is None:
        return None
    return bot.cipher.decrypt(checkin.note_ciphertext)


async def still_with_us(bot: Bot, person_id: int) -> bool:
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
    return person is not None and person.status is PersonStatus.ACTIVE


@pytest.mark.parametrize(("locale", "note"), MEASURED)
async def test_the_measured_notes_are_kept_and_tapping_first_erases_nothing(
    db: Database, clock: FakeClock, locale: str, note: str
) -> None:
    bot = Bot(db, clock)
    person_id, phone = await onboarded(bot, locale=locale)
    await at_the_note(phone)
    replies = await phone.send(note)
    assert replies, "she gets an answer"
    assert await stored_note(bot, person_id) == note
    for _ in range(4):  # she taps the first button of whatever comes next
        if not phone.last.buttons:
            break
        await phone.press(1)
    assert await still_with_us(bot, person_id)
    assert await stored_note(bot, person_id) == note
