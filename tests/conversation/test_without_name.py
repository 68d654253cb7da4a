"""She may skip the name question: every text that says her name then reads right without it."""

from __future__ import annotations

import pytest

from bot.core.i18n import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE
from tests.support.harness import Bot, texts


def _reads_right(text: str) -> None:
    empty_isolate = f"{FIRST_STRONG_ISOLATE}{POP_DIRECTIONAL_ISOLATE}"
    for broken in (" ,", " !", ", !", ",!", "، !", "،!", empty_isolate, "{name}"):
        assert broken not in text, f"{broken!r} in {text!r}"


@pytest.mark.parametrize(
    ("locale", "language", "yes", "skip", "greeting"),
    [
        ("nl", "Nederlands", "Ja", "Overslaan", "Leuk je te leren kennen!"),
        ("ar", "العربية", "نعم", "تخطي", "تشرفتُ بمعرفتكِ!"),
    ],
)
async def test_skipping_the_name_in_onboarding_reads_right(
    bot: Bot, locale: str, language: str, yes: str, skip: str, greeting: str
) -> None:
    _, code = await bot.invite()
    phone = bot.phone(language_hint=locale)
    await phone.send(f"/start {code}")
    await phone.press(language)
    await phone.press(yes)  # consent
    replies = await phone.press(skip)  # no name
    assert greeting in texts(replies)
    _reads_right(texts(replies))
    while phone.last.buttons:  # skip or take the first answer of every other question
        labels = [b.label for b in phone.last.buttons]
        said = texts(await phone.press(skip if any(skip in label for label in labels) else 1))
        _reads_right(said)
    menu = await phone.send("menu")
    _reads_right(texts(menu))
