"""A voice note for her coach reaches the coach as audio she can play, whatever the two channels are: pywa and
python-telegram-bot talk HTTP to the local Graph API and Bot API emulators, WhatsApp webhooks are posted to
the service's web app, and the inbox, engine, database and outbox dispatcher are the real ones. The note is
fetched from the platform it came from and sent to the coach's platform as bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, OutboxMessage, OutboxStatus, Person, PersonStatus
from bot.messaging.channel import OutboundMessage
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.messaging.receipts import record_statuses
from bot.web.asgi import create_web_app
from tests.emulators.telegram import TOKEN, TelegramEmulator, TelegramUser
from tests.emulators.whatsapp import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    Sent,
    WhatsAppEmulator,
    WhatsAppUser,
    raw,
    sign,
)
from tests.support.harness import Bot

LOCALES = ["en", "ar"]  # Arabic is written right to left
VOICE_NOTE = b"OggS\x00\x02voice-note-of-amina" + bytes(range(256))
COACH_WA_ID = "32470999888"
COACH_TG_ID = 5151


async def no_wait(_: float) -> None:
    return None


@dataclass
class TwoChannels:
    """The bot with both the WhatsApp and the Telegram adapter, in one worker unless told otherwise."""

    base: Bot
    graph: WhatsAppEmulator
    telegram: TelegramEmulator
    whatsapp: WhatsAppChannel
    tg: TelegramChannel
    web: httpx.AsyncClient
    offset: int | None = None

    @property
    def db(self) -> Database:
        return self.base.db

    @property
    def clock(self) -> FakeClock:
        return self.base.clock

    def dispatcher(self, *channels: Channel) -> Dispatcher:
        """A worker with the adapters of ``channels`` (default: both); rate limits count fake time."""
        adapters = {Channel.WHATSAPP: self.whatsapp, Channel.TELEGRAM: self.tg}
        chosen = {c: adapters[c] for c in channels or tuple(adapters)}
        limiters = {
            c: RateLimiter(ChannelRate(80.0, 1.0), monotonic=lambda: self.clock.now().timestamp(), sleep=no_wait)
            for c in chosen
        }
        return Dispatcher(self.db, chosen, self.clock, DispatchPolicy(), limiters=limiters)

    async def from_whatsapp(self, payload: dict[str, Any]) -> None:
        """Meta posts this webhook; it is accepted; then a worker with both adapters sends what is due."""
        body = raw(payload)
        headers = {"content-type": "application/json", "x-hub-signature-256": sign(body)}
        answer = await self.web.post("/webhooks/whatsapp", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        await self.dispatcher().dispatch_due()

    async def from_telegram(self, update: dict[str, Any]) -> None:
        """Telegram has this update: one polling round, then a worker with both adapters sends what is due."""
        self.telegram.queue(update)
        self.offset = await self.tg.poll_once(self.base.inbox.submit, self.offset, long_poll=0)
        await self.dispatcher().dispatch_due()


@pytest.fixture
async def both(db: Database, clock: FakeClock) -> AsyncIterator[TwoChannels]:
    graph, telegram = WhatsAppEmulator(), TelegramEmulator()
    async with graph.serving(), telegram.serving():
        base = Bot(db, clock)
        whatsapp = WhatsAppChannel(PHONE_NUMBER_ID, ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, clock, base_url=graph.url)
        tg = TelegramChannel(TOKEN, clock, base_url=telegram.url)
        await tg.start()
        web = create_web_app(
            db,
            submit=base.inbox.submit,
            whatsapp=whatsapp,
            statuses=lambda statuses: record_statuses(db, Channel.WHATSAPP, statuses, clock.now()),
        )
        base.inbox.start()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://service")
        try:
            yield TwoChannels(base, graph, telegram, whatsapp, tg, client)
        finally:
            await client.aclose()
            await base.inbox.stop()
            await tg.stop()
            await whatsapp.stop()


async def coach_on(both: TwoChannels, channel: Channel, locale: str) -> None:
    """Her coach, Sara, active on ``channel`` (she wrote to the bot just now: WhatsApp's window is open)."""
    coach_id = await both.base.coach("Sara")
    external_id = COACH_WA_ID if channel is Channel.WHATSAPP else str(COACH_TG_ID)
    await active_on(both, coach_id, channel, external_id, locale=locale)


async def participant_on(both: TwoChannels, channel: Channel, locale: str, external_id: str) -> None:
    """Amina, a participant of Sara who finished onboarding, with ``channel`` on her phone."""
    person_id, _ = await both.base.invite(locale=locale, coach="Sara")
    await active_on(both, person_id, channel, external_id, name="Amina")


async def active_on(
    both: TwoChannels,
    person_id: int,
    channel: Channel,
    external_id: str,
    *,
    locale: str | None = None,
    name: str | None = None,
) -> None:
    async with both.db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.status = PersonStatus.ACTIVE
        person.locale = locale or person.locale
        person.display_name = name or person.display_name
        session.add(
            ChannelIdentity(
                person_id=person_id,
                channel=channel,
                external_id=external_id,
                created_at=both.clock.now(),
                last_inbound_at=both.clock.now(),
            )
        )


def pick(user: WhatsAppUser, value: str) -> dict[str, Any]:
    """Press the reply button, or pick the list row, whose id ends with ``value`` in the last interactive
    message she got: the same in every language."""
    question = next(s for s in reversed(user.inbox) if s.type == "interactive")
    action = question.body["action"]
    if question.body["type"] == "button":
        options, kind = [b["reply"] for b in action["buttons"]], "button_reply"
    else:
        options, kind = [row for section in action["sections"] for row in section["rows"]], "list_reply"
    chosen = next(o for o in options if o["id"].endswith(value))
    reply = {"id": chosen["id"], "title": chosen["title"]}
    return user._message("interactive", {"type": kind, kind: reply}, context=question.wamid)


async def checkin_with_a_voice_note_on_whatsapp(both: TwoChannels, user: WhatsAppUser, media_id: str) -> None:
    """Her weekly check-in on WhatsApp, with a voice note for her coach as its note."""
    await both.from_whatsapp(user.text("/checkin"))
    await both.from_whatsapp(pick(user, "4"))  # her mood
    await both.from_whatsapp(user.text("1"))  # a step she took
    await both.from_whatsapp(user.text("1"))  # what was hard
    await both.from_whatsapp(user.voice(media_id))
    await both.from_whatsapp(pick(user, "no"))  # no call needed


async def voice_note_from_whatsapp(
    both: TwoChannels, coach_channel: Channel, locale: str, failing_downloads: int = 0
) -> None:
    """Amina, on WhatsApp, ends her check-in with a voice note for Sara, who is on ``coach_channel``; the
    first ``failing_downloads`` downloads of the note fail."""
    await coach_on(both, coach_channel, locale)
    await participant_on(both, Channel.WHATSAPP, locale, "32471234567")
    both.graph.add_media("1037543291543636", VOICE_NOTE)
    both.graph.fail_downloads(failing_downloads)
    await checkin_with_a_voice_note_on_whatsapp(both, WhatsAppUser(both.graph, "32471234567"), "1037543291543636")


def button_data(user: TelegramUser) -> list[tuple[str, str]]:
    """The (callback data, label) of each button of her latest message with a keyboard."""
    message = [m for m in user.inbox if m.get("reply_markup")][-1]
    return [(b["callback_data"], b["text"]) for row in message["reply_markup"]["inline_keyboard"] for b in row]


def to_coach_on_whatsapp(both: TwoChannels) -> list[Sent]:
    return both.graph.to(COACH_WA_ID)


async def outbox_rows_to_coach(both: TwoChannels) -> list[OutboxMessage]:
    async with both.db.reading() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
        # Once sent, a row keeps only the kind of media it carried (bot.db.sealing.reduce_after_send).
        return [row for row in rows if row.payload.get("media") or row.payload.get("media_kind")]


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_voice_note_from_whatsapp_reaches_a_coach_on_whatsapp_as_audio(both: TwoChannels, locale: str) -> None:
    await voice_note_from_whatsapp(both, Channel.WHATSAPP, locale)
    to_coach = to_coach_on_whatsapp(both)
    assert [s.type for s in to_coach] == ["text", "audio"]  # who it is from, then her voice
    assert "Amina" in to_coach[0].body["body"]
    upload = both.graph.uploads[to_coach[1].body["id"]]
    assert upload.data == VOICE_NOTE
    assert upload.mime_type == "audio/ogg"


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_voice_note_from_whatsapp_reaches_a_coach_on_telegram_as_a_voice_message(
    both: TwoChannels, locale: str
) -> None:
    await voice_note_from_whatsapp(both, Channel.TELEGRAM, locale)
    to_coach = both.telegram.chat(COACH_TG_ID)
    assert "Amina" in to_coach[0]["text"]
    assert [m.get("voice") is not None for m in to_coach] == [False, True]
    assert both.telegram.uploads[to_coach[1]["voice"]["file_id"]] == VOICE_NOTE


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_voice_note_from_telegram_reaches_a_coach_on_whatsapp_as_audio(both: TwoChannels, locale: str) -> None:
    await coach_on(both, Channel.WHATSAPP, locale)
    await participant_on(both, Channel.TELEGRAM, locale, "4242")
    both.telegram.add_file("AwACAgQAAxkBAAIBvoice", VOICE_NOTE, "voice/file_7.oga")
    user = TelegramUser(both.telegram, 4242, "Amina", locale)
    await both.from_telegram(user.text("/checkin"))
    await both.from_telegram(user.press("🙂"))  # her mood
    await both.from_telegram(user.press("🗣️"))  # a step she took
    await both.from_telegram(user.press(button_data(user)[-1][1]))  # done
    await both.from_telegram(user.press("👍"))  # nothing was hard
    await both.from_telegram(user.press(button_data(user)[-1][1]))  # done
    await both.from_telegram(user.voice("AwACAgQAAxkBAAIBvoice"))
    await both.from_telegram(user.press(next(label for data, label in button_data(user) if data.endswith("no"))))
    to_coach = to_coach_on_whatsapp(both)
    assert [s.type for s in to_coach] == ["text", "audio"]
    upload = both.graph.uploads[to_coach[1].body["id"]]
    assert upload.data == VOICE_NOTE
    assert upload.mime_type == "audio/ogg"


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_failed_download_is_tried_again_and_the_note_is_not_lost(both: TwoChannels, locale: str) -> None:
    await voice_note_from_whatsapp(both, Channel.TELEGRAM, locale, failing_downloads=2)
    assert both.telegram.chat(COACH_TG_ID) == []  # nothing yet, not even the text without the voice
    [row] = await outbox_rows_to_coach(both)
    assert row.status is OutboxStatus.PENDING and row.next_attempt_at is not None
    for _ in range(2):
        both.clock.set(row.next_attempt_at)
        await both.dispatcher().dispatch_due()
        [row] = await outbox_rows_to_coach(both)
        assert row.next_attempt_at is not None
    to_coach = both.telegram.chat(COACH_TG_ID)
    assert [m.get("voice") is not None for m in to_coach] == [False, True]  # once each
    assert both.telegram.uploads[to_coach[1]["voice"]["file_id"]] == VOICE_NOTE
    assert row.status is OutboxStatus.SENT


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_worker_without_the_notes_channel_leaves_it_for_one_that_has_it(both: TwoChannels, locale: str) -> None:
    await voice_note_from_whatsapp(both, Channel.TELEGRAM, locale, failing_downloads=1)  # the row waits to retry
    [row] = await outbox_rows_to_coach(both)
    assert row.next_attempt_at is not None
    both.clock.set(row.next_attempt_at)
    await both.dispatcher(Channel.TELEGRAM).dispatch_due()  # a Telegram-only worker cannot read WhatsApp files
    [row] = await outbox_rows_to_coach(both)
    assert row.status is OutboxStatus.PENDING
    assert row.last_error == "the note's file is on whatsapp, which this worker cannot read"
    assert both.telegram.chat(COACH_TG_ID) == []
    assert row.next_attempt_at is not None
    both.clock.set(row.next_attempt_at)
    await both.dispatcher().dispatch_due()
    assert both.telegram.uploads[both.telegram.chat(COACH_TG_ID)[1]["voice"]["file_id"]] == VOICE_NOTE


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_note_that_cannot_be_fetched_fails_with_its_reason_after_the_last_attempt(
    both: TwoChannels, locale: str
) -> None:
    await voice_note_from_whatsapp(both, Channel.WHATSAPP, locale, failing_downloads=DispatchPolicy().max_attempts)
    for _ in range(DispatchPolicy().max_attempts - 1):
        [row] = await outbox_rows_to_coach(both)
        assert row.next_attempt_at is not None
        both.clock.set(row.next_attempt_at)
        await both.dispatcher().dispatch_due()
    [row] = await outbox_rows_to_coach(both)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "the note's file could not be fetched from whatsapp: download answered 500"
    assert to_coach_on_whatsapp(both) == []
    assert both.graph.uploads == {}


def test_old_payloads_without_the_media_channel_still_read() -> None:
    old = {"text": "A voice note from Amina", "locale": "en", "media": ["voice", "file-1"]}
    assert OutboundMessage.from_payload(old).media_channel is None
    message = OutboundMessage("Amina", "ar", media_kind="voice", media_ref="1", media_channel="whatsapp")
    assert OutboundMessage.from_payload(message.to_payload()) == message
