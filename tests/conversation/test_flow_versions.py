"""Flows carry a version (issue 19 §7, decision 0023): a coordinator who renames a step raises the version
and says where a woman waiting at the old step continues, so a renamed step never strands her mid-flow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import load_conversations
from bot.conversation.flows import Flow, FlowError
from bot.conversation.service import ConversationService
from bot.db.models import CheckIn, Conversation, ConversationStatus, Person, PersonStatus
from tests.support.harness import WIRED, Bot, onboarded

STEPS = [{"id": "first", "ask": "text", "text": "One?"}, {"id": "third", "ask": "text", "text": "Three?"}]


def flow(**extra: object) -> Flow:
    return Flow.model_validate({"flow": "demo", "steps": STEPS, **extra})


def test_a_file_without_a_version_is_version_one() -> None:
    assert flow().version == 1
    assert flow().step_now("first", 1) == "first"


def test_renames_are_followed_through_every_later_version() -> None:
    demo = flow(version=3, changes={2: {"renamed": {"start": "second"}}, 3: {"renamed": {"second": "third"}}})
    assert demo.step_now("start", 1) == "third"  # started in version 1: both renames apply
    assert demo.step_now("second", 2) == "third"  # started in version 2: only the third version's
    assert demo.step_now("first", 1) == "first"  # untouched steps stay
    assert demo.step_now("gone", 1) is None  # a step removed without a word


def test_a_rename_must_lead_to_a_step_and_a_version_that_exists() -> None:
    with pytest.raises(ValueError, match="leads to no step"):
        flow(version=2, changes={2: {"renamed": {"old": "nowhere"}}})
    with pytest.raises(ValueError, match="not between 2"):
        flow(version=2, changes={3: {"renamed": {"old": "first"}}})


def renamed_checkin(tmp_path: Path) -> Path:
    """The shipped flows, with the check-in's note step renamed to ``message`` in a version 2."""
    directory = tmp_path / "conversations"
    shutil.copytree(Path(__file__).parents[2] / "conversations", directory)
    checkin = directory / "checkin.yaml"
    text = checkin.read_text(encoding="utf-8")
    assert "version: 1\n" in text and "  - id: note\n" in text
    text = text.replace("version: 1\n", "version: 2\nchanges:\n  2:\n    renamed: {note: message}\n", 1)
    text = text.replace("  - id: note\n", "  - id: message\n")
    checkin.write_text(text, encoding="utf-8")
    return directory


def new_version(bot: Bot, directory: Path) -> None:
    """The service restarted on the new flow files, with the same database."""
    flows, catalogs = load_conversations(WIRED.actions, directory=directory)
    bot.flows = flows
    bot.service = ConversationService(
        flows, catalogs, WIRED.actions, bot.cipher, images=bot.service.images, invites=bot.invites
    )
    bot.inbox.conversations = bot.service


@pytest.mark.parametrize("locale", ["nl", "ar"])
async def test_a_woman_waiting_at_a_renamed_step_gives_her_note_and_carries_on(
    bot: Bot, tmp_path: Path, locale: str
) -> None:
    person_id, phone = await onboarded(bot, locale=locale)
    for answer in ("/checkin", "1", "1", "1"):  # mood, steps, obstacles: she is now at the note question
        await phone.send(answer)
    async with bot.db.reading() as session:
        waiting = await session.scalar(select(Conversation).where(Conversation.person_id == person_id))
        assert waiting is not None and (waiting.step, waiting.flow_version) == ("note", 1)

    new_version(bot, renamed_checkin(tmp_path))
    note = "Ik begin maandag met de taalcursus" if locale == "nl" else "أبدأ دورة اللغة يوم الاثنين"
    await phone.send(note)
    await phone.send("1")  # yes, contact me: the question after the note

    async with bot.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
        assert checkin is not None and checkin.note_ciphertext is not None
        assert bot.cipher.decrypt(checkin.note_ciphertext) == note
        assert checkin.wants_contact is True
        conversation = await session.scalar(select(Conversation).where(Conversation.person_id == person_id))
        assert conversation is not None and conversation.flow_version == 2
        assert conversation.status is not ConversationStatus.ACTIVE  # the check-in finished
        person = await session.get(Person, person_id)
        assert person is not None and person.status is PersonStatus.ACTIVE


async def test_a_step_that_is_gone_asks_the_first_question_again(bot: Bot, tmp_path: Path) -> None:
    person_id, phone = await onboarded(bot, locale="en")
    for answer in ("/checkin", "1", "1", "1"):
        await phone.send(answer)
    directory = renamed_checkin(tmp_path)
    checkin = directory / "checkin.yaml"
    # A careless edit: the step renamed without saying so in ``changes``.
    checkin.write_text(
        checkin.read_text(encoding="utf-8").replace("    renamed: {note: message}\n", "    renamed: {}\n")
    )
    new_version(bot, directory)
    replies = await phone.send("hello")
    assert replies and "How are you this week?" in replies[-1].text  # asked again, not stuck or crashed
    async with bot.db.reading() as session:
        conversation = await session.scalar(
            select(Conversation).where(
                Conversation.person_id == person_id, Conversation.status == ConversationStatus.ACTIVE
            )
        )
        assert conversation is not None and conversation.step == "mood"


def test_flows_check_refuses_a_rename_to_nowhere(tmp_path: Path) -> None:
    directory = renamed_checkin(tmp_path)
    checkin = directory / "checkin.yaml"
    checkin.write_text(checkin.read_text(encoding="utf-8").replace("{note: message}", "{note: nowhere}"))
    with pytest.raises(FlowError, match="leads to no step"):
        load_conversations(WIRED.actions, directory=directory)
