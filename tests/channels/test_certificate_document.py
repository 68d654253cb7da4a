"""``certificate`` sends her PDF as the file after the text, on each platform, as ``mydata`` sends its JSON:
Telegram (sendDocument with the PDF's bytes), WhatsApp (uploaded as application/pdf, then the document message),
the web simulator and ``trampoline chat`` through the same ``document_file``. The bytes travel base64 in the
sealed outbox payload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.app import App
from bot.core.channel import Channel
from bot.db.engine import Database
from bot.db.models import Person, Role, ShiftStatus, VolunteerShift
from bot.messaging.channel import OutboundMessage
from tests.emulators.whatsapp import WhatsAppUser
from tests.support.harness import activate
from tests.support.simulator import client, running_simulator  # noqa: F401  (the fixture)
from tests.support.telegram import TelegramBot, onboarded_on_telegram
from tests.support.whatsapp import WhatsAppBot


async def attended(db: Database, person_id: int, place: str = "Voedselbank Deurne") -> None:
    at = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
    async with db.transaction() as session:
        session.add(
            VolunteerShift(
                participant_id=person_id, place=place, address="-", starts_at=at, ends_at=at + timedelta(hours=3),
                status=ShiftStatus.ATTENDED, created_at=at,
            )
        )  # fmt: skip


def test_a_binary_document_goes_through_the_payload_and_back() -> None:
    pdf = b"%PDF-1.7\n\x00\xff\xfe binary"
    message = OutboundMessage(text="📎", locale="ar", document_name="certificate.pdf", document_bytes=pdf)
    payload = message.to_payload()
    assert isinstance(payload["document"][1], str)  # JSON: the sealed blob is text
    back = OutboundMessage.from_payload(payload)
    assert (
        back.document_bytes == pdf and back.document_text is None and back.document_file() == ("certificate.pdf", pdf)
    )
    text = OutboundMessage.from_payload(
        OutboundMessage(text="", locale="en", document_name="a.json", document_text="{}").to_payload()
    )
    assert text.document_text == "{}" and text.document_bytes is None


async def test_on_telegram_the_certificate_is_a_pdf_document(tg: TelegramBot) -> None:
    person_id, user = await onboarded_on_telegram(tg, locale="ar")
    await attended(tg.db, person_id)
    await tg.deliver(user.text("/certificate"))
    (call,) = tg.telegram.called("sendDocument")
    assert call["chat_id"] == user.id
    assert isinstance(call["document"], bytes) and call["document"].startswith(b"%PDF")
    assert "document" in user.last


async def test_on_whatsapp_the_pdf_is_uploaded_then_sent_as_a_document(wa: WhatsAppBot) -> None:
    person_id, _ = await wa.base.invite(locale="nl")
    user = WhatsAppUser(wa.graph, "32470000112")
    await activate(wa.base, person_id, Channel.WHATSAPP, user.wa_id)
    await attended(wa.base.db, person_id)
    await wa.deliver(user.text("attest"))
    document = user.inbox[-1]
    assert document.type == "document" and document.body["filename"] == "certificate.pdf"
    upload = wa.graph.uploads[document.body["id"]]
    assert upload.data.startswith(b"%PDF") and upload.mime_type == "application/pdf"


async def test_the_simulator_phone_links_her_pdf_for_that_phone_only(running: App) -> None:
    async with client(running) as web, client(running) as stranger:
        phone = (await web.post("/simulator/phones", json={"role": "participant", "locale": "ar"})).json()["phone"]
        await running.dispatcher.dispatch_due()
        async with running.db.reading() as session:
            her = await session.scalar(select(func.max(Person.id)).where(Person.role == Role.PARTICIPANT))
        assert her is not None
        await attended(running.db, her)
        assert (await web.post(f"/simulator/phones/{phone}/text", json={"text": "certificate"})).status_code == 200
        await running.dispatcher.dispatch_due()
        shown = str((await web.get(f"/simulator/phones/{phone}/messages")).json()["html"])
        links = re.findall(r'<a class="document" href="([^"]+)" download="certificate.pdf"', shown)
        assert len(links) == 1, shown
        answer = await web.get(links[0])
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
        assert (await stranger.get(links[0])).status_code == 404
