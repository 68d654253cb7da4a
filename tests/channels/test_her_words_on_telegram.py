"""Issue 17 on Telegram, through the emulator: in every language, a note to her coach that is a command word
alone, starts with one or holds one is her note; tapping the first button then erases or stops nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db.models import CheckIn, Conversation
from tests.support.harness import conversations
from tests.support.her_words import back_to_the_note, open_checkin, representative, still_with_us
from tests.support.telegram import TelegramBot, onboarded_on_telegram

FLOWS, CATALOGS = conversations()


@pytest.mark.parametrize("locale", CATALOGS.available())
async def test_her_notes_are_kept_on_telegram(tg: TelegramBot, locale: str) -> None:
    person_id, user = await onboarded_on_telegram(tg, locale=locale)
    await tg.deliver(user.text("/checkin"))
    for number in ("4", "1", "1"):
        await tg.deliver(user.text(number))
    checkin_id = await open_checkin(tg.base, person_id)
    for how, note in representative(FLOWS, CATALOGS, locale):
        tg.clock.advance(timedelta(minutes=1))
        await back_to_the_note(tg.base, person_id, checkin_id)
        before = len(user.inbox)
        await tg.deliver(user.text(note))
        assert len(user.inbox) > before, f"{locale}: no answer to {note!r}"
        if how == "alone":
            buttons = user.last["reply_markup"]["inline_keyboard"]
            await tg.deliver(user.press(buttons[0][0]["text"]))  # the first button: "No"
        async with tg.db.reading() as session:
            record = await session.get(CheckIn, await _record_id(tg, checkin_id))
        assert record is not None and record.note_ciphertext is not None
        assert tg.base.cipher.decrypt(record.note_ciphertext) == note, (locale, how)
        assert await still_with_us(tg.base, person_id), (locale, how)


async def _record_id(bot: TelegramBot, checkin_id: int) -> int:
    async with bot.db.reading() as session:
        row = await session.get(Conversation, checkin_id)
    assert row is not None
    return int(row.state["record_id"])
