"""A button about her coach ("Contact my coach", "Talk with my coach") speaks of a woman coach as a woman and
of a man as a man, like the texts about her coach (decision 0016)."""

from __future__ import annotations

import pytest

from tests.support.harness import Bot, onboarded

# (the coach's gender, words that must be on the button, words that must not), per language
CONTACT = {
    "ar": {"feminine": ("مدربتي", "مدربي/"), "masculine": ("مدربي", "مدربتي"), None: ("مدربي/مدربتي", "xx")},
    "fr": {"feminine": ("ma coach", "mon coach"), "masculine": ("mon coach", "ma coach"), None: ("mon/ma", "xx")},
}


def _labels(messages: list) -> str:  # type: ignore[type-arg]
    return " | ".join(button.label for message in messages for button in message.buttons).lower()


@pytest.mark.parametrize("gender", ["feminine", "masculine", None])
@pytest.mark.parametrize("locale", ["ar", "fr"])
async def test_the_menu_button_to_contact_her_coach_shows_the_coachs_gender(
    bot: Bot, locale: str, gender: str | None
) -> None:
    coach = f"Coach-{gender}"
    await bot.coach(coach, gender=gender)
    _, phone = await onboarded(bot, locale=locale, coach=coach)
    shown = _labels(await phone.send("menu"))
    has, lacks = CONTACT[locale][gender]
    assert has in shown and lacks not in shown, shown


@pytest.mark.parametrize("locale", ["ar", "fr"])
async def test_the_check_in_button_and_her_answer_speak_of_a_man_coach_as_a_man(bot: Bot, locale: str) -> None:
    await bot.coach("Karim", gender="masculine")
    _, phone = await onboarded(bot, locale=locale, coach="Karim")
    await phone.send("/checkin")
    steps = await phone.send("4")  # mood: the next question offers "Talk with my coach"
    has, lacks = CONTACT[locale]["masculine"]
    assert has in _labels(steps) and lacks not in _labels(steps), _labels(steps)
    feminine, _ = CONTACT[locale]["feminine"]
    label = next(b.label for b in steps[-1].buttons if has in b.label.lower())
    assert feminine not in label.lower()


def test_flows_check_measures_each_variant_of_a_label_about_her_coach(bot: Bot) -> None:
    from bot.conversation.check import label_problems

    arabic = bot.catalogs.translations("ar")

    class LongMasculine:
        def gettext(self, message: str) -> str:
            return str(arabic.gettext(message))

        def pgettext(self, context: str, message: str) -> str:
            if context == "coach:masculine" and message == "Contact my coach":
                return "التواصل مع مدربي الذي يساعدني كل أسبوع"
            return str(arabic.pgettext(context, message))

    assert not label_problems(bot.flows, arabic, "ar")
    problems = label_problems(bot.flows, LongMasculine(), "ar")
    assert any("Contact my coach" in problem for problem in problems), problems
