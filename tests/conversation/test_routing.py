"""What her message means (bot/conversation/routing.py), without a database: the rules of
docs/decisions/0014-her-words-are-never-a-command.md and the invite code of a first message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.simulator import SimulatorChannel
from bot.conversation.interpreter import Interpreter
from bot.conversation.routing import Meaning, Router, invite_code
from bot.core.clock import FakeClock
from bot.db.models import Conversation, Person, PersonStatus, Role
from bot.messaging.channel import InboundEvent
from tests.support.harness import conversations

# Her words for "menu" and for "start ..." in each locale the tests speak; Arabic is written right to left.
MENU = {"en": "menu", "ar": "القائمة"}
START_AND_MORE = {"en": "start please", "ar": "ابدأ من فضلك"}
LOCALES = pytest.mark.parametrize("locale", ["en", "ar"])
SIMULATOR = SimulatorChannel(FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))


@pytest.fixture(scope="module")
def router() -> Router:
    flows, catalogs = conversations()
    return Router(flows, catalogs, Interpreter(flows))


def said(text: str) -> InboundEvent:
    return SIMULATOR.text("phone-1", text)


def person(locale: str, status: PersonStatus = PersonStatus.ACTIVE, role: Role = Role.PARTICIPANT) -> Person:
    return Person(id=1, role=role, status=status, locale=locale, timezone="Europe/Brussels")


def at(flow: str, step: str) -> Conversation:
    return Conversation(person_id=1, flow=flow, step=step, state={})


def no_context() -> dict[str, Any]:
    return {"name": "Amina"}


@LOCALES
def test_a_slash_command_interrupts_a_free_text_question(router: Router, locale: str) -> None:
    note = at("checkin", "note")  # "Do you want to tell your coach something?": free text
    assert router.meaning(said("/menu"), person(locale), note, no_context) == Meaning(command="menu")


@LOCALES
def test_a_command_word_alone_at_a_free_text_question_is_her_answer(router: Router, locale: str) -> None:
    note = at("checkin", "note")
    meaning = router.meaning(said(MENU[locale]), person(locale), note, no_context)
    assert meaning == Meaning(offer="menu")  # her answer; she is asked afterwards whether she meant the menu


def test_the_command_of_the_flow_she_is_in_is_not_offered_at_its_free_text_question(router: Router) -> None:
    meaning = router.meaning(said("check-in"), person("en"), at("checkin", "note"), no_context)
    assert meaning == Meaning()


@LOCALES
def test_a_command_word_at_a_choice_question_is_a_command(router: Router, locale: str) -> None:
    mood = at("checkin", "mood")  # "How are you this week?": a choice
    assert router.meaning(said(MENU[locale]), person(locale), mood, no_context) == Meaning(command="menu")


@LOCALES
def test_start_as_the_first_word_means_start_only_when_no_conversation_is_open(router: Router, locale: str) -> None:
    longer = said(START_AND_MORE[locale])
    assert router.command(longer, locale, first_word=True) == "start"
    assert router.meaning(longer, person(locale), None, no_context) == Meaning(command="menu")
    assert router.meaning(longer, person(locale, PersonStatus.INVITED), None, no_context) == Meaning()
    assert router.meaning(longer, person(locale), at("checkin", "mood"), no_context) == Meaning()  # her answer


def test_start_alone_while_in_a_flow_asks_its_question_again(router: Router) -> None:
    assert router.meaning(said("start"), person("en"), at("checkin", "mood"), no_context) == Meaning(again=True)
    assert router.meaning(said("/start"), person("en"), at("checkin", "note"), no_context) == Meaning(again=True)


def test_the_command_of_the_open_flow_asks_its_question_again(router: Router) -> None:
    assert router.meaning(said("/checkin"), person("en"), at("checkin", "mood"), no_context) == Meaning(again=True)


@LOCALES
def test_a_stopped_person_is_offered_to_resume_except_for_the_commands_she_keeps(router: Router, locale: str) -> None:
    stopped = person(locale, PersonStatus.STOPPED)
    assert router.meaning(said(MENU[locale]), stopped, None, no_context) == Meaning(stopped=True)
    assert router.meaning(said("/resume"), stopped, None, no_context) == Meaning(command="resume")
    assert router.meaning(said("yes"), stopped, at("forget", "sure"), no_context) == Meaning()


def test_a_coach_tool_typed_by_a_participant_is_just_her_words(router: Router) -> None:
    assert router.meaning(said("/match"), person("en"), None, no_context) == Meaning()
    coach = person("en", role=Role.COACH)
    assert router.meaning(said("/match"), coach, None, no_context) == Meaning(command="match")


def test_an_invite_code_is_recognised_alone_after_start_or_at_the_end_of_a_sentence() -> None:
    code = "ABCD2345EFGH"
    assert invite_code(said(code)) == code
    assert invite_code(said(code.lower())) == code
    assert invite_code(said(f"/start {code}")) == code
    assert invite_code(said(f"hello, my code is {code}")) == code


def test_a_message_without_an_invite_code_has_none() -> None:
    assert invite_code(said("hello")) is None
    assert invite_code(said("ABCD2345EFG")) is None  # one letter short
    assert invite_code(said("ABCD1234EFGH")) is None  # 1 is not in the alphabet (it looks like I)
    assert invite_code(said("ABCD2345EFGH thanks")) is None  # the code is the last word or nothing
    assert invite_code(SIMULATOR.press("phone-1", "ABCD2345EFGH")) is None
