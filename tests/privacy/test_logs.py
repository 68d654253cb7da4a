"""No leaks in the logs: every log record of a whole conversation (onboarding, a check-in with a note, her
data export, her erasure) is captured at DEBUG, in process and from a ``trampoline chat`` subprocess, and none
may hold her words, her name, her platform account, the bot token or a key."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.core.clock import FakeClock
from bot.core.logs import QUIET_LIBRARIES, JsonFormatter, ScrubbingFormatter, configure_logging, scrub
from bot.db.engine import Database
from tests.support.chat import CHECKIN, ONBOARDING, checkin_word
from tests.support.harness import TEST_KEY, Bot

TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"
NAME = "Wardiyya"
NOTE = "my landlord Teodorico shouts at me"
PHONE = "+32470123456"


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """The service's own logging set-up at DEBUG; put back as it was afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in QUIET_LIBRARIES})
    configure_logging("DEBUG")
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _forbidden() -> list[str]:
    return [NAME, NOTE, "Teodorico", PHONE, PHONE[1:], TOKEN, TOKEN.split(":")[1], TEST_KEY]


def _leaks(lines: list[str]) -> list[str]:
    return [f"{needle!r} in {line!r}" for line in lines for needle in _forbidden() if needle in line]


async def test_an_end_to_end_conversation_logs_nothing_identifying(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture, debug_logging: None
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = Bot(db, clock)
    _, code = await bot.invite(locale="en")
    phone = bot.phone(language_hint="en")
    phone.external_id = PHONE
    await phone.send(f"/start {code}")
    for line in [*ONBOARDING, checkin_word("en"), *CHECKIN]:
        await phone.send(line.format(name=NAME, note=NOTE))
    assert any(NAME in m.text for m in phone.inbox)
    await phone.send("mydata")
    assert phone.last.document_text is not None and NOTE in phone.last.document_text
    await phone.send("forget")
    assert "I deleted your data" in (await phone.send("2"))[-1].text  # 1 keeps her data
    await phone.send(f"{NAME} again, {NOTE}")  # a stranger now
    assert caplog.records, "the conversation logged nothing at all: the capture is broken"
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(ScrubbingFormatter().format(record))
        lines.append(JsonFormatter().format(record))
    assert _leaks(lines) == []


def test_scrub_masks_tokens_keys_and_numbers_but_not_times() -> None:
    line = f"bot{TOKEN} key {TEST_KEY} number {PHONE} chat 987654321 at 2026-11-30T09:00:00 person 42"
    shown = scrub(line)
    assert TOKEN not in shown and TEST_KEY not in shown and PHONE not in shown and "987654321" not in shown
    assert "2026-11-30T09:00:00" in shown and "person 42" in shown


@pytest.mark.parametrize("first", ["-", "_", "A", "0"])
def test_scrub_masks_a_key_whatever_character_it_starts_with(first: str) -> None:
    # Fernet keys are urlsafe base64: one in 32 starts with "-" or "_", where a word boundary does not match.
    key = first + TEST_KEY[1:]
    assert key not in scrub(f"key {key} and key={key}")


def test_json_format_is_one_object_a_line(debug_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("trampoline.test").info("person %s wrote from %s", 42, PHONE)
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["level"] == "INFO" and entry["logger"] == "trampoline.test"
    assert entry["message"] == "person 42 wrote from <number>"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_chat_subprocess_writes_nothing_identifying_to_stderr(tmp_path: Path, log_format: str) -> None:
    key = Fernet.generate_key().decode()
    lines = [line.format(name=NAME, note=NOTE) for line in [*ONBOARDING, checkin_word("en"), *CHECKIN]]
    lines += ["mydata", "forget", "2"]  # 2: delete everything (1 keeps her data)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TRAMPOLINE_ENCRYPTION_KEYS": key,
        "TRAMPOLINE_LOG_LEVEL": "DEBUG",
        "TRAMPOLINE_LOG_FORMAT": log_format,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--locale", "en"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "I deleted your data" in done.stdout  # the whole conversation ran
    forbidden = [*_forbidden(), key]
    assert [needle for needle in forbidden if needle in done.stderr] == []
