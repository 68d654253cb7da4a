"""Every global command works as a word in every shipped language (WhatsApp has no slash commands), and
as a /slash command."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Conversation
from tests.support.harness import Bot, conversations, onboarded

FLOWS, CATALOGS = conversations()
# Commands for everyone; coach tools (``roles: [coach]``) are tested with coaches in tests/coaching.
EXPECTED_FLOW = {c.name: ("menu" if c.name == "start" else c.flow) for c in FLOWS.commands if not c.roles}
LOCALES = CATALOGS.available()


def words(locale: str, command: str) -> list[str]:
    source = next(c.words for c in FLOWS.commands if c.name == command)
    return CATALOGS.translations(locale).pgettext("command", source).split("|")


async def latest_flow(bot: Bot, person_id: int) -> str | None:
    async with bot.db.reading() as session:
        return await session.scalar(
            select(Conversation.flow)
            .where(Conversation.person_id == person_id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_command_word_in_every_language(db: Database, clock: FakeClock, locale: str) -> None:
    bot = Bot(db, clock)
    for command, flow in EXPECTED_FLOW.items():
        for word in words(locale, command):
            person_id, phone = await onboarded(bot, locale=locale)
            replies = await phone.send(word.upper() if word.isascii() else word)
            assert replies, f"{locale}: no answer to {word!r}"
            assert await latest_flow(bot, person_id) == flow, f"{locale}: {word!r} should start {flow}"


@pytest.mark.parametrize("command", sorted(EXPECTED_FLOW))
async def test_slash_commands(db: Database, clock: FakeClock, command: str) -> None:
    bot = Bot(db, clock)
    person_id, phone = await onboarded(bot, locale=LOCALES[-1])
    await phone.send(f"/{command}@TrampolineBot")
    assert await latest_flow(bot, person_id) == EXPECTED_FLOW[command]


def test_no_word_means_two_commands_in_one_language() -> None:
    from bot.conversation.answers import simplify

    for locale in LOCALES:
        seen: dict[str, str] = {}
        for command in (c.name for c in FLOWS.commands):
            for word in words(locale, command):
                key = simplify(word)
                assert seen.setdefault(key, command) == command, f"{locale}: {word!r} means two commands"
