"""The web simulator in a real browser: Debian's Chromium, headless, driven by Playwright, against the real
service (``trampoline run`` in a subprocess on a free port, with its own SQLite database). A browser test module
imports the fixtures ``browser``, ``service`` and ``page`` from here (``browser_fixture``, ...).

No browser is ever downloaded: the tests use /usr/bin/chromium (``apt-get install chromium``; ``.ci/run``
installs it) and a module that imports this is skipped, saying so, where it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import load_conversations
from tests.support.service import free_port, wait_until_healthy

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)
NO_CHROMIUM = (
    "no Chromium found at /usr/bin/chromium: install Debian's package (apt-get install chromium) "
    "to run the browser tests; a browser is never downloaded"
)
if CHROMIUM is None:
    pytest.skip(NO_CHROMIUM, allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')"
)
expect = sync_api.expect

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A voice note may be recorded too: a fake microphone, allowed without asking.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def said(locale: str, msgid: str) -> str:
    return load_conversations()[1].translations(locale).gettext(msgid)


@pytest.fixture(name="browser", scope="module")
def browser_fixture() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(name="service")
def service_fixture(tmp_path: Path) -> Iterator[str]:
    """The service as `make run` starts it with no platform token: SQLite, the simulator on."""
    port = free_port()
    env = {
        **os.environ,
        "TRAMPOLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'trampoline.db'}",
        "TRAMPOLINE_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert f"simulator: open http://127.0.0.1:{port}/simulator" in output
        assert "Traceback" not in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture(name="page")
def page_fixture(browser: Any, service: str) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{service}/simulator")
    yield page
    context.close()


def start(page: Any, slot: int, role: str, locale: str) -> Any:
    phone = page.locator(f'.phone[data-slot="{slot}"]')
    phone.get_by_label("Role").select_option(role)
    phone.get_by_label("Language").select_option(locale)
    phone.get_by_role("button", name="Start").click()
    expect(phone.locator(".msg.bot")).to_have_count(1)
    return phone


def answer_everything(phone: Any, enough: str, questions: int = 40) -> None:
    """Answer each question (skip what may be skipped, else the first answer) until a message with ``enough``
    shows. After eight answers the clock moves an hour, like a person who takes her time: the bot's flood
    gate lets her go on."""
    skip = said("en", "Skip")
    for answered in range(questions):
        if answered == 8:
            phone.page.get_by_role("button", name="Forward one hour").click()
            expect(phone.page.locator("#clock-status")).to_contain_text("Moved to")
        phone.locator(f".answers:has(button:enabled), .msg.bot:has-text('{enough}')").last.wait_for()
        if phone.locator(".msg.bot", has_text=enough).count():
            return
        question = phone.locator(".answers:has(button:enabled)").last
        skip_button = question.locator("button.press", has_text=skip)
        (skip_button if skip_button.count() else question.locator("button.press")).first.click()
    raise AssertionError(f"{enough!r} never came")
