"""The consent ledger records the version she was shown; the optional consent to share contact details with a
buddy; the data export file on the simulator and on Telegram."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.conversation.actions import ActionContext
from bot.conversation.consent import CONSENT_VERSION, consent_text, shown_version
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.models import ConsentKind, ConsentRecord, Person
from bot.messaging.channel import OutboundMessage, SendOutcome
from tests.support.harness import WIRED, Bot
from tests.support.privacy import linked


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_the_recorded_version_is_the_text_she_was_shown(bot: Bot, locale: str) -> None:
    person_id, code = await bot.invite(locale=locale)
    phone = bot.phone(language_hint=locale)
    await phone.send(f"/start {code}")
    await phone.send("1")  # her phone's language, offered first
    shown = consent_text(bot.flows, bot.catalogs, "onboarding", "consent", locale)
    assert shown is not None and shown in phone.last.text
    await phone.send("1")  # yes
    async with bot.db.reading() as session:
        records = list(await session.scalars(select(ConsentRecord).where(ConsentRecord.person_id == person_id)))
    assert {(r.kind, r.granted, r.locale) for r in records} == {
        (ConsentKind.DATA_PROCESSING, True, locale),
        (ConsentKind.MESSAGING, True, locale),
    }
    assert {r.version for r in records} == {shown_version(shown)}
    assert shown_version(shown).startswith(CONSENT_VERSION + "+") and len(shown_version(shown)) <= 32


def test_another_translation_is_another_version(bot: Bot) -> None:
    english = consent_text(bot.flows, bot.catalogs, "onboarding", "consent", "en")
    arabic = consent_text(bot.flows, bot.catalogs, "onboarding", "consent", "ar")
    assert english is not None and arabic is not None
    assert (shown_version(english) != shown_version(arabic)) is (english != arabic)


@pytest.mark.parametrize("granted", [True, False])
async def test_share_contact_is_a_separate_optional_consent(bot: Bot, granted: bool) -> None:
    her = await linked(bot, "tg-210000001")
    async with bot.db.transaction() as session:
        person = await session.get(Person, her.person_id)
        assert person is not None
        context = ActionContext(
            session=session,
            now=bot.clock.now(),
            person=person,
            conversation=None,
            state={},
            args={"granted": granted},
            channel=Channel.SIMULATOR,
            service=bot.service,
        )
        assert await WIRED.actions.run("consent.share_contact", context) == {}
    async with bot.db.reading() as session:
        records = list(await session.scalars(select(ConsentRecord)))
    assert [(r.kind, r.granted, r.version) for r in records] == [(ConsentKind.SHARE_CONTACT, granted, CONSENT_VERSION)]


def test_a_document_survives_the_outbox_payload() -> None:
    message = OutboundMessage(text="file:", locale="ar", right_to_left=True, document_name="d.json", document_text="{}")
    assert OutboundMessage.from_payload(message.to_payload()) == message
    assert "document" not in OutboundMessage(text="x", locale="en").to_payload()


async def test_telegram_sends_the_export_as_a_file_after_the_text(clock: FakeClock) -> None:
    channel = TelegramChannel("123456:AAFakeTokenForTestsOnly_abcdefghij", clock)
    calls: list[tuple[str, dict[str, Any]]] = []

    async def send_message(**kwargs: Any) -> Any:
        calls.append(("message", kwargs))
        return SimpleNamespace(message_id=len(calls))

    async def send_document(**kwargs: Any) -> Any:
        calls.append(("document", kwargs))
        return SimpleNamespace(message_id=len(calls))

    channel.bot = SimpleNamespace(send_message=send_message, send_document=send_document)  # type: ignore[assignment]
    result = await channel.send(
        "4242",
        OutboundMessage(text="Your data:", locale="en", document_name="my-data.json", document_text='{"a": "é"}'),
    )
    assert result.outcome is SendOutcome.SENT and result.provider_message_id == "4242:2"
    assert [kind for kind, _ in calls] == ["message", "document"]
    sent = calls[1][1]
    assert (sent["chat_id"], sent["filename"], sent["document"]) == ("4242", "my-data.json", '{"a": "é"}'.encode())
