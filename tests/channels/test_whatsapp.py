"""The WhatsApp channel end to end: pywa talks HTTP to a local Graph API emulator (tests/emulators/whatsapp.py),
and webhook bodies are posted to the service's web app signed as Meta signs them; the inbox, engine,
database and outbox dispatcher are the real ones.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import build_app
from bot.channels.whatsapp.errors import outcome_of
from bot.channels.whatsapp.render import render
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.models import (
    ChannelIdentity,
    CheckIn,
    Conversation,
    ConversationStatus,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    Profile,
)
from bot.db.models import InboundEvent as InboundEventRow
from bot.messaging.channel import Button, OutboundMessage, SendContext, SendOutcome
from bot.messaging.rows import NUDGE_PRIORITY, outbox_row
from tests.emulators import LocalServer
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
    status,
)
from tests.support.harness import TEST_KEY, activate
from tests.support.whatsapp import WhatsAppBot, body_text, make_channel

TESTDATA = Path(__file__).parent / "testdata" / "whatsapp"


async def onboarded_on_whatsapp(
    wa: WhatsAppBot, locale: str = "en", wa_id: str = "32471234567"
) -> tuple[int, WhatsAppUser]:
    """A participant who finished onboarding (made in the database), with WhatsApp on her phone."""
    person_id, _ = await wa.base.invite(locale=locale)
    user = WhatsAppUser(wa.graph, wa_id)
    await activate(wa.base, person_id, Channel.WHATSAPP, wa_id)
    return person_id, user


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


def titles(sent: Sent) -> list[str]:
    assert sent.type == "interactive", sent
    if sent.body["type"] == "button":
        return [b["reply"]["title"] for b in sent.body["action"]["buttons"]]
    return [row["title"] for section in sent.body["action"]["sections"] for row in section["rows"]]


def choices(count: int, length: int = 10) -> tuple[Button, ...]:
    return tuple(Button(f"step|v{n}", f"{n} {'x' * (length - len(str(n)) - 1)}") for n in range(1, count + 1))


# -- parsing: checked-in payloads ---


@pytest.mark.parametrize("sample", sorted(p.name for p in TESTDATA.glob("*.json")))
async def test_sample_payloads_become_the_expected_events(
    sample: str, graph: WhatsAppEmulator, clock: FakeClock
) -> None:
    case = json.loads((TESTDATA / sample).read_text())
    channel = make_channel(clock, graph)
    try:
        events, statuses = channel.receive(case["webhook"])
    finally:
        await channel.stop()
    shown = []
    for event in events:
        assert event.channel is Channel.WHATSAPP and event.external_id == "32471234567"
        assert event.typed_choices  # a multiple choice is a numbered menu: she types the numbers
        assert event.received_at == clock.now()
        item: dict[str, Any] = {"kind": event.kind.value, "dedupe": event.dedupe_key.removeprefix("whatsapp:")}
        for name in ("text", "choice", "media_kind", "media_ref"):
            if getattr(event, name) is not None:
                item[name] = getattr(event, name)
        shown.append(item)
    assert shown == case["events"]
    assert [
        {"provider_message_id": s.provider_message_id, "status": s.status, "window_closed": s.window_closed}
        for s in statuses
    ] == case["statuses"]


async def test_a_body_that_is_not_a_whatsapp_webhook_is_refused(graph: WhatsAppEmulator, clock: FakeClock) -> None:
    channel = make_channel(clock, graph)
    for payload in ({}, {"object": "page", "entry": []}, {"object": "whatsapp_business_account", "entry": "x"}):
        with pytest.raises(ValueError, match="not a WhatsApp webhook"):
            channel.receive(payload)
    await channel.stop()


# -- rendering within WhatsApp's limits ---


def test_three_short_choices_are_reply_buttons_and_a_long_label_makes_a_list() -> None:
    (part,) = render(OutboundMessage("Ready?", "en", choices(3)))
    assert part[0] == "interactive" and part[1]["type"] == "button"
    assert [b["reply"]["id"] for b in part[1]["action"]["buttons"]] == ["step|v1", "step|v2", "step|v3"]

    long_label = (Button("s|a", "✅ Yes"), Button("s|b", "I would rather not say"))  # 22 > 20 characters
    (part,) = render(OutboundMessage("Ready?", "en", long_label))
    assert part[1]["type"] == "list"  # never cut mid-word
    assert [row["title"] for row in part[1]["action"]["sections"][0]["rows"]] == ["✅ Yes", "I would rather not say"]


def test_seven_choices_are_a_list_and_twelve_a_numbered_menu_with_skip_last() -> None:
    (part,) = render(OutboundMessage("Pick one", "ar", choices(7), right_to_left=True))
    assert part[1]["type"] == "list" and len(part[1]["action"]["sections"][0]["rows"]) == 7
    assert part[1]["action"]["button"] == "Choose"

    buttons = (*choices(11), Button("step|_skip", "⏭️ Skip"))
    (part,) = render(OutboundMessage("Pick one", "en", buttons, skippable=True))
    assert part[0] == "text"
    lines = part[1]["body"].splitlines()
    assert lines[0] == "Pick one" and lines[2] == "1. 1 xxxxxxxx" and lines[-1] == "12. ⏭️ Skip"


def test_a_row_title_over_24_characters_makes_a_numbered_menu() -> None:
    (part,) = render(OutboundMessage("Pick", "en", choices(5, length=25)))
    assert part[0] == "text" and "5. 5 " in part[1]["body"]


def test_a_multiple_choice_is_a_numbered_menu_with_a_hint() -> None:
    (part,) = render(OutboundMessage("Which?", "en", choices(3), multiple=True, confirm_label="Done"))
    assert part[0] == "text"
    assert part[1]["body"].endswith("3. 3 xxxxxxxx\n\nWrite the numbers of your choices, for example: 1 3")


def test_a_long_text_goes_first_and_the_buttons_with_its_last_part() -> None:
    text = "\n\n".join(f"Paragraph {n} " + "word " * 60 for n in range(8))  # about 2,500 characters
    parts = render(OutboundMessage(text, "en", choices(2)))
    assert [kind for kind, _ in parts] == ["text", "interactive"]
    assert all(len(body.get("body", "")) <= 4096 for _, body in parts if "body" in body)
    assert len(parts[1][1]["body"]["text"]) <= 1024
    joined = parts[0][1]["body"] + "\n\n" + parts[1][1]["body"]["text"]
    assert joined.split() == text.split()  # nothing lost, no word cut


# -- the webhook ---


async def test_the_verification_challenge(wa: WhatsAppBot) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = await wa.web.get("/webhooks/whatsapp", params=params)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    answer = await wa.web.get("/webhooks/whatsapp", params={**params, "hub.verify_token": "guess"})
    assert answer.status_code == 403


async def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(wa: WhatsAppBot) -> None:
    user = WhatsAppUser(wa.graph)
    payload = user.text("START ABCDEFGH")
    assert (await wa.post(payload, signature=None)).status_code == 401
    assert (await wa.post(payload, signature=sign(raw(payload), "another-secret"))).status_code == 403
    assert (await wa.post(payload, signature="sha256=")).status_code == 403
    # Signed for other bytes (a re-encoded body): the signature is over the raw body.
    reencoded = json.dumps(payload, ensure_ascii=False, indent=1).encode()
    answer = await wa.web.post(
        "/webhooks/whatsapp", content=reencoded, headers={"x-hub-signature-256": sign(raw(payload))}
    )
    assert answer.status_code == 403
    assert await count(wa.db, InboundEventRow) == 0
    assert wa.graph.sent == []


async def test_malformed_and_oversized_bodies_get_a_4xx(wa: WhatsAppBot) -> None:
    for body in (b"{not json", b"[1, 2]", b'{"object": "page"}', b'{"object": "whatsapp_business_account"}'):
        answer = await wa.web.post("/webhooks/whatsapp", content=body, headers={"x-hub-signature-256": sign(body)})
        assert answer.status_code == 400, body
    broken = (
        b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{}]}}]}]}'
    )
    answer = await wa.web.post("/webhooks/whatsapp", content=broken, headers={"x-hub-signature-256": sign(broken)})
    assert answer.status_code == 400
    huge = b"{" + b" " * (1024 * 1024 + 1) + b"}"
    answer = await wa.web.post("/webhooks/whatsapp", content=huge, headers={"x-hub-signature-256": sign(huge)})
    assert answer.status_code == 413


async def test_the_same_webhook_delivered_twice_is_processed_once(wa: WhatsAppBot) -> None:
    _, user = await onboarded_on_whatsapp(wa)
    payload = user.text("check-in")
    await wa.deliver(payload)
    sent = len(user.inbox)
    assert sent > 0
    await wa.deliver(payload)  # Meta did not see our 200 in time and posts it again
    assert len(user.inbox) == sent
    assert await count(wa.db, InboundEventRow) == 1


async def test_503_when_the_database_is_away(wa: WhatsAppBot) -> None:
    user = WhatsAppUser(wa.graph)
    await wa.base.inbox.stop()  # nothing can be committed

    answer = await wa.post(user.text("hello"))
    assert answer.status_code == 503
    wa.base.inbox.start()


# -- conversations ---


async def test_onboarding_in_somali_through_the_click_to_chat_link(wa: WhatsAppBot) -> None:
    person_id, code = await wa.base.invite(locale="so")
    user = WhatsAppUser(wa.graph)
    somali = wa.base.language("so")

    await wa.deliver(user.text(f"START {code}"))  # what https://wa.me/<number>?text=START%20<code> writes
    question = user.last
    # Eleven languages: more than a list holds, so a numbered menu, answered by number.
    assert question.type == "text"
    assert body_text(question).startswith(somali.gettext("Hello! 👋 Which language do you want to use?"))
    menu = dict(line.split(". ", 1)[::-1] for line in body_text(question).splitlines()[2:])
    assert len(menu) == 11

    await wa.deliver(user.text(menu["Soomaali"]))
    consent = user.last
    assert consent.type == "interactive" and consent.body["type"] == "button"
    assert len(titles(consent)) == 2

    await wa.deliver(user.press(somali.gettext("Yes")))
    assert body_text(user.last) == somali.gettext("Thank you! What name do you want me to use for you?")
    await wa.deliver(user.text("Amina"))
    assert await active_step(wa.db, person_id) == ("onboarding", "age_group")

    # The age question may be skipped: skip is its last button, and also its number in a typed answer.
    age = user.last
    age_options = titles(age)
    assert age_options[-1].endswith(somali.gettext("Skip"))
    await wa.deliver(user.text(str(len(age_options))))
    assert await active_step(wa.db, person_id) == ("onboarding", "children")

    async with wa.db.reading() as session:
        person = await session.get(Person, person_id)
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id))
        profile = await session.get(Profile, person_id)
    assert person is not None and identity is not None
    assert (person.locale, person.display_name) == ("so", "Amina")
    assert (identity.channel, identity.external_id) == (Channel.WHATSAPP, user.wa_id)
    assert identity.last_inbound_at == wa.clock.now()
    assert profile is None or profile.age_group is None


async def test_a_check_in_in_arabic(wa: WhatsAppBot) -> None:
    person_id, user = await onboarded_on_whatsapp(wa, locale="ar")
    arabic = wa.base.language("ar")
    await wa.deliver(user.text("/checkin"))
    mood = user.last
    assert mood.type == "interactive" and mood.body["type"] == "list"  # five moods: a list
    assert body_text(mood) == arabic.gettext("Hello {name}! How are you this week?").format(name="\u2068Amina\u2069")

    await wa.deliver(user.press("🙂"))
    steps = user.last
    assert steps.type == "text" and "\n1. " in body_text(steps)  # a multiple choice: a numbered menu
    # "1 3" is one left-to-right run, so the example reads "1 3" and not "3 1" (decision 0021).
    hint = arabic.gettext("Write the numbers of your choices, for example: 1 3").replace("1 3", "\u20661 3\u2069")
    assert body_text(steps).endswith(hint)

    await wa.deliver(user.text("2 3"))
    confirmation = next(s for s in user.inbox if body_text(s).startswith(arabic.gettext("You chose:")))
    async with wa.db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None
    assert (checkin.mood, checkin.steps) == (4, ["volunteer", "job"])
    shown = body_text(confirmation)  # two labels, joined as Arabic writes a list: no Latin comma
    assert "," not in shown and " و" in shown


async def test_a_voice_note_is_an_answer(wa: WhatsAppBot) -> None:
    _, user = await onboarded_on_whatsapp(wa)
    await wa.deliver(user.text("/checkin"))
    await wa.deliver(user.press("Good"))
    await wa.deliver(user.text("1"))
    await wa.deliver(user.text("nothing"))
    assert "voice note" in body_text(user.last)
    await wa.deliver(user.voice())
    assert "contact you?" in body_text(user.last)


# -- the 24-hour window ---


async def start_checkin_nudge(wa: WhatsAppBot, person_id: int) -> None:
    """What the scheduler does when her check-in is due."""
    now = wa.clock.now()
    async with wa.db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        result = await wa.base.service.start_scheduled(
            session, person, "checkin", key=f"checkin:{person_id}:{now.isoformat()}", now=now,
            stale_after=now + timedelta(hours=12),
        )  # fmt: skip
    assert result == "started"
    await wa.dispatcher.dispatch_due()


@pytest.mark.parametrize(
    ("locale", "spoken", "language"),
    [("ar", [], "ar"), ("fa_AF", [], "prs_AF"), ("so", ["prs", "nl"], "prs_AF"), ("ps", ["nl"], "nl")],
)
async def test_a_nudge_after_30_hours_of_silence_goes_as_a_template(
    wa: WhatsAppBot, locale: str, spoken: list[str], language: str
) -> None:
    person_id, user = await onboarded_on_whatsapp(wa, locale=locale)
    async with wa.db.transaction() as session:
        session.add(
            Profile(person_id=person_id, languages=spoken, interests=[], availability=[], updated_at=wa.clock.now())
        )
    wa.clock.advance(timedelta(hours=30))
    await start_checkin_nudge(wa, person_id)

    templates = [s for s in user.inbox if s.type == "template"]
    assert len(user.inbox) == len(templates) == 1  # one template opens the window; no free text
    assert templates[0].body["name"] == "trampoline_checkin_invite"
    assert templates[0].body["language"]["code"] == language
    assert templates[0].body["components"][0]["parameters"] == [{"type": "text", "text": "Amina"}]

    # She answers the template: the window is open, and the conversation goes on in her own language.
    await wa.deliver(user.text("ok"))
    assert user.last.type == "interactive"
    question = wa.base.language(locale).gettext("Hello {name}! How are you this week?").split("{name}")[-1]
    assert body_text(user.last).endswith(question)


async def test_a_nudge_within_the_window_is_free_text(wa: WhatsAppBot) -> None:
    person_id, user = await onboarded_on_whatsapp(wa)
    wa.clock.advance(timedelta(hours=23))
    await start_checkin_nudge(wa, person_id)
    assert all(s.type != "template" for s in user.inbox)
    assert "How are you this week?" in body_text(user.last)


async def test_a_failed_status_131047_is_sent_again_as_a_template(wa: WhatsAppBot) -> None:
    person_id, user = await onboarded_on_whatsapp(wa)
    wa.clock.advance(timedelta(hours=23, minutes=59))  # the window is open as far as we know
    await start_checkin_nudge(wa, person_id)
    first = user.last
    assert first.type == "interactive"

    wa.clock.advance(timedelta(minutes=2))
    await wa.deliver(status(first.wamid, "failed", user.wa_id, error_code=131047))
    last = user.last
    assert last.type == "template" and last.body["name"] == "trampoline_checkin_invite"
    async with wa.db.reading() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.provider_message_id == last.wamid))
    assert row is not None and row.status is OutboxStatus.SENT and row.kind == "nudge"
    assert row.payload["as_template"] is True
    assert [h["event"] for h in row.history] == ["retry"]

    # The same failed status again finds nothing to re-queue: the template is not sent twice.
    await wa.deliver(status(first.wamid, "failed", user.wa_id, error_code=131047))
    assert user.last == last


async def test_delivered_and_read_statuses_move_the_row_forward(wa: WhatsAppBot) -> None:
    _, user = await onboarded_on_whatsapp(wa)
    await wa.deliver(user.text("/checkin"))
    wamid = user.last.wamid
    await wa.deliver(status(wamid, "read", user.wa_id))
    await wa.deliver(status(wamid, "delivered", user.wa_id))  # arrives late: never moves a row back
    async with wa.db.reading() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.provider_message_id == wamid))
    assert row is not None and row.status is OutboxStatus.READ


# -- what WhatsApp's answers mean ---


@pytest.mark.parametrize("code", [131056, 130429])
async def test_throttling_errors_are_retried_after_a_wait(wa: WhatsAppBot, code: int) -> None:
    _, user = await onboarded_on_whatsapp(wa)
    wa.graph.fail_next(code)
    await wa.deliver(user.text("/checkin"))
    assert user.inbox == []
    async with wa.db.reading() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None and row.status is OutboxStatus.PENDING and row.next_attempt_at is not None

    wa.clock.set(row.next_attempt_at)
    await wa.dispatcher.dispatch_due()
    assert len(user.inbox) == 1


async def test_a_permanent_error_marks_the_row_failed_with_its_reason(wa: WhatsAppBot) -> None:
    _, user = await onboarded_on_whatsapp(wa)
    wa.graph.fail_next(131026)
    await wa.deliver(user.text("/checkin"))
    async with wa.db.reading() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None and row.status is OutboxStatus.FAILED
    assert row.last_error is not None and row.last_error.startswith("whatsapp 131026")


async def test_an_unreachable_api_is_safe_to_retry(clock: FakeClock) -> None:
    closed = LocalServer()  # a port with nothing listening
    port_url = closed.url
    await closed.stop()
    graph = WhatsAppEmulator()
    graph.url = port_url
    channel = make_channel(clock, graph)
    try:
        result = await channel.send("32471234567", OutboundMessage("Hello", "en"), SendContext("reply"))
    finally:
        await channel.stop()
    assert result.outcome is SendOutcome.UNREACHABLE


async def test_a_list_of_7_and_a_menu_of_12_arrive_as_such(graph: WhatsAppEmulator, clock: FakeClock) -> None:
    channel = make_channel(clock, graph)
    try:
        seven = await channel.send("32471234567", OutboundMessage("Seven", "en", choices(7)), SendContext("reply"))
        twelve = await channel.send("32471234567", OutboundMessage("Twelve", "en", choices(12)), SendContext("reply"))
    finally:
        await channel.stop()
    assert seven.outcome is twelve.outcome is SendOutcome.SENT
    listed, menu = graph.sent
    assert listed.type == "interactive" and len(titles(listed)) == 7
    assert menu.type == "text" and menu.body["body"].splitlines()[-1].startswith("12. ")
    assert twelve.provider_message_id == menu.wamid


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (httpx.ConnectError("refused"), SendOutcome.UNREACHABLE),
        (httpx.ConnectTimeout("slow"), SendOutcome.UNREACHABLE),
        (httpx.ReadTimeout("no answer"), SendOutcome.UNCERTAIN),
        (httpx.RemoteProtocolError("closed"), SendOutcome.UNCERTAIN),
    ],
)
def test_network_errors_before_and_after_the_request_left(error: Exception, outcome: SendOutcome) -> None:
    assert outcome_of(error).outcome is outcome


async def test_a_refusal_for_the_window_at_send_time_sends_the_template_at_once(
    graph: WhatsAppEmulator, clock: FakeClock
) -> None:
    channel = make_channel(clock, graph)
    graph.fail_next(131047)
    context = SendContext("reminder", last_inbound_at=clock.now(), locale="ti", name="Amina")
    try:
        result = await channel.send("32471234567", OutboundMessage("Reminder", "ti"), context)
    finally:
        await channel.stop()
    assert result.outcome is SendOutcome.SENT
    (template,) = graph.sent
    assert template.type == "template" and template.body["name"] == "trampoline_checkin_reminder"
    assert template.body["language"]["code"] == "fr"  # Tigrinya has no template language: the fallback


# -- the service as build_app makes it ---


async def test_build_app_serves_the_webhook_and_sends_through_whatsapp(
    database_url: str, clock: FakeClock, graph: WhatsAppEmulator
) -> None:
    settings = Settings(
        database_url=database_url,
        encryption_keys=TEST_KEY,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_access_token=ACCESS_TOKEN,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_phone_number="+32 470 00 00 01",
        whatsapp_api_base_url=graph.url,
    )
    app = build_app(settings, clock)
    assert app.whatsapp is not None and Channel.WHATSAPP in app.dispatcher.adapters
    app.inbox.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app.web), base_url="http://service")
    try:
        params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
        assert (await client.get("/webhooks/whatsapp", params=params)).text == "42"
        body = raw(WhatsAppUser(graph).text("hello"))
        answer = await client.post("/webhooks/whatsapp", content=body, headers={"x-hub-signature-256": sign(body)})
        assert answer.status_code == 200
        await app.dispatcher.dispatch_due()
        (reply,) = graph.sent  # a stranger gets the short answer, on WhatsApp
        assert reply.type == "text"
    finally:
        await client.aclose()
        await app.inbox.stop()
        await app.whatsapp.stop()
        await app.db.dispose()


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_mydata_on_whatsapp_sends_the_summary_then_her_file(wa: WhatsAppBot, locale: str) -> None:
    _, user = await onboarded_on_whatsapp(wa, locale=locale)
    await wa.deliver(user.text("/mydata"))
    summary, attachment = user.inbox[-3:-1], user.inbox[-1]
    assert any("Amina" in body_text(s) for s in summary)
    assert attachment.type == "document" and attachment.body["filename"] == "my-data.json"
    upload = wa.graph.uploads[attachment.body["id"]]  # sent by the id of what was uploaded just before
    assert upload.filename == "my-data.json" and upload.mime_type == "text/plain"
    data = json.loads(upload.data)
    assert data["person"]["name"] == "Amina" and data["person"]["language"] == locale
    assert [(c["channel"], c["account"]) for c in data["channels"]] == [("whatsapp", user.wa_id)]


async def test_a_chart_stored_here_is_uploaded_and_sent_by_its_media_id(
    graph: WhatsAppEmulator, clock: FakeClock, tmp_path: Path
) -> None:
    chart = tmp_path / "week.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\nnot really a chart")
    channel = make_channel(clock, graph)
    try:
        message = OutboundMessage(text="Your caseload this week", locale="en", image_ref=str(chart))
        result = await channel.send("32479999999", message)
    finally:
        await channel.stop()
    assert result.outcome is SendOutcome.SENT
    (sent,) = graph.to("32479999999")
    assert sent.type == "image" and sent.body["caption"] == "Your caseload this week"
    assert graph.uploads[sent.body["id"]].data == chart.read_bytes()
    assert graph.uploads[sent.body["id"]].mime_type == "image/png"


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_coach_silent_for_30_hours_gets_her_summary_as_a_template_then_on_request(
    wa: WhatsAppBot, locale: str
) -> None:
    """Outside the 24-hour window the weekly summary cannot go as free text: the summary template goes
    instead (once, not the chart as well), and her answer "summary" brings the summary itself."""
    coach_id = await wa.base.coach("Sara")
    user = WhatsAppUser(wa.graph, "32479990000")
    async with wa.db.transaction() as session:
        coach = await session.get(Person, coach_id)
        assert coach is not None
        coach.status, coach.locale = PersonStatus.ACTIVE, locale
        identity = ChannelIdentity(
            person_id=coach_id, channel=Channel.WHATSAPP, external_id=user.wa_id,
            created_at=wa.clock.now(), last_inbound_at=wa.clock.now(),
        )  # fmt: skip
        session.add(identity)
        await session.flush()
        for number, message in enumerate(
            [OutboundMessage(text="📋 Your week", locale=locale), OutboundMessage(text="chart", locale=locale)]
        ):
            session.add(
                outbox_row(
                    f"nudge:summary:{number}", message, wa.clock.now() + timedelta(hours=30), person_id=coach_id,
                    identity=identity, kind="summary", priority=NUDGE_PRIORITY,
                )
            )  # fmt: skip
    wa.clock.advance(timedelta(hours=30))
    await wa.dispatcher.dispatch_due()
    assert [(s.type, s.body.get("name")) for s in user.inbox] == [("template", "trampoline_coach_summary")]
    assert user.inbox[0].body["language"]["code"] == locale
    assert user.inbox[0].body["components"][0]["parameters"] == [{"type": "text", "text": "Sara"}]

    await wa.deliver(user.text("/summary"))
    title = wa.base.language(locale).gettext("📋 Your week {week}: {participants} women").split("{week}")[0]
    assert any(title in body_text(s) for s in user.inbox[1:])  # (in Arabic after a first-strong isolate)
