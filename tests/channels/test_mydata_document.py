"""``mydata`` says "📎 All your data, in a file:" and the file follows, as the message promises: on Telegram (a
sendDocument with the JSON), on WhatsApp (the upload, then the document message), on the web simulator (a
download link that serves the JSON to that phone's session only) and in ``trampoline chat`` (written to a file
whose path it prints)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.app import App
from bot.core.channel import Channel
from tests.emulators.whatsapp import WhatsAppUser
from tests.support.chat import ONBOARDING
from tests.support.harness import activate, conversations
from tests.support.simulator import client, running_simulator  # noqa: F401  (the fixture)
from tests.support.telegram import TelegramBot, onboarded_on_telegram
from tests.support.whatsapp import WhatsAppBot

FLOWS, CATALOGS = conversations()
FILE_LEAD = "📎 All your data, in a file:"


@pytest.mark.parametrize("locale", ["nl", "ar"])
async def test_mydata_on_telegram_sends_the_json_as_a_document(tg: TelegramBot, locale: str) -> None:
    _, user = await onboarded_on_telegram(tg, locale=locale)
    await tg.deliver(user.text("/mydata"))
    (call,) = tg.telegram.called("sendDocument")
    assert call["chat_id"] == user.id
    document = call["document"]
    assert isinstance(document, bytes)
    data = json.loads(document.decode("utf-8"))
    assert data["person"]["name"] == "Amina" and data["person"]["language"] == locale
    assert [(c["channel"], c["account"]) for c in data["channels"]] == [("telegram", str(user.id))]
    # The text that presents the file comes first, in her language, and the document is the last thing she got.
    lead = CATALOGS.translations(locale).gettext(FILE_LEAD)
    assert any(lead in (m.get("text") or "") for m in user.inbox)
    assert "document" in user.last


async def test_mydata_on_whatsapp_uploads_the_json_then_sends_the_document(wa: WhatsAppBot) -> None:
    person_id, _ = await wa.base.invite(locale="nl")
    user = WhatsAppUser(wa.graph, "32470000111")
    await activate(wa.base, person_id, Channel.WHATSAPP, user.wa_id)
    await wa.deliver(user.text("mydata"))
    document = user.inbox[-1]
    assert document.type == "document" and document.body["filename"] == "my-data.json"
    upload = wa.graph.uploads[document.body["id"]]
    assert json.loads(upload.data)["person"]["language"] == "nl"


# -- the web simulator ---


async def everything(app: App, web: httpx.AsyncClient, phone: str) -> str:
    await app.dispatcher.dispatch_due()
    return str((await web.get(f"/simulator/phones/{phone}/messages")).json()["html"])


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_the_simulator_phone_shows_a_link_that_serves_her_json_to_that_phone_only(
    running: App, locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with client(running) as web, client(running) as stranger:
        phone = (await web.post("/simulator/phones", json={"role": "participant", "locale": locale})).json()["phone"]
        await everything(running, web, phone)
        assert (await web.post(f"/simulator/phones/{phone}/text", json={"text": "mydata"})).status_code == 200
        shown = await everything(running, web, phone)
        links = re.findall(r'<a class="document" href="([^"]+)" download="my-data.json"', shown)
        assert len(links) == 1, shown
        answer = await web.get(links[0])
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
        data = answer.json()
        assert data["person"]["language"] == locale
        assert [c["channel"] for c in data["channels"]] == ["simulator"]
        # Another browser (another session) with the same link gets nothing.
        refused = await stranger.get(links[0])
        assert refused.status_code == 404 and "person" not in refused.text
        # Another phone of the same browser does not serve it either.
        other = (await web.post("/simulator/phones", json={"role": "participant", "locale": "en"})).json()["phone"]
        assert (await web.get(links[0].replace(phone, other))).status_code == 404
    assert not any("my-data" in r.getMessage() or '"person"' in r.getMessage() for r in caplog.records)


# -- trampoline chat ---


def test_trampoline_chat_writes_the_file_and_prints_its_path(tmp_path: Path) -> None:
    lines = [line.format(name="Amina") for line in ONBOARDING] + ["mydata"]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--locale", "en"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"📎 my-data\.json: (\S+)", done.stdout)
    assert found, done.stdout[-2000:]
    path = Path(found.group(1))
    assert path.is_relative_to(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["person"]["name"] == "Amina"
    assert path.stat().st_mode & 0o077 == 0  # hers alone: nobody else on the machine reads it
