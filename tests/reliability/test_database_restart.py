"""Drill: PostgreSQL goes away in the middle of webhook traffic and comes back. While it is away the webhook
answers 5xx, so Telegram delivers again and no update is lost; the dispatcher resumes by itself.

The drill starts a PostgreSQL server of its own (``initdb`` into a temporary folder, on a free port) and
stops and starts that one: the machine's shared server is never touched.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import OutboxMessage, OutboxStatus
from tests.emulators.telegram import TelegramEmulator
from tests.support.drill import (
    DRILL_LIMIT_S,
    RedeliveringPlatform,
    Service,
    assert_each_update_handled_once,
    assert_nothing_sent_twice,
    checkin_updates,
    participants,
)
from tests.support.service import free_port, telegram_in_thread  # noqa: F401  (the fixture `telegram`)

USERS = 20


class PrivatePostgres:
    """A throwaway PostgreSQL server, run as the ``postgres`` user when the tests run as root (``initdb``
    refuses root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="trampoline-drill-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        """As in a crash: no checkpoint, connections cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m",
             "immediate", "stop"] if os.geteuid() == 0 else
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) to run a private server")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb refuses root")
    server = PrivatePostgres(Path(found[-1]).parent)
    try:
        server.init()
    except (subprocess.CalledProcessError, KeyError, LookupError) as exc:
        server.remove()
        pytest.skip(f"could not start a private PostgreSQL server: {exc}")
    yield server
    server.remove()


def outbox_counts(url: str, since: datetime) -> tuple[int, int]:
    """(rows queued since ``since``, of those the ones not sent)."""

    async def count() -> tuple[int, int]:
        db = Database(url)
        try:
            async with db.reading() as session:
                queued = await session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.created_at > since)
                )
                unsent = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.created_at > since, OutboxMessage.status != OutboxStatus.SENT)
                )
            return queued or 0, unsent or 0
        finally:
            await db.dispose()

    return asyncio.run(count())


def test_postgresql_restarted_during_traffic_loses_no_update_and_sending_resumes(
    private_postgres: PrivatePostgres,
    telegram: TelegramEmulator,
    tmp_path: Path,
) -> None:
    users = [telegram.user(user_id=8000 + n, first_name=f"P{n}") for n in range(USERS)]
    people = participants(private_postgres.url, users)
    chats = checkin_updates(users)
    service = Service(private_postgres.url, telegram, tmp_path)
    platform = RedeliveringPlatform(telegram, chats)
    try:
        service.start()
        platform.start()
        platform.wait_until(platform.total // 3)
        private_postgres.stop()
        refused_before = platform.statuses[503]
        deadline = time.monotonic() + DRILL_LIMIT_S
        while platform.statuses[503] < refused_before + 2 * USERS:  # "not stored" while it is away
            assert time.monotonic() < deadline, platform.statuses
            time.sleep(0.05)
        answered_while_away = platform.answered
        time.sleep(0.5)
        assert platform.answered == answered_while_away  # nothing is acknowledged without the database
        private_postgres.start()
        back = datetime.now(UTC)
        platform.finish()
        deadline = time.monotonic() + DRILL_LIMIT_S
        while True:  # the dispatcher resumes by itself: what was queued after the restart goes out
            queued, unsent = outbox_counts(private_postgres.url, back)
            if queued and not unsent:
                break
            assert service.process is not None and service.process.poll() is None, "the service died"
            assert time.monotonic() < deadline, f"{unsent} of {queued} replies not sent in time"
            time.sleep(0.1)
    finally:
        platform.close()
        service.stop()
    assert_each_update_handled_once(private_postgres.url, chats, people)
    assert_nothing_sent_twice(telegram, users)
