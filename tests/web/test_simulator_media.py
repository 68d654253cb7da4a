"""What the simulator's phones show and send beyond text: a voice note (recorded or picked from a file) that
arrives as a Telegram voice note does, images (the coach's chart) and files, and the multiple-choice hint in
the phone's language naming the confirm button. Over HTTP first, then in Debian's Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.messaging.channel import Button, EventKind, InboundEvent, OutboundMessage
from tests.support.browser import (  # noqa: F401  (the fixtures)
    answer_everything,
    browser_fixture,
    expect,
    page_fixture,
    service_fixture,
    start,
)
from tests.support.harness import conversations
from tests.support.simulator import client, running_simulator  # noqa: F401  (the fixture)

FLOWS, CATALOGS = conversations()
VOICE = b"OggS\x00\x02fake opus voice note"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def new_phone(web: httpx.AsyncClient, role: str = "participant", locale: str = "en") -> str:
    answer = await web.post("/simulator/phones", json={"role": role, "locale": locale})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["phone"])


async def shown(app: App, web: httpx.AsyncClient, phone: str) -> str:
    await app.dispatcher.dispatch_due()
    return str((await web.get(f"/simulator/phones/{phone}/messages")).json()["html"])


def external_id(app: App, phone: str) -> str:
    return f"web-participant-{phone}"


def hint(locale: str, done: str) -> str:
    text = FLOWS.texts.get("multiple_hint")
    assert isinstance(text, str), "no multiple_hint text"
    return CATALOGS.translations(locale).gettext(text).replace("{done}", done)


# -- a voice note ---


async def test_a_voice_note_arrives_as_a_media_event_of_kind_voice(
    running: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[InboundEvent] = []
    submit = running.inbox.submit

    async def spying(event: InboundEvent) -> Any:
        events.append(event)
        return await submit(event)

    monkeypatch.setattr(running.inbox, "submit", spying)
    async with client(running) as web:
        phone = await new_phone(web)
        sent = await web.post(f"/simulator/phones/{phone}/voice", content=VOICE, headers={"content-type": "audio/ogg"})
        assert sent.status_code == 200, sent.text
        voice = events[-1]
        assert voice.kind is EventKind.MEDIA and voice.media_kind == "voice" and voice.media_ref
        # Its bytes can be fetched by its reference, as Telegram's are (a note passed on to another channel).
        fetched = await running.simulator.fetch_media(voice.media_ref, "voice")
        assert fetched.data == VOICE and fetched.mime_type == "audio/ogg"
        # Her phone shows it and plays it back.
        html = await shown(running, web, phone)
        (source,) = re.findall(r'<li class="msg me"[^>]*>.*?<audio controls src="([^"]+)"', html)
        played = await web.get(source)
        assert played.status_code == 200 and played.content == VOICE
        assert played.headers["content-type"].startswith("audio/ogg")


async def test_a_bad_voice_note_gets_a_clear_400_and_nothing_is_sent(running: App) -> None:
    async with client(running) as web:
        phone = await new_phone(web)
        empty = await web.post(f"/simulator/phones/{phone}/voice", content=b"", headers={"content-type": "audio/ogg"})
        assert empty.status_code == 400 and "audio" in empty.json()["error"]
        text = await web.post(f"/simulator/phones/{phone}/voice", content=b"hi", headers={"content-type": "text/plain"})
        assert text.status_code == 400
        big = b"\x00" * (5 * 1024 * 1024 + 1)
        too_big = await web.post(f"/simulator/phones/{phone}/voice", content=big, headers={"content-type": "audio/ogg"})
        assert too_big.status_code == 400 and "MB" in too_big.json()["error"]
        nowhere = await web.post("/simulator/phones/nope/voice", content=VOICE, headers={"content-type": "audio/ogg"})
        assert nowhere.status_code == 404


# -- images and the hint ---


async def test_an_image_shows_on_the_phone_and_is_served_to_it(running: App, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    async with client(running) as web:
        phone = await new_phone(web)
        await shown(running, web, phone)
        photo = OutboundMessage(text="This week", locale="en", image_ref=str(chart))
        await running.simulator.send(external_id(running, phone), photo)
        html = await shown(running, web, phone)
        (source,) = re.findall(r'<img class="image" src="([^"]+)"', html)
        assert str(chart) not in html  # where it lies on the server is not shown
        answer = await web.get(source)
        assert answer.status_code == 200 and answer.content == PNG
        assert answer.headers["content-type"] == "image/png"


@pytest.mark.parametrize("locale", ["nl", "ar"])
async def test_the_multiple_choice_hint_is_in_her_language_and_names_the_confirm_button(
    running: App, locale: str
) -> None:
    tr = CATALOGS.translations(locale)
    done, skip, note = tr.gettext("Done"), tr.gettext("Skip"), tr.gettext("Send this to my coach as a note")
    async with client(running) as web:
        phone = await new_phone(web, locale=locale)
        await shown(running, web, phone)
        question = OutboundMessage(
            text="?",
            locale=locale,
            buttons=(Button("steps|job", "📄 A"), Button("steps|_skip", f"⏭️ {skip}"), Button("steps|_note", note)),
            multiple=True,
            skippable=True,
            right_to_left=locale == "ar",
            confirm_label=done,
        )
        await running.simulator.send(external_id(running, phone), question)
        html = (await shown(running, web, phone)).split('<li class="msg bot"')[-1]
    assert f"<legend>{hint(locale, done)}</legend>" in html and done in hint(locale, done)
    assert "last button" not in html
    # Only the real choices are boxes to tick; skip and the note are buttons beside "Done".
    assert re.findall(r'type="checkbox" value="([^"]+)"', html) == ["steps|job"]
    assert re.findall(r'class="press" value="([^"]+)"', html) == ["steps|_skip", "steps|_note"]
    assert f'<button type="button" class="done">{done}</button>' in html


async def test_a_voice_note_passed_on_to_the_coach_plays_on_her_phone(running: App) -> None:
    async with client(running) as web:
        coach = await new_phone(web, role="coach")
        participant = await new_phone(web)
        await web.post(f"/simulator/phones/{participant}/voice", content=VOICE, headers={"content-type": "audio/ogg"})
        (ref,) = running.simulator.files
        await shown(running, web, coach)
        note = OutboundMessage(text="🎤 A note from Amina", locale="en", media_kind="voice", media_ref=ref)
        await running.simulator.send(f"web-coach-{coach}", note)
        html = (await shown(running, web, coach)).split('<li class="msg bot"')[-1]
        (source,) = re.findall(r'<audio controls src="([^"]+)"', html)
        assert (await web.get(source)).content == VOICE
        # A note that came on another platform: said, not played (its file stays there).
        elsewhere = OutboundMessage(text="🎤", locale="en", media_kind="voice", media_ref="AwACAgQ-telegram")
        await running.simulator.send(f"web-coach-{coach}", elsewhere)
        assert "<audio" not in (await shown(running, web, coach)).split('<li class="msg bot"')[-1]


# -- in the browser ---
# (after every async test: the browser's sync API runs a loop of its own for the rest of the module)


def test_a_voice_note_picked_from_a_file_is_sent_and_answered(page: Any, tmp_path: Path) -> None:
    phone = start(page, 1, "participant", "en")
    note = tmp_path / "note.ogg"
    note.write_bytes(VOICE)
    before = phone.locator(".msg.bot").count()
    phone.locator('input[type="file"]').set_input_files(str(note))
    mine = phone.locator(".msg.me").last
    expect(mine.locator("audio")).to_have_count(1)
    expect(phone.locator(".msg.bot")).to_have_count(before + 1)  # the bot read it (and asks its question again)
    assert phone.get_by_role("button", name="Record a voice note").is_enabled()


def test_the_coach_phone_shows_the_chart_after_summary(page: Any) -> None:
    coach = start(page, 3, "coach", "en")
    answer_everything(coach, "SUMMARY – your weekly summary now")
    coach.get_by_label("Message", exact=True).fill("summary")
    coach.get_by_label("Message", exact=True).press("Enter")
    image = coach.locator(".msg.bot img.image").last
    expect(image).to_be_visible()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())


def test_a_voice_note_recorded_in_the_browser_is_sent(page: Any) -> None:
    """Chromium's fake microphone (tests/support/browser.py) records; "Stop and send" sends it."""
    phone = start(page, 1, "participant", "en")
    before = phone.locator(".msg.bot").count()
    record = phone.get_by_role("button", name="Record a voice note")
    record.click()
    stop = phone.get_by_role("button", name="Stop and send")
    expect(stop).to_be_visible()
    expect(phone.locator(".record[data-recorded]")).to_have_count(1)  # some sound is recorded
    stop.click()
    expect(phone.locator(".msg.me").last.locator("audio")).to_have_count(1)
    expect(phone.locator(".msg.bot")).to_have_count(before + 1)
    expect(record).to_be_visible()
