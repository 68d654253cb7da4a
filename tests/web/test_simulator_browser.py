"""The web simulator in a real browser: Debian's Chromium, headless, driven by Playwright, against the real
service (``trampoline run`` in a subprocess on a free port, with its own SQLite database).

No browser is ever downloaded: the tests use /usr/bin/chromium (``apt-get install chromium``; ``.ci/run``
installs it) and are skipped, saying so, where it is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import load_conversations
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, NO_CHROMIUM
from tests.support.service import free_port, wait_until_healthy

if CHROMIUM is None:
    pytest.skip(NO_CHROMIUM, allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')"
)
expect = sync_api.expect


def english(msgid: str) -> str:
    return load_conversations()[1].translations("en").gettext(msgid)


def arabic(msgid: str) -> str:
    return load_conversations()[1].translations("ar").gettext(msgid)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
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


@pytest.fixture
def page(browser: Any, service: str) -> Iterator[Any]:
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


def finish_onboarding(phone: Any) -> None:
    """Answer every question of onboarding: skip what may be skipped, else take the first answer."""
    done = english("All done, {name}! 🎉 Every week I will ask how you are. You can write to me at any time.\n\n"
                   "Words you can send:\nMENU – what you can do\nHELP – how this works\nPAUSE – a break from messages"
                   "\nCOACH – ask your coach to contact you\nSTOP – no more messages").split(",")[0]  # fmt: skip
    skip = english("Skip")
    for answered in range(40):
        if answered == 8:  # like a person who takes her time: the bot's flood gate lets her go on
            phone.page.get_by_role("button", name="Forward one hour").click()
            expect(phone.page.locator("#clock-status")).to_contain_text("Moved to")
        phone.locator(f".answers:has(button:enabled), .msg.bot:has-text('{done}')").last.wait_for()
        if phone.locator(".msg.bot", has_text=done).count():
            return
        question = phone.locator(".answers:has(button:enabled)").last
        skip_button = question.locator("button.press", has_text=skip)
        (skip_button if skip_button.count() else question.locator("button.press")).first.click()
    raise AssertionError("onboarding did not end")


def test_onboarding_in_arabic_renders_right_to_left(page: Any) -> None:
    phone = start(page, 1, "participant", "ar")
    first = phone.locator(".msg.bot").first
    expect(first).to_have_attribute("dir", "rtl")
    expect(first).to_have_attribute("lang", "ar")
    expect(first).to_contain_text(arabic("Hello! 👋 Which language do you want to use?"))
    assert first.evaluate("element => getComputedStyle(element).direction") == "rtl"
    # Her choice of Arabic keeps the conversation in Arabic and right-to-left.
    first.get_by_role("button", name="العربية").click()
    consent = phone.locator(".msg.bot").nth(2)
    expect(consent).to_have_attribute("dir", "rtl")
    expect(consent.get_by_role("button")).to_have_count(2)
    # The page itself stays in English, left to right; only the bot's messages are Arabic.
    assert page.locator("html").get_attribute("lang") == "en"


def test_a_button_press_from_the_keyboard_answers_the_question(page: Any) -> None:
    phone = start(page, 1, "participant", "en")
    english_button = phone.locator(".msg.bot").first.get_by_role("button", name="English")
    english_button.focus()
    page.keyboard.press("Enter")
    expect(phone.locator(".msg.me").last).to_contain_text("English")
    expect(english_button).to_be_disabled()  # answered, like a keyboard that goes away
    welcome = english("Welcome! I am the chat helper of {organisation}. Your coach is {coach}. 😊").split("!")[0]
    expect(phone.locator(".msg.bot").nth(1)).to_contain_text(welcome)
    expect(phone.locator(".msg.bot").nth(2).get_by_role("button")).to_have_count(2)  # consent: yes or no
    expect(phone.locator(".msg.bot").nth(2).get_by_role("button").first).to_be_focused()  # the keyboard goes on
    # New messages are announced: the chat is a live region, each message names its language.
    assert phone.locator(".chat").get_attribute("aria-live") == "polite"
    assert phone.locator(".msg.bot").nth(2).get_attribute("lang") == "en"


def test_a_nudge_appears_after_fast_forward_and_takes_several_answers(page: Any) -> None:
    phone = start(page, 1, "participant", "en")
    finish_onboarding(phone)
    before = phone.locator(".msg.bot").count()
    page.get_by_role("button", name="Fast-forward to the next nudge").click()
    expect(page.locator("#clock-status")).to_contain_text("Moved to")
    expect(phone.locator(".msg.bot")).to_have_count(before + 1)
    checkin = phone.locator(".msg.bot").last
    expect(checkin).to_contain_text(english("Hello {name}! How are you this week?").split("{")[0])
    checkin.locator("button.press").first.click()
    # "What did you do this week?": check boxes and a Done button.
    steps = phone.locator(".msg.bot:has(fieldset.multi)").last
    steps.get_by_label("Volunteer work").check()
    steps.get_by_label("A job step").check()
    steps.get_by_role("button", name=english("Done")).click()
    expect(phone.locator(".msg.me").last).to_contain_text("Volunteer work")
    expect(phone.locator(".msg.bot").last).not_to_contain_text("What did you do this week")


def test_a_coach_sees_her_participants_alert(page: Any) -> None:
    coach = start(page, 3, "coach", "en")
    participant = start(page, 1, "participant", "en")
    coach_messages = coach.locator(".msg.bot").count()
    participant.get_by_label("Message", exact=True).fill("coach")
    participant.get_by_label("Message", exact=True).press("Enter")
    question = participant.locator(".msg.bot", has_text=english("Do you want your coach to contact you?"))
    question.get_by_role("button", name=english("Yes")).click()
    expect(coach.locator(".msg.bot")).to_have_count(coach_messages + 1)
    expect(coach.locator(".msg.bot").last).to_contain_text(english("📞 {name} asks you to contact her.").split("}")[1])


# Where each character of her own first message is drawn, left to right on the screen.
_ORDER = """element => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.data.indexOf('/start');
    if (at < 0) continue;
    const x = i => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                     return r.getBoundingClientRect().left; };
    return {slash: x(at), s: x(at + 1), code: x(at + 7)};
  }
  return null;
}"""


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
def test_her_own_start_code_reads_left_to_right_in_a_right_to_left_language(page: Any, locale: str) -> None:
    """ "/start CODE" is drawn as typed, "/" first, and not "start CODE/", on a right-to-left phone; her Arabic
    text stays right to left."""
    phone = start(page, 1, "participant", locale)
    mine = phone.locator(".msg.me").first
    expect(mine).to_contain_text("/start ")
    order = mine.evaluate(_ORDER)
    assert order is not None and order["slash"] < order["s"] < order["code"], order
    phone.get_by_label("Message", exact=True).fill("مرحبا")
    phone.get_by_label("Message", exact=True).press("Enter")
    arabic_bubble = phone.locator(".msg.me").last
    expect(arabic_bubble).to_contain_text("مرحبا")
    paragraph = arabic_bubble.locator("p").first
    assert paragraph.evaluate("element => getComputedStyle(element).direction") == "rtl"
