"""Conversations end to end through the real inbox, engine, actions, database and outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.i18n import FIRST_STRONG_ISOLATE
from bot.db.engine import Database
from bot.db.models import (
    Alert,
    ChannelIdentity,
    CheckIn,
    ConsentKind,
    ConsentRecord,
    Conversation,
    ConversationStatus,
    InboundEvent,
    OutboxMessage,
    Person,
    PersonStatus,
    Profile,
)
from tests.support.harness import Bot, onboarded, texts


async def count(db: Database, model: type, *where: object) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_onboarding_through_an_invite_then_a_checkin_in_english(bot: Bot) -> None:
    person_id, code = await bot.invite()
    phone = bot.phone(language_hint="en")
    replies = await phone.send(f"/start {code}")
    assert "Which language" in replies[-1].text
    assert replies[-1].buttons[0].label.startswith("English")  # her phone's language first
    replies = await phone.press("English")
    assert "Foyer" in texts(replies) and "Sara" in texts(replies)
    assert "Is this okay for you?" in replies[-1].text
    await phone.press("Yes")
    await phone.send("Amina")
    for _ in ("age", "children"):
        await phone.press("Skip")
    await phone.press("Secondary")
    await phone.send("yes")  # paid job
    for _ in ("languages", "level", "interests", "availability"):
        await phone.press("Skip")
    await phone.press("Wednesday")
    await phone.press("Evening")
    replies = await phone.press("22:00")
    assert "All done, Amina!" in replies[-1].text

    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
        profile = await session.get(Profile, person_id)
        consents = list(await session.scalars(select(ConsentRecord).where(ConsentRecord.person_id == person_id)))
    assert person is not None and profile is not None
    assert (person.status, person.display_name, person.locale) == (PersonStatus.ACTIVE, "Amina", "en")
    assert (person.checkin_weekday, f"{person.checkin_time:%H:%M}") == (2, "19:00")
    assert (f"{person.quiet_start:%H:%M}", f"{person.quiet_end:%H:%M}") == ("22:00", "07:00")
    assert (profile.schooling, profile.ever_paid_job, profile.age_group) == ("secondary", True, None)
    assert {(c.kind, c.granted) for c in consents} == {
        (ConsentKind.DATA_PROCESSING, True),
        (ConsentKind.MESSAGING, True),
    }

    await phone.send("check-in")
    await phone.press("Good")
    await phone.send("2, 3")
    await phone.press("Job interview")  # which job step (her steps)
    await phone.press("Childcare")
    await phone.send("I found a course for my daughter")
    replies = await phone.press("Yes")
    assert "Volunteer work" in replies[-1].text and "A job step" in replies[-1].text
    assert "you took 2 steps" in replies[-1].text

    async with bot.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
        alerts = list(await session.scalars(select(Alert)))
    assert checkin is not None and checkin.completed_at == bot.clock.now()
    assert (checkin.mood, checkin.steps, checkin.obstacles) == (4, ["volunteer", "job"], ["childcare"])
    assert checkin.wants_contact is True and checkin.note_kind == "text"
    # Her note is encrypted at rest.
    assert checkin.note_ciphertext is not None and "course" not in checkin.note_ciphertext
    assert bot.cipher.decrypt(checkin.note_ciphertext) == "I found a course for my daughter"
    assert [(a.participant_id, a.kind) for a in alerts] == [(person_id, "contact_request")]


async def test_a_voice_note_is_an_answer_to_a_free_text_question(bot: Bot) -> None:
    person_id, phone = await onboarded(bot)
    await phone.send("check-in")
    for answer in ("5", "1", "nothing"):
        await phone.send(answer)
    replies = await phone.voice("voice-abc")
    assert "contact you?" in replies[-1].text
    async with bot.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and checkin.note_kind == "voice"
    assert bot.cipher.decrypt(checkin.note_ciphertext or "") == "voice-abc"


async def test_the_same_event_twice_is_processed_once(bot: Bot) -> None:
    _, phone = await onboarded(bot)
    await phone.send("check-in")
    event = bot.simulator.text(phone.external_id, "4")
    first = await bot.inbox.process([event])
    again = await bot.inbox.process([event])
    assert [r.handled.value for r in first + again] == ["processed", "duplicate"]
    await bot.dispatcher.dispatch_due()
    async with bot.db.reading() as session:
        conversation = await session.scalar(select(Conversation).where(Conversation.flow == "checkin"))
    assert conversation is not None and conversation.step == "steps"
    assert await count(bot.db, InboundEvent, InboundEvent.dedupe_key == event.dedupe_key) == 1
    replies = await count(bot.db, OutboxMessage, OutboxMessage.idempotency_key.like(f"reply:{event.dedupe_key}:%"))
    assert replies == 1


async def test_one_group_keeps_each_persons_order_and_survives_a_bad_event(bot: Bot) -> None:
    first_id, first = await onboarded(bot)
    second_id, second = await onboarded(bot)
    await first.send("check-in")
    await second.send("check-in")

    class Exploding(type(bot.service)):  # type: ignore[misc]
        async def handle(self, session, event, now):  # type: ignore[no-untyped-def]
            if event.text == "explode":
                raise RuntimeError("boom")
            return await super().handle(session, event, now)

    bot.inbox.conversations = Exploding(
        bot.flows, bot.catalogs, bot.service.actions, bot.cipher, images=bot.service.images
    )
    sim = bot.simulator
    results = await bot.inbox.process(
        [
            sim.text(first.external_id, "4"),  # mood
            sim.text(second.external_id, "explode"),
            sim.text(first.external_id, "2"),  # steps: only right if mood was handled first
            sim.text(second.external_id, "1"),
        ]
    )
    assert [r.handled.value for r in results] == ["processed", "failed", "processed", "processed"]
    async with bot.db.reading() as session:
        rows = {
            c.person_id: c for c in await session.scalars(select(Conversation).where(Conversation.flow == "checkin"))
        }
        checkins = {c.person_id: c for c in await session.scalars(select(CheckIn))}
    assert rows[first_id].step == "obstacles" and checkins[first_id].steps == ["volunteer"]
    assert rows[second_id].step == "steps" and checkins[second_id].mood == 1
    assert await count(bot.db, InboundEvent, InboundEvent.outcome == "failed") == 1


async def test_the_group_commit_worker_commits_a_burst_together(bot: Bot) -> None:
    import asyncio

    phones = [(await onboarded(bot))[1] for _ in range(12)]
    bot.inbox.start()
    try:
        results = await asyncio.gather(*(phone.submit("menu") for phone in phones))
    finally:
        await bot.inbox.stop()
    assert {r.handled.value for r in results} == {"processed"}
    assert bot.inbox.groups_committed == 1
    assert await count(bot.db, Conversation, Conversation.flow == "menu") == 12


async def test_a_conversation_resumes_at_the_right_step_after_a_restart(db: Database, clock: FakeClock) -> None:
    before = Bot(db, clock)
    person_id, phone = await onboarded(before)
    await phone.send("check-in")
    await phone.send("3")
    # The process dies; a new one is built from nothing but the database.
    after = Bot(db, clock)
    phone.bot = after
    phone.seen = 0
    replies = await phone.send("1 2")
    assert "difficult" in replies[-1].text  # the obstacles question: the step after "steps"
    async with db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and (checkin.mood, checkin.steps) == (3, ["coaching", "volunteer"])


async def test_a_checkin_left_open_expires_after_three_days(bot: Bot) -> None:
    _, phone = await onboarded(bot)
    await phone.send("check-in")
    bot.clock.advance(timedelta(days=3, minutes=1))
    replies = await phone.send("4")
    assert "What do you want to do?" in replies[-1].text  # not taken as a late mood answer
    async with bot.db.reading() as session:
        statuses = {c.flow: c.status for c in await session.scalars(select(Conversation))}
    assert statuses["checkin"] is ConversationStatus.EXPIRED


async def test_help_in_the_middle_of_a_checkin_comes_back_to_the_question(bot: Bot) -> None:
    _, phone = await onboarded(bot)
    await phone.send("check-in")
    await phone.send("4")
    replies = await phone.send("help")
    assert "Words you can send" in replies[0].text
    assert "What did you do this week?" in replies[-1].text
    replies = await phone.send("1")
    assert "difficult" in replies[-1].text


async def test_asking_for_a_checkin_during_onboarding_finishes_onboarding_first(bot: Bot) -> None:
    _, code = await bot.invite()
    phone = bot.phone(language_hint="en")
    await phone.send(f"START {code}")
    replies = await phone.send("check-in")
    assert replies[-1].text.startswith("Let's first finish this question.")
    assert "Which language" in replies[-1].text


async def test_stop_then_any_message_offers_to_start_again(bot: Bot) -> None:
    person_id, phone = await onboarded(bot)
    replies = await phone.send("stop")
    assert "stop all messages" in replies[-1].text
    assert "Keep messages" in replies[-1].buttons[0].label  # the safe answer first
    await phone.press("Stop messages")
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
        withdrawn = await session.scalar(
            select(ConsentRecord).where(ConsentRecord.kind == ConsentKind.MESSAGING, ConsentRecord.granted.is_(False))
        )
    assert person is not None and person.status is PersonStatus.STOPPED and withdrawn is not None
    replies = await phone.send("hello?")
    assert "start again" in replies[-1].text
    replies = await phone.press("Yes")
    assert "Welcome back" in replies[-1].text
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
    assert person is not None and person.status is PersonStatus.ACTIVE


async def test_pause_for_two_weeks(bot: Bot) -> None:
    person_id, phone = await onboarded(bot)
    await phone.send("pause")
    replies = await phone.press("2 weeks")
    assert "No reminders until" in replies[-1].text
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
    assert person is not None and person.status is PersonStatus.PAUSED
    assert person.paused_until == bot.clock.now() + timedelta(weeks=2)
    await phone.send("resume")
    async with bot.db.reading() as session:
        person = await session.get(Person, person_id)
    assert person is not None and person.status is PersonStatus.ACTIVE and person.paused_until is None


async def test_contact_my_coach_reaches_the_coach_on_her_phone(bot: Bot) -> None:
    coach_id = await bot.coach("Sara")
    coach_phone = bot.phone()
    async with bot.db.transaction() as session:
        session.add(
            ChannelIdentity(
                person_id=coach_id, channel=bot.simulator.name, external_id=coach_phone.external_id,
                created_at=bot.clock.now(),
            )
        )  # fmt: skip
    _, phone = await onboarded(bot)
    await phone.send("coach")
    replies = await phone.press("Yes")
    assert "Your coach will contact you soon" in replies[-1].text
    # The coach reads it in her own language (the organisation's default, Dutch).
    expected = bot.language("nl").gettext("📞 {name} asks you to contact her.").format(name="Amina")
    assert [m.text for m in coach_phone.inbox] == [expected]


async def test_someone_without_an_invite_gets_one_answer_and_nothing_is_kept(bot: Bot) -> None:
    stranger = bot.phone(language_hint="fr")
    replies = await stranger.send("Bonjour")
    assert len(replies) == 1 and not replies[0].buttons
    assert await count(bot.db, ChannelIdentity) == 0
    assert await count(bot.db, Person) == 0
    replies = await stranger.send("/start AAAAAAAAAAAA")
    assert len(replies) == 1


async def test_an_invite_works_once(bot: Bot) -> None:
    _, code = await bot.invite()
    await bot.phone().send(f"/start {code}")
    other = bot.phone(language_hint="en")
    replies = await other.send(f"/start {code}")
    assert replies[-1].text == "Hello! This code does not work anymore. Please ask your coach for a new one."
    assert await count(bot.db, ChannelIdentity) == 1


async def test_an_expired_invite_does_not_work(bot: Bot) -> None:
    _, code = await bot.invite()
    bot.clock.advance(timedelta(days=31))
    replies = await bot.phone(language_hint="en").send(code)
    assert "does not work anymore" in replies[-1].text


async def test_right_to_left_replies_isolate_names(bot: Bot) -> None:
    if "ar" not in bot.catalogs.available():
        pytest.skip("no Arabic catalog")
    _, phone = await onboarded(bot, locale="ar")
    replies = await phone.send("menu")
    assert replies[-1].right_to_left
    assert f"{FIRST_STRONG_ISOLATE}Amina" in replies[-1].text


async def test_a_choice_that_is_also_a_command_word_is_her_answer(bot: Bot) -> None:
    person_id, phone = await onboarded(bot)
    await phone.send("check-in")
    await phone.send("4")
    await phone.send("2")
    replies = await phone.send("Language")  # an obstacle, and also the command to change language
    assert "tell your coach something" in replies[-1].text
    async with bot.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and checkin.obstacles == ["language"]


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_multiple_choice_typed_as_numbers_is_said_back_where_the_channel_says_choices_are_typed(
    bot: Bot, locale: str
) -> None:
    language = bot.language(locale)
    chosen = language.gettext("You chose:")
    _, typing = await onboarded(bot, locale)
    _, tapping = await onboarded(bot, locale)
    for phone in (typing, tapping):
        await phone.send("/checkin")
        await phone.press(1)  # how she is: the steps she took come next, a multiple choice
    typed = replace(bot.simulator.text(typing.external_id, "2 3"), typed_choices=True)
    said_back = (await typing.deliver(typed))[0].text
    assert said_back.startswith(chosen)
    assert language.gettext("Volunteer work") in said_back and language.gettext("A job step") in said_back
    assert not any(m.text.startswith(chosen) for m in await tapping.send("2 3"))  # she saw her ticks
