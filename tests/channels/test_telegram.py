"""The Telegram channel end to end: the real python-telegram-bot library talks HTTP to a local Bot API
emulator (tests/emulators/telegram.py); the inbox, engine, database and outbox dispatcher are the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.channels.telegram import TelegramChannel, Timeouts
from bot.channels.telegram.render import DONE_ID, MAX_TEXT, keyboard_for, render, split_text, utf16_len
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.i18n import FIRST_STRONG_ISOLATE
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.models import (
    ChannelIdentity,
    CheckIn,
    ConsentRecord,
    Conversation,
    ConversationStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    ServiceSetting,
)
from bot.db.models import InboundEvent as InboundEventRow
from bot.messaging.channel import Button, InboundEvent, OutboundMessage, SendOutcome
from bot.runtime.inbox import Result
from bot.serve import start_telegram, stop_telegram, telegram_webhook_secret
from tests.emulators import LocalServer
from tests.emulators.telegram import TOKEN, TelegramEmulator, TelegramUser
from tests.support.harness import TEST_KEY, Bot
from tests.support.telegram import TelegramBot, onboarded_on_telegram

TESTDATA = Path(__file__).parent / "testdata" / "telegram"


# -- the bot on Telegram ---


async def count(db: Database, model: type, *where: object) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def active_step(db: Database, person_id: int) -> tuple[str, str] | None:
    async with db.reading() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.person_id == person_id, Conversation.status == ConversationStatus.ACTIVE
            )
        )
        return None if row is None else (row.flow, row.step)


def labels(message: dict[str, Any]) -> list[list[str]]:
    return [[b["text"] for b in row] for row in message.get("reply_markup", {}).get("inline_keyboard", [])]


# -- parsing: checked-in payloads ---


@pytest.mark.parametrize("sample", sorted(p.name for p in TESTDATA.glob("*.json")))
async def test_sample_payloads_become_the_expected_events(
    sample: str, telegram: TelegramEmulator, clock: FakeClock
) -> None:
    case = json.loads((TESTDATA / sample).read_text())
    channel = TelegramChannel(TOKEN, clock, base_url=telegram.url)
    try:
        events = await channel.receive(case["update"])
    finally:
        await channel.stop()
    expected = case["event"]
    if expected is None:
        assert events == []
        return
    (event,) = events
    assert event.channel is Channel.TELEGRAM
    assert event.dedupe_key == f"telegram:{TOKEN.split(':')[0]}:{case['update']['update_id']}"
    assert event.received_at == clock.now()
    shown = {"kind": event.kind.value, "external_id": event.external_id}
    for name in ("text", "choice", "media_kind", "media_ref", "language_hint", "is_group"):
        if name in expected:
            shown[name] = getattr(event, name)
    assert shown == expected


async def test_a_payload_that_is_not_an_update_is_refused(telegram: TelegramEmulator, clock: FakeClock) -> None:
    channel = TelegramChannel(TOKEN, clock, base_url=telegram.url)
    for payload in ({}, {"update_id": "x"}, {"message": {"text": "hi"}}):
        with pytest.raises(ValueError, match="not a Telegram update"):
            await channel.receive(payload)
    await channel.stop()


# -- conversations ---


async def test_onboarding_through_a_deep_link_in_arabic(tg: TelegramBot) -> None:
    person_id, code = await tg.base.invite()  # the organisation's language is Dutch; her phone's is Arabic
    user = tg.telegram.user(language_code="ar")
    arabic = tg.base.language("ar")

    await tg.deliver(user.text(f"/start {code}"))
    question = user.last
    assert question["text"] == arabic.gettext("Hello! 👋 Which language do you want to use?")
    assert labels(question)[0][0] == "العربية ✓"  # her phone's language first, marked as suggested
    assert all(len(row) == 2 for row in labels(question)[:-1])  # short labels: two to a row

    await tg.deliver(user.press("العربية", question))
    assert tg.telegram.called("answerCallbackQuery")
    answered = tg.telegram.messages[(user.id, question["message_id"])]
    assert answered["text"].endswith("\n\n✔️ العربية ✓") and "reply_markup" not in answered
    welcome, consent = user.inbox[-2:]
    assert FIRST_STRONG_ISOLATE + "Foyer" in welcome["text"]  # right-to-left text arrives as rendered
    assert consent["text"].startswith("قبل أن نبدأ") and labels(consent) == [
        [f"✅ {arabic.gettext('Yes')}", f"❌ {arabic.gettext('No')}"]
    ]

    await tg.deliver(user.press(arabic.gettext("Yes")))
    assert user.last["text"] == arabic.gettext("Thank you! What name do you want me to use for you?")
    await tg.deliver(user.text("أمينة"))

    async with tg.db.reading() as session:
        person = await session.get(Person, person_id)
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id))
    assert person is not None and identity is not None
    assert (person.locale, person.display_name) == ("ar", "أمينة")
    assert (identity.channel, identity.external_id) == (Channel.TELEGRAM, str(user.id))
    assert await active_step(tg.db, person_id) == ("onboarding", "age_group")
    assert "أمينة" in user.inbox[-2]["text"]


async def start_checkin(tg: TelegramBot) -> tuple[int, TelegramUser]:
    person_id, user = await onboarded_on_telegram(tg)
    await tg.deliver(user.text("check-in"))
    assert "How are you this week?" in user.last["text"]
    return person_id, user


async def test_answers_by_button_press_and_by_typed_text(tg: TelegramBot) -> None:
    person_id, user = await start_checkin(tg)
    mood = dict(user.last)  # as it is now: the press edits the message in place
    assert labels(mood) == [["😢 Very bad", "🙁 Not good"], ["😐 Okay", "🙂 Good"], ["😄 Very good"]]

    await tg.deliver(user.press("🙂 Good"))
    assert tg.telegram.messages[(user.id, mood["message_id"])]["text"] == f"{mood['text']}\n\n✔️ 🙂 Good"
    assert "reply_markup" not in tg.telegram.messages[(user.id, mood["message_id"])]
    assert "What did you do this week?" in user.last["text"]

    await tg.deliver(user.text("2, 3"))  # typed numbers answer the multiple choice too
    assert "Which step was it?" in user.last["text"]  # a job step: which one (issue 21)
    await tg.deliver(user.text("5"))
    assert "Was something difficult" in user.last["text"]
    async with tg.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None
    assert (checkin.mood, checkin.steps) == (4, ["volunteer", "job"])


async def test_multiple_choice_toggles_in_place_then_done_answers_once(tg: TelegramBot) -> None:
    person_id, user = await start_checkin(tg)
    await tg.deliver(user.press("Good"))
    await tg.deliver(user.text("1"))
    obstacles = user.last
    key = (user.id, obstacles["message_id"])
    assert labels(obstacles)[-1] == ["Done"]  # the confirm button, alone on the last row
    sent_before = len(user.inbox)

    await tg.deliver(user.press("Childcare"))
    await tg.deliver(user.press("Time"))
    await tg.deliver(user.press("Childcare"))  # pressed again: unmarked
    shown = [label for row in labels(tg.telegram.messages[key]) for label in row]
    assert "✅ ⏰ Time" in shown and "👶 Childcare" in shown and "✅ 👶 Childcare" not in shown
    # Two presses in one batch, both made on the keyboard as it was: neither is lost.
    snapshot = dict(tg.telegram.messages[key])
    await tg.deliver(user.press("Health", snapshot), user.press("Money", snapshot))
    shown = [label for row in labels(tg.telegram.messages[key]) for label in row]
    assert {"✅ ⏰ Time", "✅ 🩺 Health", "✅ 💶 Money"} <= set(shown)
    assert len(user.inbox) == sent_before  # toggling sends nothing and stores nothing
    assert await count(tg.db, InboundEventRow) == 3  # check-in, mood, steps: the toggles are not events

    await tg.deliver(user.press("Done"))
    done = tg.telegram.messages[key]
    assert done["text"].endswith("\n\n✔️ ⏰ Time, 🩺 Health, 💶 Money") and "reply_markup" not in done
    assert "tell your coach something" in user.last["text"]
    async with tg.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and checkin.obstacles == ["time", "health", "money"]
    assert await count(tg.db, InboundEventRow) == 4


async def test_a_voice_note_answers_the_note_question(tg: TelegramBot) -> None:
    person_id, user = await start_checkin(tg)
    await tg.deliver(user.press("Good"))
    await tg.deliver(user.text("1"))
    await tg.deliver(user.text("nothing"))
    assert "voice note" in user.last["text"]

    await tg.deliver(user.voice("AwACAgQAAxkBAAIBvoiceOfAmina"))
    assert "contact you?" in user.last["text"]
    async with tg.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and checkin.note_kind == "voice" and checkin.note_ciphertext is not None
    assert tg.base.cipher.decrypt(checkin.note_ciphertext) == "AwACAgQAAxkBAAIBvoiceOfAmina"


async def test_a_group_chat_gets_the_private_only_line(tg: TelegramBot) -> None:
    user = tg.telegram.user(language_code="fr")
    await tg.deliver(user.in_group(-100777, "/start@trampoline_test_bot"))
    (line,) = tg.telegram.chat(-100777)
    assert line["text"] == tg.base.language("fr").gettext(str(tg.base.flows.texts["private_only"]))
    assert await count(tg.db, ChannelIdentity) == 0
    async with tg.db.reading() as session:
        (event,) = (await session.scalars(select(InboundEventRow))).all()
    assert event.person_id is None


# -- the outbox's answers ---


async def test_a_429_is_retried_after_retry_after_without_a_duplicate(tg: TelegramBot) -> None:
    person_id, user = await onboarded_on_telegram(tg)
    tg.telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    await tg.deliver(user.text("help"))
    assert user.inbox == []
    async with tg.db.reading() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person_id)))
    throttled = [r for r in rows if r.attempts == 1 and r.status is OutboxStatus.PENDING]
    assert len(throttled) == 1 and throttled[0].next_attempt_at == tg.clock.now() + timedelta(seconds=7)

    assert await tg.dispatcher.dispatch_due() == 0  # not before Telegram said
    assert user.inbox == []
    tg.clock.advance(timedelta(seconds=7))
    await tg.dispatcher.dispatch_due()
    async with tg.db.reading() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person_id)))
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert len(user.inbox) == len(rows)  # each reply once, none twice
    assert len(tg.telegram.called("sendMessage")) == len(rows) + 1  # plus the one that was throttled


async def test_a_blocked_user_stops_her_messages(tg: TelegramBot) -> None:
    person_id, user = await onboarded_on_telegram(tg)
    tg.telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", times=10)
    await tg.deliver(user.text("help"))
    async with tg.db.reading() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id))
        statuses = set(await session.scalars(select(OutboxMessage.status).where(OutboxMessage.person_id == person_id)))
    assert identity is not None and identity.blocked_at == tg.clock.now()
    assert OutboxStatus.FAILED in statuses and OutboxStatus.SENT not in statuses
    calls = len(tg.telegram.called("sendMessage"))
    await tg.deliver(user.text("menu"))
    assert len(tg.telegram.called("sendMessage")) == calls  # nothing more is sent to her


async def test_a_server_error_is_tried_again_with_a_short_reason(tg: TelegramBot) -> None:
    tg.telegram.fail_next("sendMessage", 500, "Internal Server Error")
    result = await tg.channel.send("4242", OutboundMessage(text="Hello", locale="en"))
    assert (result.outcome, result.error) == (SendOutcome.UNREACHABLE, "telegram: Internal Server Error")


async def test_a_read_timeout_is_uncertain_and_a_refused_connection_unreachable(
    telegram: TelegramEmulator, clock: FakeClock
) -> None:
    slow = TelegramChannel(TOKEN, clock, base_url=telegram.url, timeouts=Timeouts(read=0.3))
    telegram.hang("sendMessage")
    result = await slow.send("4242", OutboundMessage(text="Hello", locale="en"))
    assert result.outcome is SendOutcome.UNCERTAIN  # it may have arrived: never sent again
    await slow.stop()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    away = TelegramChannel(TOKEN, clock, base_url=f"http://127.0.0.1:{closed}")
    result = await away.send("4242", OutboundMessage(text="Hello", locale="en"))
    assert result.outcome is SendOutcome.UNREACHABLE  # it never left: safe to try again
    await away.stop()


async def test_a_failing_command_menu_does_not_stop_the_bot(telegram: TelegramEmulator, clock: FakeClock) -> None:
    telegram.fail_next("setMyCommands", 500, "Internal Server Error", times=20)
    channel = TelegramChannel(TOKEN, clock, base_url=telegram.url, commands={None: [("help", "Help")]})
    await channel.start()
    result = await channel.send("4242", OutboundMessage(text="Hello", locale="en"))
    assert result.outcome is SendOutcome.SENT
    await channel.stop()


# -- rendering ---


def test_long_texts_are_split_at_a_paragraph_boundary() -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * 180 for n in range(6)]  # about 6,000 characters
    text = "\n\n".join(p.strip() for p in paragraphs)
    pieces = split_text(text)
    assert len(pieces) == 2 and all(utf16_len(p) <= MAX_TEXT for p in pieces)
    assert pieces[1].startswith("Paragraph ") and not pieces[0].endswith("\n")
    assert "\n\n".join(pieces) == text
    unbroken = "ا" * 5000  # no break at all: cut where it must
    assert [len(p) for p in split_text(unbroken)] == [4096, 904]
    emoji = "🙂" * 3000  # each is two UTF-16 units, as Telegram counts
    assert [utf16_len(p) for p in split_text(emoji)] == [4096, 1904]


async def test_a_long_text_goes_out_as_several_messages_with_the_keyboard_last(tg: TelegramBot) -> None:
    text = "\n\n".join(f"Part {n}. " + "x" * 1500 for n in range(4))
    message = OutboundMessage(text=text, locale="en", buttons=(Button("q|a", "A"), Button("q|b", "B")))
    result = await tg.channel.send("4242", message)
    first, second = tg.telegram.chat(4242)
    assert result.outcome is SendOutcome.SENT and result.provider_message_id == f"4242:{second['message_id']}"
    assert "reply_markup" not in first and labels(second) == [["A", "B"]]
    assert first["text"].endswith("x") and second["text"].startswith("Part ")


def test_keyboards_hold_one_long_or_two_short_labels_a_row() -> None:
    short = OutboundMessage(text="?", locale="en", buttons=tuple(Button(f"s|{n}", f"Day {n}") for n in range(3)))
    assert keyboard_for(short) == ((("s|0", "Day 0"), ("s|1", "Day 1")), (("s|2", "Day 2"),))
    long = OutboundMessage(
        text="?", locale="en", buttons=(Button("s|a", "Working with children"), Button("s|b", "Sewing"))
    )
    assert keyboard_for(long) == ((("s|a", "Working with children"),), (("s|b", "Sewing"),))
    multi = OutboundMessage(
        text="?",
        locale="ar",
        buttons=(Button("m|a", "أ"), Button("m|b", "ب"), Button("m|_skip", "⏭️ تخطي")),
        multiple=True,
        skippable=True,
        confirm_label="تم",
    )
    assert keyboard_for(multi)[-1] == (("m|_skip", "⏭️ تخطي"), (DONE_ID, "تم"))
    assert OutboundMessage.from_payload(multi.to_payload()) == multi
    # "Send this to my coach as a note" (decision 0015) is a plain press too, beside skip and confirm.
    offered = OutboundMessage(
        text="?",
        locale="ar",
        buttons=(Button("m|a", "أ"), Button("m|_skip", "⏭️ تخطي"), Button("m|_note", "📝 إرسال")),
        multiple=True,
        skippable=True,
        confirm_label="تم",
    )
    assert keyboard_for(offered) == ((("m|a", "أ"),), (("m|_skip", "⏭️ تخطي"), ("m|_note", "📝 إرسال"), (DONE_ID, "تم")))


async def test_an_image_goes_out_with_send_photo(tg: TelegramBot) -> None:
    message = OutboundMessage(text="Your shift on Saturday", locale="en", image_ref="AgACAgQAAxkBflyer")
    assert [p.photo for p in render(message)] == ["AgACAgQAAxkBflyer"]
    result = await tg.channel.send("4242", message)
    (photo,) = tg.telegram.called("sendPhoto")
    assert result.outcome is SendOutcome.SENT
    assert (photo["photo"], photo["caption"]) == ("AgACAgQAAxkBflyer", "Your shift on Saturday")
    assert tg.telegram.called("sendMessage") == []


# -- polling ---


async def test_polling_killed_mid_batch_processes_every_update_exactly_once(tg: TelegramBot) -> None:
    person_id, code = await tg.base.invite()
    user = tg.telegram.user(language_code="en")
    await tg.deliver(user.text(f"/start {code}"))
    tg.offset = await tg.channel.poll_once(tg.base.inbox.submit, tg.offset, long_poll=0)  # confirms it

    batch = [user.press("English"), user.text("yes"), user.text("Amina")]
    tg.telegram.queue(*batch)
    handed_over = 0
    stopping = asyncio.Event()

    async def submit_then_die(event: InboundEvent) -> Result:
        nonlocal handed_over
        handed_over += 1
        if handed_over > 1:
            await asyncio.Event().wait()  # the process dies before it hands over the rest
        result = await tg.base.inbox.submit(event)
        polling.cancel()  # killed right after the first update of the batch is committed
        return result

    polling = asyncio.create_task(tg.channel.poll(submit_then_die, stopping))
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    assert tg.telegram.confirmed <= batch[0]["update_id"]  # the batch was not confirmed to Telegram
    assert await count(tg.db, InboundEventRow) == 2

    restarted = TelegramChannel(TOKEN, tg.clock, base_url=tg.telegram.url)
    offset = await restarted.poll_once(tg.base.inbox.submit, None, long_poll=0)
    await restarted.poll_once(tg.base.inbox.submit, offset, long_poll=0)
    await tg.dispatcher.dispatch_due()
    await restarted.stop()

    assert tg.telegram.confirmed == batch[-1]["update_id"] + 1
    keys = [f"telegram:{tg.channel.bot_id}:{u['update_id']}" for u in batch]
    assert await count(tg.db, InboundEventRow, InboundEventRow.dedupe_key.in_(keys)) == 3
    async with tg.db.reading() as session:
        person = await session.get(Person, person_id)
        consents = await session.scalar(
            select(func.count()).select_from(ConsentRecord).where(ConsentRecord.person_id == person_id)
        )
        replies = list(await session.scalars(select(OutboxMessage.idempotency_key)))
    assert person is not None and person.display_name == "Amina"
    assert consents == 2  # data processing and messaging, once each
    assert await active_step(tg.db, person_id) == ("onboarding", "age_group")
    assert len(replies) == len(set(replies))
    assert [m["text"] for m in user.inbox].count(user.last["text"]) == 1  # the question is asked once


# -- webhooks ---


@pytest.fixture
async def webhook(database_url: str, clock: FakeClock, telegram: TelegramEmulator) -> AsyncIterator[App]:
    """The service as ``build_app`` makes it, serving its web app on a local port that is its public URL."""
    server = LocalServer()
    settings = Settings(
        database_url=database_url,
        public_url=server.url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.url,
        encryption_keys=TEST_KEY,
        rate_telegram_per_chat=100,
    )
    app = build_app(settings, clock)
    app.inbox.start()
    task = await start_telegram(app)
    await server.start(app.web)
    assert task is not None
    await task  # the webhook is set
    try:
        yield app
    finally:
        await server.stop()
        await stop_telegram(app, None)
        await app.inbox.stop()
        await app.db.dispose()


async def test_webhook_is_registered_with_a_kept_secret_and_answers_after_the_commit(
    webhook: App, telegram: TelegramEmulator
) -> None:
    assert telegram.webhook is not None
    assert telegram.webhook["url"] == f"{webhook.settings.public_url}/webhooks/telegram"
    assert telegram.webhook["allowed_updates"] == ["message", "callback_query"]
    async with webhook.db.reading() as session:
        kept = await session.get(ServiceSetting, "telegram_webhook_secret")
    assert kept is not None and telegram.webhook["secret_token"] == kept.value
    assert await telegram_webhook_secret(webhook) == kept.value  # a restart uses the same one
    assert telegram.commands[None][0] == {"command": "start", "description": "Start"}
    assert "ar" in telegram.commands

    person_id, code = await Bot(webhook.db, webhook.clock).invite()
    user = telegram.user()
    answer = await telegram.post_webhook(user.text(f"/start {code}"))
    assert answer.status_code == 200
    async with webhook.db.reading() as session:  # committed before the 200
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id))
    assert identity is not None and identity.external_id == str(user.id)
    await webhook.dispatcher.dispatch_due()
    assert "Which language" in user.last["text"]


async def test_the_same_update_delivered_twice_is_processed_once(webhook: App, telegram: TelegramEmulator) -> None:
    user = telegram.user()
    update = user.text("hello")
    for _ in range(2):  # Telegram delivers again when it did not see our answer
        assert (await telegram.post_webhook(update)).status_code == 200
    await webhook.dispatcher.dispatch_due()
    assert await count(webhook.db, InboundEventRow) == 1
    assert await count(webhook.db, OutboxMessage) == 1
    (reply,) = user.inbox
    assert reply["text"].startswith("Hello! This chat is for people in a coaching programme.")


async def test_the_webhook_refuses_a_wrong_secret_malformed_json_and_large_bodies(
    webhook: App, telegram: TelegramEmulator
) -> None:
    url = f"{webhook.settings.public_url}/webhooks/telegram"
    assert telegram.webhook is not None
    secret = {"X-Telegram-Bot-Api-Secret-Token": telegram.webhook["secret_token"]}
    update = telegram.user().text("hello")
    assert (await telegram.post_webhook(update, secret="wrong")).status_code == 403
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(url, json=update)).status_code == 403  # no secret at all
        assert (await client.post(url, content=b"{not json", headers=secret)).status_code == 400
        assert (await client.post(url, json=[update], headers=secret)).status_code == 400
        assert (await client.post(url, json={"hello": "world"}, headers=secret)).status_code == 400
        huge = {"update_id": 1, "padding": "x" * (1024 * 1024)}
        assert (await client.post(url, json=huge, headers=secret)).status_code == 413
    assert await count(webhook.db, InboundEventRow) == 0


async def test_the_webhook_answers_503_when_the_database_is_down(
    telegram: TelegramEmulator, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    server = LocalServer()
    settings = Settings(
        database_url=f"postgresql://nobody@127.0.0.1:{closed}/nothing",
        public_url=server.url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=telegram.url,
        telegram_webhook_secret="a-secret-from-the-environment",
        encryption_keys=TEST_KEY,
    )
    app = build_app(settings, clock)
    app.inbox.start()
    task = await start_telegram(app)
    await server.start(app.web)
    assert task is not None
    await task
    try:
        assert telegram.webhook is not None and telegram.webhook["secret_token"] == "a-secret-from-the-environment"
        with caplog.at_level(logging.INFO):
            answer = await telegram.post_webhook(telegram.user().text("my private words"))
        assert answer.status_code == 503  # Telegram keeps it and delivers it again
        assert "my private words" not in caplog.text
    finally:
        await server.stop()
        await stop_telegram(app, None)
        await app.inbox.stop()
        await app.db.dispose()


async def test_build_app_without_a_token_has_only_the_simulator(database_url: str, clock: FakeClock) -> None:
    app = build_app(Settings(database_url=database_url, encryption_keys=TEST_KEY), clock)
    try:
        assert app.telegram is None and set(app.dispatcher.adapters) == {Channel.SIMULATOR}
        assert await start_telegram(app) is None
        transport = httpx.ASGITransport(app=app.web)
        async with httpx.AsyncClient(transport=transport, base_url="http://trampoline") as client:
            assert (await client.post("/webhooks/telegram", json={})).status_code == 404
    finally:
        await app.db.dispose()
