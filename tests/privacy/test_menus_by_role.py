"""A coach or a buddy who writes gets her own menu, never the participant's questions (no "Do you want your
coach to contact you?", no weekly check-in), in her own language (decision 0018)."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.db.models import Role
from tests.support.harness import Bot, texts
from tests.support.privacy import linked

PARTICIPANT_ONLY = [
    "Do you want your coach to contact you?",
    "Hello {name}! How are you this week?",
    "Weekly check-in",
    "Contact my coach",
]
OWN_MENU = {
    Role.COACH: ["Weekly summary", "My participants", "Invite someone", "Propose a buddy", "Plan a shift"],
    Role.BUDDY: ["Pause messages", "Language", "See my data"],
}


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("role", [Role.COACH, Role.BUDDY])
async def test_a_coach_or_buddy_gets_her_own_menu_and_never_the_participant_questions(
    bot: Bot, role: Role, locale: str
) -> None:
    tr = bot.language(locale)
    her = await linked(bot, f"{role.value}-phone", role=role, name="Nadia", locale=locale)
    seen = []
    for words in ("hello", "menu", "coach", "check-in", "/coach", "/checkin", tr.pgettext("command", "coach")):
        replies = await her.phone.send(words)
        assert replies, words  # she always gets an answer
        seen += replies
        menu = replies[-1]  # every one of these words brings her own menu
        labels = " ".join(b.label for b in menu.buttons)
        assert all(tr.gettext(own) in labels for own in OWN_MENU[role]), (words, labels)
        assert menu.right_to_left is (locale == "ar")
        await her.phone.press(len(menu.buttons))  # "Nothing now": the menu closes
    shown = texts(seen) + " ".join(b.label for m in seen for b in m.buttons)
    for text in PARTICIPANT_ONLY:
        assert tr.gettext(text).replace("{name}", "Nadia") not in shown


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_the_coach_menu_opens_her_tools(bot: Bot, locale: str) -> None:
    tr = bot.language(locale)
    coach = await linked(bot, "coach-phone", role=Role.COACH, name="Sara", locale=locale)
    await coach.phone.send("hello")
    invite = await coach.phone.press(tr.gettext("Invite someone"))
    assert tr.pgettext("to:coach", "Whom do you want to invite?") in texts(invite)  # addressed to a coach


async def test_a_participant_still_gets_the_participant_menu(bot: Bot) -> None:
    her = await linked(bot, "participant-phone")
    menu = await her.phone.send("hello")
    assert "Weekly check-in" in " ".join(b.label for b in menu[-1].buttons)
    asked = await her.phone.send("coach")
    assert "Do you want your coach to contact you?" in texts(asked)


def test_telegrams_command_menu_still_offers_her_check_in_and_coach(clock: FakeClock) -> None:
    from bot.app import telegram_channel
    from bot.core.settings import Settings
    from tests.emulators.telegram import TOKEN
    from tests.support.harness import conversations

    flows, catalogs = conversations()
    channel = telegram_channel(Settings(telegram_bot_token=TOKEN), clock, flows, catalogs)
    assert channel is not None
    names = [name for name, _ in channel.commands[None]]
    assert {"checkin", "coach", "menu", "forget"} <= set(names)
    assert not {"summary", "match", "invite"} & set(names)  # coach tools are not offered to everyone


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("role", [Role.COACH, Role.BUDDY])
async def test_help_for_a_coach_or_buddy_names_her_own_words_not_the_participants(
    bot: Bot, role: Role, locale: str
) -> None:
    tr = bot.language(locale)
    her = await linked(bot, f"{role.value}-help", role=role, name="Nadia", locale=locale)
    for words in ("help", "/help", tr.pgettext("command", "help").split("|")[0]):
        shown = texts(await her.phone.send(words))
        participant_help = tr.gettext(
            "I help you on your way, together with your coach. Every week I ask how you are."
            "\n\nWords you can send at any time:\nMENU – what you can do\nCHECK-IN – tell me about your week"
            "\nPAUSE – a break from messages\nRESUME – messages again\nCOACH – ask your coach to contact you"
            "\nLANGUAGE – choose another language\nMY DATA – see what I keep about you\nFORGET – delete your data"
            "\nSTOP – no more messages"
        )
        assert participant_help not in shown, words
        checkin_word = tr.pgettext("command", "check-in|checkin").split("|")[0].upper()
        coach_word = tr.pgettext("command", "coach").split("|")[0].upper()
        assert f"{checkin_word} –" not in shown and f"{coach_word} –" not in shown, words
        if role is Role.COACH:
            assert tr.pgettext("command", "summary").split("|")[0].upper() in shown, words
        else:
            assert tr.pgettext("command", "pause").split("|")[0].upper() in shown, words
