"""The corpus (issue 17): in every language, every command word alone, starting a note and inside one, sent as
her note to the coach in a check-in, is stored as her note, word for word; she stays active and is not
erased, also when she then taps the first button of what comes next."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.db.engine import Database
from tests.support.harness import Bot, conversations, onboarded
from tests.support.her_words import (
    at_the_note,
    back_to_the_note,
    corpus,
    open_checkin,
    still_with_us,
    stored_note,
)

FLOWS, CATALOGS = conversations()
LOCALES = CATALOGS.available()


def test_the_corpus_has_at_least_five_answers_of_each_kind_in_every_language() -> None:
    assert set(LOCALES) >= {"en", "ar", "fa_AF", "fr", "nl", "ps", "ru", "so", "ti", "tr", "uk"}
    for locale in LOCALES:
        notes = corpus(FLOWS, CATALOGS, locale)
        for how in ("alone", "first", "inside"):
            assert sum(1 for kind, _ in notes if kind == how) >= 5, (locale, how)


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
