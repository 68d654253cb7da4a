"""The corpus (issue 17): in every language, every command word alone, starting a note and inside one, sent as
her note to the coach in a check-in, is stored as her note, word for word; she stays active and is not
erased, also when she then taps the first button of what comes next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Conversation, ConversationStatus
from tests.conversation.her_words import NOTE_STEP, corpus
from tests.conversation.test_her_words import at_the_note, still_with_us, stored_note
from tests.harness import Bot, conversations, onboarded

FLOWS, CATALOGS = conversations()
LOCALES = CATALOGS.available()


def test_the_corpus_has_at_least_five_answers_of_each_kind_in_every_language() -> None:
    assert set(LOCALES) >= {"en", "ar", "fa_AF", "fr", "nl", "ps", "ru", "so", "ti", "tr", "uk"}
    for locale in LOCALES:
        notes = corpus(FLOWS, CATALOGS, locale)
        for how in ("alone", "first", "inside"):
            assert sum(1 for kind, _ in notes if kind == how) >= 5, (locale, how)


async def back_to_the_note(bot: Bot, person_id: int, checkin_id: int) -> None:
    """Her check-in is at the note question again (the question she answered last), nothing else open: the
    next note of the corpus is asked as the first was, without answering mood, steps and obstacles again."""
    async with bot.db.transaction() as session:
        rows = await session.scalars(
            select(Conversation).where(
                Conversation.person_id == person_id,
                Conversation.status.in_([ConversationStatus.ACTIVE, ConversationStatus.WAITING]),
            )
        )
        for row in rows:
            if row.id != checkin_id:
                row.status = ConversationStatus.CANCELLED
        checkin = await session.get(Conversation, checkin_id)
        assert checkin is not None
        checkin.status, checkin.step = ConversationStatus.ACTIVE, NOTE_STEP
        checkin.state = {k: v for k, v in checkin.state.items() if k != "suspended"}
        checkin.expires_at = bot.clock.now() + timedelta(days=1)
        flag_modified(checkin, "state")


async def open_checkin(bot: Bot, person_id: int) -> int:
    async with bot.db.reading() as session:
        found = await session.scalar(
            select(Conversation.id)
            .where(Conversation.person_id == person_id, Conversation.flow == "checkin")
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    assert found is not None
    return found


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_command_word_in_a_note_is_her_note(db: Database, clock: FakeClock, locale: str) -> None:
    bot = Bot(db, clock)
    person_id, phone = await onboarded(bot, locale=locale)
    await at_the_note(phone)
    checkin_id = await open_checkin(bot, person_id)
    lost = []
    for how, note in corpus(FLOWS, CATALOGS, locale):
        clock.advance(timedelta(minutes=1))
        await back_to_the_note(bot, person_id, checkin_id)
        replies = await phone.send(note)
        if how == "alone" and phone.last.buttons:
            await phone.press(1)  # she taps the first button of the question that follows
        if not replies or await stored_note(bot, person_id) != note or not await still_with_us(bot, person_id):
            lost.append((how, note))
    assert lost == [], f"{locale}: {len(lost)} notes not kept as her note"
