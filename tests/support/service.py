"""The service as a real process: a free port, waiting until it answers, and Telegram's emulator in a thread."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.emulators.telegram import TelegramEmulator

GOOD_TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_healthy(process: subprocess.Popen[str], url: str, limit_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited early with {process.returncode}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the service did not answer in time")


@pytest.fixture(name="telegram")
def telegram_in_thread() -> Iterator[TelegramEmulator]:
    """Telegram for a service in another process: the emulator serving in a thread, accepting GOOD_TOKEN. A test
    module imports it to use it as ``telegram`` instead of the in-loop emulator of tests/support/telegram.py."""
    emulator = TelegramEmulator(token=GOOD_TOKEN)
    with emulator.serving_in_thread():
        yield emulator
