"""Her language first: whatever her phone calls her language (Telegram's ``language_code``, WhatsApp's
locale), the language question offers that language first, marked, and the first button gives it to her."""

from __future__ import annotations

import pytest

from bot.conversation.render import SUGGESTED_MARK
from bot.core import i18n
from bot.db.models import Person
from tests.support.harness import Bot

# What phones send, as Telegram passes the IETF tag of the app's language, and the locale she should get.
PHONE_LANGUAGES = [
    ("fa", "fa_AF"),
    ("fa-AF", "fa_AF"),
    ("fa_AF", "fa_AF"),
    ("fa-af", "fa_AF"),
    ("prs", "fa_AF"),
    ("prs-AF", "fa_AF"),
    ("ar", "ar"),
    ("ar-SA", "ar"),
    ("ps", "ps"),
    ("ps-AF", "ps"),
    ("nl-BE", "nl"),
    ("fr", "fr"),
]


@pytest.mark.parametrize(("language_code", "locale"), PHONE_LANGUAGES)
def test_a_phones_language_code_is_her_locale(language_code: str, locale: str) -> None:
    assert i18n.locale_from_hint(language_code) == locale


@pytest.mark.parametrize(("language_code", "locale"), PHONE_LANGUAGES)
async def test_her_phones_language_is_offered_first_and_the_first_button_gives_it(
    bot: Bot, language_code: str, locale: str
) -> None:
    person_id, code = await bot.invite()
    phone = bot.phone(language_hint=language_code)
    await phone.send(f"/start {code}")
    first = phone.last.buttons[0]
    assert first.label == f"{i18n.AUTONYMS[locale]} {SUGGESTED_MARK}", [b.label for b in phone.last.buttons]
    assert sum(SUGGESTED_MARK in b.label for b in phone.last.buttons) == 1
    await phone.press(1)
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
        assert person is not None and person.locale == locale
    assert phone.last.locale == locale
    assert phone.last.right_to_left is i18n.is_right_to_left(locale)
