"""A text addressed to a coach speaks to her as she is: the same English a participant reads ("What do you
want to do?") is its own entry in a coach flow (message context ``to:coach``, and ``to:coach:masculine`` for
a man), so a man coach is not addressed as a woman, and a participant still is (decision 0016)."""

from __future__ import annotations

import pytest

from bot.db.models import Person, Role
from tests.support.harness import Bot, texts
from tests.support.privacy import linked

# Arabic "do you want": تريدين to a woman, تريد to a man.
TO_A_WOMAN = "تريدين"
TO_A_MAN = "تريد "


async def _said_to(bot: Bot, role: Role, gender: str | None, locale: str = "ar") -> str:
    her = await linked(bot, f"{role.value}-{gender}-phone", role=role, name="Karim", locale=locale)
    async with bot.db.transaction() as session:
        person = await session.get(Person, her.person_id)
        assert person is not None
        person.grammatical_gender = gender
    return texts(await her.phone.send("hello"))


async def test_a_man_coach_is_asked_what_he_wants_as_a_man(bot: Bot) -> None:
    menu = await _said_to(bot, Role.COACH, "masculine")
    assert "Karim" in menu and TO_A_MAN in menu and TO_A_WOMAN not in menu, menu


@pytest.mark.parametrize("gender", ["feminine", None, "neutral"])
async def test_a_woman_coach_or_one_of_unknown_gender_is_asked_as_a_woman(bot: Bot, gender: str | None) -> None:
    menu = await _said_to(bot, Role.COACH, gender)
    assert TO_A_WOMAN in menu, menu


async def test_a_participant_is_still_asked_as_a_woman_whatever_is_stored(bot: Bot) -> None:
    menu = await _said_to(bot, Role.PARTICIPANT, "masculine")
    assert TO_A_WOMAN in menu, menu


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_a_man_coach_reads_the_menu_in_other_languages(bot: Bot, locale: str) -> None:
    menu = await _said_to(bot, Role.COACH, "masculine", locale)
    tr = bot.language(locale)
    assert tr.pgettext("to:coach:masculine", "Hello {name}! What do you want to do?").format(name="Karim") in menu
    assert "What do you want to do?" not in menu or locale == "en", menu


async def test_the_goodbye_of_the_coach_menu_speaks_to_a_man(bot: Bot) -> None:
    her = await linked(bot, "coach-bye", role=Role.COACH, name="Karim", locale="ar")
    async with bot.db.transaction() as session:
        person = await session.get(Person, her.person_id)
        assert person is not None
        person.grammatical_gender = "masculine"
    menu = await her.phone.send("hello")
    bye = texts(await her.phone.press(len(menu[-1].buttons)))
    tr = bot.language("ar")
    assert bye == tr.pgettext("to:coach:masculine", "Okay! Write to me when you want. 👋"), bye
    assert bye != tr.gettext("Okay! Write to me when you want. 👋"), bye


def test_a_man_coachs_consent_is_recorded_in_the_words_he_was_shown(bot: Bot) -> None:
    from bot.conversation.consent import consent_text, shown_version

    step = bot.flows.flow("coach_onboarding").step("consent")
    assert isinstance(step.text, str)
    tr = bot.language("ar")
    man = consent_text(bot.flows, bot.catalogs, "coach_onboarding", "consent", "ar", own_gender="masculine")
    woman = consent_text(bot.flows, bot.catalogs, "coach_onboarding", "consent", "ar", own_gender="feminine")
    assert man == tr.pgettext("to:coach:masculine", step.text) and "توافق " in str(man), man
    assert woman == tr.pgettext("to:coach", step.text) and "توافقين" in str(woman), woman
    assert shown_version(man) != shown_version(woman)


def test_flows_check_requires_each_address_in_every_catalog(bot: Bot) -> None:
    from bot.conversation.check import coverage

    wanted = {(msgid, context) for msgid, _, context in bot.flows.msgids()}
    said = "Okay! Write to me when you want. 👋"
    assert {(said, "to:coach"), (said, "to:coach:masculine"), (said, None)} <= wanted
    catalog = bot.catalogs.catalogs["fr"]
    entry = catalog.get(said, context="to:coach:masculine")
    assert entry is not None
    kept = entry.string
    try:
        entry.string = ""
        report = next(r for r in coverage(bot.flows, bot.catalogs) if r.locale == "fr")
        assert f"missing: {said!r}" in report.problems
    finally:
        entry.string = kept
