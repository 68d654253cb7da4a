"""Nothing she sends is lost at a choice question either (issue 17 §1, decision 0015): a sentence sent where
buttons are asked is kept and offered to her coach as a note; a multiple choice that contradicts itself
("nothing" and a step) is asked again, kindly, in her language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.coaching.summary import collect
from bot.coaching.summary_text import render_lines
from bot.coaching.texts import CoachTexts
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, CheckIn, Conversation, Person, PersonStatus
from bot.messaging.channel import OutboundMessage
from tests.support.harness import Bot, Phone, onboarded

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SENTENCES = {
    "en": "I could not go because my son was ill and I had no one",
    "ar": "لم أستطع الذهاب لأن ابني كان مريضا ولم يكن عندي أحد",
}
NOTE_OFFER = "Send this to my coach as a note"
CONTRADICTION = "You chose “nothing” and another answer too. 🙂 Which one is right? Please choose again."
LOCALES = ["en", "ar"]


def step_of(message: OutboundMessage) -> set[str]:
    return {button.id.split("|", 1)[0] for button in message.buttons}


def note_buttons(message: OutboundMessage) -> list[str]:
    return [button.label for button in message.buttons if button.id.endswith("|_note")]


async def coach_phone(bot: Bot) -> Phone:
    """Her coach, Sara, on the simulator: she receives what is passed on to her."""
    sara = await bot.coach("Sara")
    phone = bot.phone()
    async with bot.db.transaction() as session:
        coach = await session.get(Person, sara)
        assert coach is not None
        coach.status = PersonStatus.ACTIVE
        session.add(
            ChannelIdentity(
                person_id=sara,
                channel=Channel.SIMULATOR,
                external_id=phone.external_id,
                created_at=bot.clock.now(),
                last_inbound_at=bot.clock.now(),
            )
        )
    return phone


async def notes_of(bot: Bot, person_id: int) -> list[str]:
    async with bot.db.reading() as session:
        rows = await session.scalars(
            select(CheckIn.note_ciphertext).where(CheckIn.person_id == person_id, CheckIn.note_ciphertext.is_not(None))
        )
        return [bot.cipher.decrypt(row) for row in rows]


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_sentence_at_a_choice_question_can_be_sent_to_her_coach_as_a_note(db: Database, locale: str) -> None:
    bot = Bot(db, FakeClock(MONDAY))
    person_id, phone = await onboarded(bot, locale=locale)
    sara = await coach_phone(bot)
    await phone.send("/checkin")
    [asked] = await phone.send(SENTENCES[locale])
    assert step_of(asked) == {"mood"}  # the mood question again...
    assert note_buttons(asked) == [f"📝 {bot.language(locale).gettext(NOTE_OFFER)}"]  # ...with the offer
    async with db.reading() as session:
        [state] = await session.scalars(select(Conversation.state).where(Conversation.person_id == person_id))
    assert SENTENCES[locale] not in str(state)  # kept encrypted, as every note is

    [again] = await phone.press(note_buttons(asked)[0])
    assert step_of(again) == {"mood"} and not note_buttons(again)  # the same question, the offer gone
    assert await notes_of(bot, person_id) == [SENTENCES[locale]]
    assert any(SENTENCES[locale] in message.text for message in sara.inbox)  # passed on to her coach at once
    async with db.reading() as session:
        person = await session.get(Person, person_id)
        assert person is not None and person.status is PersonStatus.ACTIVE
        [summary] = await collect(session, [await bot.coach("Sara")], MONDAY)
    texts = CoachTexts(bot.flows, bot.catalogs)
    lines = render_lines(texts, summary)
    assert lines[lines.index(texts.say("summary_note_name", summary.locale, name="Amina")) + 1].startswith("💬")

    [steps] = await phone.send("4")  # she answers, and the check-in goes on
    assert step_of(steps) == {"steps"}


@pytest.mark.parametrize("locale", LOCALES)
async def test_answering_the_question_drops_the_offer(db: Database, locale: str) -> None:
    bot = Bot(db, FakeClock(MONDAY))
    person_id, phone = await onboarded(bot, locale=locale)
    await phone.send("/checkin")
    await phone.send("1")  # mood
    [asked] = await phone.send(SENTENCES[locale])  # at the steps question (a multiple choice)
    assert step_of(asked) == {"steps"} and note_buttons(asked)
    [obstacles] = await phone.send("1")
    assert step_of(obstacles) == {"obstacles"} and not note_buttons(obstacles)
    assert await notes_of(bot, person_id) == []
    async with db.reading() as session:
        [state] = await session.scalars(select(Conversation.state).where(Conversation.person_id == person_id))
    assert "held_notes" not in state


@pytest.mark.parametrize(("locale", "typed"), [("en", "maybe"), ("ar", "ربما"), ("en", "7 9 12")])
async def test_a_short_unknown_answer_is_only_asked_again(db: Database, locale: str, typed: str) -> None:
    bot = Bot(db, FakeClock(MONDAY))
    _, phone = await onboarded(bot, locale=locale)
    await phone.send("/checkin")
    [asked] = await phone.send(typed)
    assert step_of(asked) == {"mood"} and not note_buttons(asked)


@pytest.mark.parametrize("locale", LOCALES)
async def test_nothing_and_a_step_together_is_asked_again_kindly(db: Database, locale: str) -> None:
    bot = Bot(db, FakeClock(MONDAY))
    person_id, phone = await onboarded(bot, locale=locale)
    await phone.send("/checkin")
    await phone.send("3")  # mood
    [asked] = await phone.send("1 6")  # "Talk with my coach" and "Nothing this week"
    assert step_of(asked) == {"steps"}
    assert asked.text.startswith(bot.language(locale).gettext(CONTRADICTION))
    pressed = await phone.deliver(bot.simulator.choose(phone.external_id, ("steps|volunteer", "steps|none")))
    assert step_of(pressed[-1]) == {"steps"}  # buttons that contradict each other: the same kind question
    [obstacles] = await phone.send("6")
    assert step_of(obstacles) == {"obstacles"}
    async with db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and checkin.steps == ["none"]


@pytest.mark.parametrize(("locale", "number"), [("en", "6"), ("ar", "٦")])
async def test_the_note_button_can_be_chosen_by_its_number(db: Database, locale: str, number: str) -> None:
    """WhatsApp's numbered menu and ``trampoline chat`` answer by number: the offer is listed last."""
    bot = Bot(db, FakeClock(MONDAY))
    person_id, phone = await onboarded(bot, locale=locale)
    await phone.send("/checkin")
    await phone.send(SENTENCES[locale])  # at the mood question: five moods, then the offer
    [again] = await phone.send(number)
    assert step_of(again) == {"mood"} and not note_buttons(again)
    assert await notes_of(bot, person_id) == [SENTENCES[locale]]
