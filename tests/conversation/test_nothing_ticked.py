"""A multiple choice confirmed with nothing ticked ("Done" pressed at once) is not a mistake: the question is
asked again kindly, in her language, on every channel, and it never counts as a miss (three of them do not
make the bot offer her coach's help)."""

from __future__ import annotations

import pytest

from tests.support.chat import checkin_word
from tests.support.harness import Bot, conversations, onboarded
from tests.support.telegram import TelegramBot, onboarded_on_telegram

FLOWS, CATALOGS = conversations()
STEPS = FLOWS.flow("checkin").step("steps").text
NOTHING_TICKED = FLOWS.texts.get("nothing_ticked", "nothing_ticked")
DIDNT_UNDERSTAND = "Sorry, I did not understand."
HELP = "This seems difficult."


def said(locale: str, msgid: object) -> str:
    assert isinstance(msgid, str)
    return CATALOGS.translations(locale).gettext(msgid)


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_done_with_nothing_ticked_asks_again_kindly_and_is_not_a_miss(bot: Bot, locale: str) -> None:
    _, phone = await onboarded(bot, locale=locale)
    await phone.send(checkin_word(locale))
    await phone.press(1)  # how she is
    assert phone.last.multiple
    for _ in range(3):
        (again,) = await phone.deliver(bot.simulator.choose(phone.external_id, ()))
        assert again.text.startswith(said(locale, NOTHING_TICKED)), again.text
        assert again.text.endswith(said(locale, STEPS))
        assert said(locale, DIDNT_UNDERSTAND) not in again.text and said(locale, HELP) not in again.text
        assert again.multiple and again.right_to_left is (locale == "ar")
    # Then she ticks one, and the check-in goes on.
    step = again.buttons[1].id
    (following,) = await phone.deliver(bot.simulator.choose(phone.external_id, (step,)))
    assert said(locale, "Was something difficult this week? You can choose more than one.") in following.text


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_done_with_nothing_ticked_on_telegram_asks_again_in_her_language(tg: TelegramBot, locale: str) -> None:
    _, user = await onboarded_on_telegram(tg, locale=locale)
    await tg.deliver(user.text(checkin_word(locale)))
    await tg.deliver(user.press(""))  # the first mood
    await tg.deliver(user.press(said(locale, "Done")))
    question = user.last
    assert question["text"].startswith(said(locale, NOTHING_TICKED)), question["text"]
    assert said(locale, DIDNT_UNDERSTAND) not in question["text"]
    labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert said(locale, "Done") in labels  # the same question, its buttons to tick again


@pytest.mark.parametrize("locale", sorted(CATALOGS.available()))
def test_the_texts_that_say_how_to_confirm_name_the_confirm_button_as_it_is_shown(locale: str) -> None:
    done = said(locale, "Done")
    for name in ("nothing_ticked", "multiple_hint"):
        assert done in said(locale, FLOWS.texts.get(name, name)), (locale, name)
