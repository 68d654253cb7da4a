"""A coach who is a woman is "she" in the texts her women read; a man's variant differs where the language
shows it; an unknown gender gets the neutral wording (decision 0016)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import Person, Role
from tests.support.harness import Bot, onboarded, texts

# The word in her language that shows the coach is a woman, and the one that shows a man.
FEMININE = {
    "ar": ("مدربتكِ", "مدربكِ"),
    "ps": ("روزونکې", "روزونکی"),
    "ti": ("ኣሰልጣኒትኪ", "ኣሰልጣኒኺ"),
    "so": ("tababaraddaad", "tababarahaag"),
    "fr": ("Elle va", "Il va"),
    "ru": ("Она", "Он"),
    "uk": ("Вона", "Він"),
}
YES = {"ar": "نعم", "ps": "هو", "ti": "እወ", "so": "Haa", "fr": "Oui", "ru": "Да", "uk": "Так"}


async def _contact_texts(bot: Bot, locale: str, gender: str | None) -> str:
    """What she reads when she asks for her coach: the question and, after yes, the answer."""
    coach = f"Coach-{gender}"
    await bot.coach(coach, gender=gender)
    _, phone = await onboarded(bot, locale=locale, coach=coach)
    asked = await phone.send("/coach")
    labels = [b.label for b in phone.last.buttons]
    yes = next(label for label in labels if YES[locale].lower() in label.lower())
    told = await phone.press(yes)
    return texts(asked) + "\n" + texts(told)


@pytest.mark.parametrize("locale", sorted(FEMININE))
async def test_a_woman_coach_is_she_in_the_contact_texts(bot: Bot, locale: str) -> None:
    feminine, masculine = FEMININE[locale]
    woman = await _contact_texts(bot, locale, "feminine")
    man = await _contact_texts(bot, locale, "masculine")
    assert feminine in woman, woman
    assert feminine not in man, man
    assert masculine in man, man
    assert woman != man


@pytest.mark.parametrize("locale", ["ar", "so", "fr"])
async def test_a_woman_coach_is_she_when_she_is_introduced(bot: Bot, locale: str) -> None:
    language = {"ar": "العربية", "so": "Soomaali", "fr": "Français"}[locale]
    await bot.coach("Hanan", gender="feminine")
    _, code = await bot.invite(coach="Hanan")
    phone = bot.phone(language_hint=locale)
    await phone.send(f"/start {code}")
    welcome = texts(await phone.press(language))
    assert "Hanan" in welcome
    shown = {"fr": "c'est elle"}.get(locale, FEMININE[locale][0])
    assert shown.lower() in welcome.lower(), welcome


@pytest.mark.parametrize("locale", ["en", "nl", "ar"])
async def test_unknown_gender_keeps_the_plain_wording(bot: Bot, locale: str) -> None:
    plain = await _contact_texts(bot, locale, None) if locale in YES else None
    tr = bot.language(locale)
    asked = "Do you want your coach to contact you?"
    assert tr.gettext(asked)
    if plain is not None:  # the neutral entry, neither the woman's nor the man's wording
        assert tr.gettext(asked) in plain
        assert tr.pgettext("coach:feminine", asked) not in plain
        assert tr.pgettext("coach:masculine", asked) not in plain


@pytest.mark.parametrize(
    ("locale", "language", "woman"), [("nl", "Nederlands", "Als vrouw"), ("ar", "العربية", "كامرأة")]
)
async def test_a_coach_says_how_texts_speak_of_her_in_her_onboarding(
    bot: Bot, locale: str, language: str, woman: str
) -> None:
    org = await bot.organisation()
    from bot.people.directory import create_invite

    async with bot.db.transaction() as session:
        invite = await create_invite(session, bot.clock, bot.invites, role=Role.COACH, organisation_id=org)
    phone = bot.phone(language_hint=locale)
    await phone.send(f"/start {invite.code}")
    await phone.press(language)
    await phone.press(1)  # consent: yes
    await phone.send("Hanan")
    await phone.press(woman)
    async with bot.db.transaction() as session:
        gender = await session.scalar(select(Person.grammatical_gender).where(Person.id == invite.person_id))
    assert gender == "feminine"


@pytest.mark.parametrize(("locale", "language"), [("fr", "Français"), ("ps", "پښتو")])
async def test_a_coach_invited_with_her_gender_is_not_asked_again(bot: Bot, locale: str, language: str) -> None:
    org = await bot.organisation()
    from bot.people.directory import create_invite

    async with bot.db.transaction() as session:
        invite = await create_invite(
            session, bot.clock, bot.invites, role=Role.COACH, organisation_id=org, gender="masculine"
        )
    phone = bot.phone(language_hint=locale)
    await phone.send(f"/start {invite.code}")
    await phone.press(language)
    await phone.press(1)  # consent: yes
    await phone.send("Karim")
    assert len(phone.last.buttons) == 7, phone.last.text  # straight to the summary day
