"""The corpus of ordinary notes that hold command words (issue 17), made from the catalogs' command words and
the sentence frames of tests/data/her_words_frames.yaml, and a check-in that sends one as her note."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from bot.conversation.answers import simplify
from bot.conversation.flows import FlowSet
from bot.core.i18n import Catalogs
from bot.db.models import CheckIn, Conversation, ConversationStatus, Person, PersonStatus
from tests.support.harness import Bot, Phone

FRAMES = Path(__file__).parent.parent / "data" / "her_words_frames.yaml"


def command_words(flows: FlowSet, catalogs: Catalogs, locale: str) -> list[tuple[str, bool]]:
    """Every word that runs a command for a participant in ``locale``, once each, and whether it is her
    language's own word (the catalog's) rather than an English one (which works in every language)."""
    tr = catalogs.translations(locale)
    found: dict[str, tuple[str, bool]] = {}
    for command in flows.commands:
        if command.roles and "participant" not in command.roles:
            continue  # a coach's tool: for her it is just a word
        own = command.words.split("|") if locale == "en" else tr.pgettext("command", command.words).split("|")
        for word in own:
            if simplify(word):
                found.setdefault(simplify(word), (word, True))
        for word in command.words.split("|"):
            if simplify(word):
                found.setdefault(simplify(word), (word, False))
    return list(found.values())


def corpus(flows: FlowSet, catalogs: Catalogs, locale: str) -> list[tuple[str, str]]:
    """(how, note): each command word of her language alone, starting a note and inside one; each English
    command word alone (the English words work in every language; inside her language's sentences they are
    rare, and they are tested in all three places in English)."""
    frames = yaml.safe_load(FRAMES.read_text(encoding="utf-8"))[locale]
    notes: list[tuple[str, str]] = []
    for number, (word, own) in enumerate(command_words(flows, catalogs, locale)):
        notes.append(("alone", word))
        if own:
            notes.append(("first", frames["first"][number % len(frames["first"])].format(word=word)))
            notes.append(("inside", frames["inside"][number % len(frames["inside"])].format(word=word)))
    return notes


NOTE_STEP = "note"


def first_word(flows: FlowSet, catalogs: Catalogs, locale: str, command: str) -> str:
    source = next(c.words for c in flows.commands if c.name == command)
    words = source if locale == "en" else catalogs.translations(locale).pgettext("command", source)
    return words.split("|")[0]


def representative(flows: FlowSet, catalogs: Catalogs, locale: str) -> list[tuple[str, str]]:
    """Three notes of the corpus for the slower paths (chat, a platform): her "forget" word alone, a note that
    starts with her "start" word, and one with her "stop" word inside."""
    frames = yaml.safe_load(FRAMES.read_text(encoding="utf-8"))[locale]
    return [
        ("alone", first_word(flows, catalogs, locale, "forget")),
        ("first", frames["first"][0].format(word=first_word(flows, catalogs, locale, "start"))),
        ("inside", frames["inside"][0].format(word=first_word(flows, catalogs, locale, "stop"))),
    ]


async def at_the_note(phone: Phone) -> None:
    """A check-in up to her note to the coach: mood, one step, one obstacle (typed as numbers)."""
    await phone.send("/checkin")
    for number in ("4", "1", "1"):
        await phone.send(number)


async def stored_note(bot: Bot, person_id: int) -> str | None:
    async with bot.db.reading() as session:
        checkin = await session.scalar(
            select(CheckIn).where(CheckIn.person_id == person_id).order_by(CheckIn.id.desc()).limit(1)
        )
    if checkin is None or checkin.note_ciphertext is None:
        return None
    return bot.cipher.decrypt(checkin.note_ciphertext)


async def still_with_us(bot: Bot, person_id: int) -> bool:
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
    return person is not None and person.status is PersonStatus.ACTIVE


async def back_to_the_note(bot: Bot, person_id: int, checkin_id: int) -> None:
    """Her check-in is at the note question again (the question she answered last), nothing else open: the
    next note of the corpus is asked as the first was, without answering mood, steps and obstacles again."""
    async with bot.db.transaction() as session:
        rows = await session.scalars(
            select(Conversation).where(
                Conversation.person_id == person_id,
                Conversation.status.in_([ConversationStatus.ACTIVE, ConversationStatus.WAITING]),
            )
        )
        for row in rows:
            if row.id != checkin_id:
                row.status = ConversationStatus.CANCELLED
        checkin = await session.get(Conversation, checkin_id)
        assert checkin is not None
        checkin.status, checkin.step = ConversationStatus.ACTIVE, NOTE_STEP
        checkin.state = {k: v for k, v in checkin.state.items() if k != "suspended"}
        checkin.expires_at = bot.clock.now() + timedelta(days=1)
        flag_modified(checkin, "state")


async def open_checkin(bot: Bot, person_id: int) -> int:
    async with bot.db.reading() as session:
        found = await session.scalar(
            select(Conversation.id)
            .where(Conversation.person_id == person_id, Conversation.flow == "checkin")
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    assert found is not None
    return found
