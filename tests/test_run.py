"""``trampoline run`` as an operator starts it: a real process that migrates, serves /healthz, talks to
Telegram (a local emulator: tests never reach Telegram) and stops cleanly on SIGINT and SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.emulators.telegram import TelegramEmulator
from tests.support.databases import BACKENDS, create_postgres_database, drop_postgres_database
from tests.support.service import (
    GOOD_TOKEN,
    free_port,
    telegram_in_thread,  # noqa: F401  (the fixture `telegram`)
    wait_until_healthy,
)


def wait_for(condition: Callable[[], object], what: str, process: subprocess.Popen[str], limit_s: float = 30) -> None:
    """Until ``condition`` holds: the service works in another process, so this is real time."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the service exited early with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in time")
        time.sleep(0.05)


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'trampoline.db'}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_health_and_stops_cleanly(
    fresh_database_url: str, stop_signal: signal.Signals, tmp_path: Path, telegram: TelegramEmulator
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TRAMPOLINE_DATABASE_URL": fresh_database_url,
        "TRAMPOLINE_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.url,
    }
    if not fresh_database_url.startswith("sqlite"):
        env["TRAMPOLINE_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
        stranger = telegram.user(language_code="en")
        telegram.queue(stranger.text("hello"))  # polled, committed, answered by the dispatcher
        wait_for(lambda: stranger.inbox, "the answer to a polled update", process)
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "channel telegram: configured (polling)" in output
    assert f"received {stop_signal.name}: shutting down" in output
    assert output.rstrip().endswith("stopped")
    assert GOOD_TOKEN.split(":")[1] not in output  # the token never reaches the log
    assert "Traceback" not in output


def test_run_with_a_bad_setting_says_which_and_exits(tmp_path: Path) -> None:
    env = {**os.environ, "TRAMPOLINE_PORT": "99999"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: TRAMPOLINE_PORT: Input should be less than or equal to 65535"]


def test_run_on_postgresql_without_encryption_keys_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "TRAMPOLINE_DATABASE_URL": "postgresql://bot@127.0.0.1:5432/none"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: TRAMPOLINE_ENCRYPTION_KEYS: required with PostgreSQL")


def test_run_on_sqlite_makes_a_key_file_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "TRAMPOLINE_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    key_file = tmp_path / "var" / "encryption.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert "created an encryption key" in output


def test_run_with_a_public_url_takes_telegram_updates_by_webhook(tmp_path: Path, telegram: TelegramEmulator) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TRAMPOLINE_PORT": str(port),
        "TRAMPOLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")
        wait_for(lambda: telegram.webhook is not None, "setWebhook", process)
        assert telegram.webhook is not None
        assert telegram.webhook["url"] == f"http://127.0.0.1:{port}/webhooks/telegram"
        assert len(telegram.webhook["secret_token"]) >= 32  # made by the service and kept in its database
        stranger = telegram.user(language_code="en")
        assert telegram.post_webhook_blocking(stranger.text("hello")).status_code == 200
        wait_for(lambda: stranger.inbox, "the answer to a webhook update", process)
        assert telegram.called("getUpdates") == []
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "channel telegram: configured (webhook)" in output
    assert GOOD_TOKEN.split(":")[1] not in output and telegram.webhook["secret_token"] not in output
    assert "Traceback" not in output


def test_run_on_a_port_in_use_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {**os.environ, "TRAMPOLINE_PORT": str(port), "TRAMPOLINE_HOST": "127.0.0.1"}
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: address already in use (TRAMPOLINE_PORT)"
    ]
    assert "Traceback" not in done.stdout + done.stderr
