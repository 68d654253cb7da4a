"""Every text her women read about her coach speaks of a woman coach as "she" and of a man as "he", and a
coach whose gender nobody gave is spoken of with neutral words, not the man's (decision 0016)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.consent import consent_text, shown_version
from bot.conversation.wording import GenderedText, NamedText, Text
from bot.db.models import BuddyMatch, ConsentRecord, MatchStatus, Person, Role
from bot.privacy.erasure import Reason, erase_person
from tests.support.harness import Bot, onboarded, texts
from tests.support.privacy import linked

GENDERED = ["ar", "ps", "ti", "so"]  # where "your coach" itself shows her gender
# Words that show a woman coach, and words that show a man (lower case; any of them).
WOMAN = {"ar": ("مدربت", "مدربة"), "ps": ("روزونکې",), "ti": ("ኣሰልጣኒት",), "so": ("tababarad",)}
MAN = {"ar": ("مدرب",), "ps": ("روزونکی", "روزونکي"), "ti": ("ኣሰልጣኒ",), "so": ("tababarah",)}
# French shows the gender only in a pronoun or an agreement; where a text has none, both variants read alike.
FRENCH = {
    ("_texts", "help_requested"): ("elle va", "il va"),
    ("onboarding", "consent"): ("seules votre coach", "seuls votre coach"),
    ("buddy_match_ask", "declined"): ("la coach", "le coach"),
    ("shift_reminder", "helped"): ("elle va", "il va"),
}
# Texts about her coach: engine texts ("_texts", key) and flow steps (flow, step).
ABOUT_HER_COACH = [
    ("_texts", "help_offer"),
    ("_texts", "help_requested"),
    ("_texts", "buddy_match_ended"),
    ("onboarding", "consent"),
    ("onboarding", "goodbye"),
    ("buddy_closing", "goodbye"),
    ("buddy_followup", "ended"),
    ("buddy_intro", "coach_arranges"),
    ("buddy_match_ask", "ask_participant"),
    ("buddy_match_ask", "declined"),
    ("command_offer", "ask_coach"),
    ("help", "explain"),
    ("shift_followup", "note"),
    ("shift_reminder", "cancelled"),
    ("shift_reminder", "helped"),
]


def _text(bot: Bot, where: tuple[str, str]) -> Text:
    flow, key = where
    if flow == "_texts":
        return bot.flows.texts[key]
    step = bot.flows.flow(flow).step(key)
    said = step.text if step.text is not None else step.say
    assert said is not None, where
    return said


def _rendered(bot: Bot, where: tuple[str, str], locale: str, gender: str | None) -> str:
    return bot.service.renderer.text(_text(bot, where), locale, {"coach_gender": gender}).lower()


@pytest.mark.parametrize("where", ABOUT_HER_COACH, ids="/".join)
@pytest.mark.parametrize("locale", [*GENDERED, "fr"])
def test_a_text_about_her_coach_says_she_for_a_woman_and_he_for_a_man(
    bot: Bot, locale: str, where: tuple[str, str]
) -> None:
    assert isinstance(_text(bot, where), GenderedText), f"{where} is not written about: coach"
    woman = _rendered(bot, where, locale, "feminine")
    man = _rendered(bot, where, locale, "masculine")
    _says_she_and_he(locale, where, woman, man)


# Texts with her name (``{name}``, and the same without it) that also speak of her coach.
NAMED_ABOUT_HER_COACH = [("onboarding", "next_steps")]


@pytest.mark.parametrize("where", NAMED_ABOUT_HER_COACH, ids="/".join)
@pytest.mark.parametrize("name", ["Amina", None], ids=["her name", "no name"])
@pytest.mark.parametrize("locale", [*GENDERED, "fr"])
def test_a_text_with_her_name_says_she_for_a_woman_coach_and_he_for_a_man(
    bot: Bot, locale: str, name: str | None, where: tuple[str, str]
) -> None:
    text = _text(bot, where)
    assert isinstance(text, NamedText) and text.about == "coach", f"{where} is not written about: coach"
    shown = {
        gender: bot.service.renderer.text(text, locale, {"coach_gender": gender, "name": name}).lower()
        for gender in ("feminine", "masculine", None)
    }
    for said in shown.values():
        assert ("amina" in said) == (name is not None), said
    _says_she_and_he(locale, where, shown["feminine"], shown["masculine"])
    if locale in GENDERED:  # unknown: the neutral wording, not the man's
        assert shown[None] not in (shown["feminine"], shown["masculine"]), shown[None]


def _says_she_and_he(locale: str, where: tuple[str, str], woman: str, man: str) -> None:
    if locale == "fr":
        she, he = FRENCH.get(where, (None, None))
        if she is None or he is None:
            assert woman == man and " il " not in woman and "le coach" not in woman, woman
            return
        assert she in woman and he not in woman, woman
        assert he in man and she not in man, man
        return
    assert any(word in woman for word in WOMAN[locale]), woman
    assert not any(word in man for word in WOMAN[locale]), man
    assert any(word in man for word in MAN[locale]), man


def _about_her_coach(bot: Bot) -> list[str]:
    said = [*bot.flows.texts.values()]
    for flow in bot.flows.flows.values():
        said += [s for step in flow.steps for s in (step.say, step.text) if s is not None]
    named = [t for t in said if isinstance(t, NamedText) and t.about is not None]
    return sorted({t.text for t in said if isinstance(t, GenderedText)} | {m for t in named for m in t.msgids()})


@pytest.mark.parametrize("locale", GENDERED)
def test_the_neutral_wording_is_not_the_mans(bot: Bot, locale: str) -> None:
    tr = bot.language(locale)
    msgids = _about_her_coach(bot)
    assert len(msgids) >= 19
    alike = [
        msgid
        for msgid in msgids
        if tr.gettext(msgid) in (tr.pgettext("coach:masculine", msgid), tr.pgettext("coach:feminine", msgid))
    ]
    assert not alike, f"{locale}: the neutral entry is a gendered variant for {alike}"


async def test_the_engine_offers_help_with_her_coach_as_she(bot: Bot) -> None:
    await bot.coach("Hanan", gender="feminine")
    _, phone = await onboarded(bot, locale="ar", coach="Hanan")
    await phone.send("/checkin")
    for _ in range(3):
        offered = await phone.send("xyz")
    assert "مدربتكِ" in texts(offered), texts(offered)
    told = await phone.press("نعم")
    assert "مدربتكِ" in texts(told) and "مدربكِ" not in texts(told), texts(told)


async def test_the_end_of_her_buddy_match_speaks_of_her_coach_as_she(bot: Bot) -> None:
    await bot.coach("Sara", gender="feminine")  # the coach of everyone ``linked`` makes
    her = await linked(bot, "tg-770012399", locale="so")
    buddy = await linked(bot, "buddy-phone-5599", role=Role.BUDDY, name="Griet", locale="nl")
    async with bot.db.transaction() as session:
        session.add(
            BuddyMatch(
                participant_id=her.person_id,
                buddy_id=buddy.person_id,
                status=MatchStatus.ACTIVE,
                proposed_at=bot.clock.now(),
            )
        )
    async with bot.db.transaction() as session:
        assert await erase_person(session, buddy.person_id, bot.clock.now(), reason=Reason.ADMIN, service=bot.service)
    await bot.dispatcher.dispatch_due()
    told = bot.simulator.transcripts[her.phone.external_id][-1].text
    assert "tababarad" in told.lower(), told


@pytest.mark.parametrize("locale", ["ar", "fr"])
async def test_her_consent_speaks_of_her_coach_as_she_and_records_those_words(bot: Bot, locale: str) -> None:
    await bot.coach("Hanan", gender="feminine")
    person_id, code = await bot.invite(locale=locale, coach="Hanan")
    phone = bot.phone(language_hint=locale)
    await phone.send(f"/start {code}")
    asked = await phone.send("1")  # her phone's language, offered first
    shown = consent_text(bot.flows, bot.catalogs, "onboarding", "consent", locale, gender="feminine")
    assert shown is not None and shown in texts(asked)
    assert {"ar": "مدربتكِ", "fr": "Seules votre coach"}[locale] in shown, shown
    await phone.send("1")  # yes
    async with bot.db.reading() as session:
        versions = set(await session.scalars(select(ConsentRecord.version).where(ConsentRecord.person_id == person_id)))
        assert await session.get(Person, person_id) is not None
    assert versions == {shown_version(shown)}


@pytest.mark.parametrize(
    ("locale", "gender", "word", "not_word"),
    [("ar", "feminine", "مدربتكِ", "مدربكِ"), ("so", "masculine", "tababarahaaga", "tababarad")],
)
async def test_help_speaks_of_her_coach_as_her_coach_is(
    bot: Bot, locale: str, gender: str, word: str, not_word: str
) -> None:
    await bot.coach("Noor", gender=gender)
    _, phone = await onboarded(bot, locale=locale, coach="Noor")
    helped = texts(await phone.send("/help")).lower()
    assert word in helped and not_word not in helped, helped
