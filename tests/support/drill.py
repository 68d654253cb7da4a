"""What the fault drills share: the service as a real ``trampoline run`` process in webhook mode, Telegram
as a platform that delivers each chat's updates in order and delivers again what was not answered 200, and
the check that every update was handled exactly once and every conversation is at the right step.

The drills run in real time (a real process, a real database server), each bounded by a deadline.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.crypto import Cipher
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import (
    ChannelIdentity,
    CheckIn,
    Conversation,
    ConversationStatus,
    OutboxMessage,
    Person,
    PersonStatus,
)
from bot.db.models import InboundEvent as InboundEventRow
from tests.emulators.telegram import TelegramEmulator, TelegramUser
from tests.support.harness import TEST_KEY, Bot
from tests.support.service import GOOD_TOKEN, free_port, wait_until_healthy

NOTE = "I found a course for my daughter"
# The weekly check-in as she types it: mood "Good", steps 2 and 3, which job step (5: her CV), obstacle 2,
# a note, no call.
CHECKIN = ["check-in", "4", "2, 3", "5", "2", NOTE, "no"]
DRILL_LIMIT_S = 60.0


# -- the service ---


@dataclass
class Service:
    """``trampoline run`` on a fixed port (a restart comes back on the same one), in webhook mode."""

    database_url: str
    telegram: TelegramEmulator
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    starts: int = 0

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TRAMPOLINE_DATABASE_URL": self.database_url,
            "TRAMPOLINE_PORT": str(self.port),
            "TRAMPOLINE_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY,
            "TRAMPOLINE_RATE_TELEGRAM": "1000",
            "TRAMPOLINE_RATE_TELEGRAM_PER_CHAT": "100",
            "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
            "TELEGRAM_API_BASE_URL": self.telegram.url,
        }

    def start(self) -> None:
        self.starts += 1
        log = (self.workdir / f"service-{self.starts}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=self.env(), cwd=self.workdir, stdout=log,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        wait_until_healthy(self.process, f"http://127.0.0.1:{self.port}/healthz")

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, nothing in flight finishes."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.workdir.glob("service-*.log")))


# -- the platform ---


class RedeliveringPlatform:
    """Telegram delivering by webhook: one chat's updates one at a time and in order (chats in parallel);
    an update not answered 200 (an error, a refused or broken connection) is delivered again."""

    def __init__(self, telegram: TelegramEmulator, chats: list[list[dict[str, Any]]]) -> None:
        self.telegram = telegram
        self.chats = chats
        self.total = sum(len(updates) for updates in chats)
        self.answered = 0
        self.statuses: Counter[int | str] = Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._deliver, args=(updates,), daemon=True) for updates in chats]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _deliver(self, updates: list[dict[str, Any]]) -> None:
        with httpx.Client(timeout=10) as client:
            for update in updates:
                while not self._stopping.is_set():
                    webhook = self.telegram.webhook
                    status: int | str = "no webhook"
                    if webhook is not None:
                        secret = {"X-Telegram-Bot-Api-Secret-Token": webhook.get("secret_token") or ""}
                        try:
                            status = client.post(webhook["url"], json=update, headers=secret).status_code
                        except httpx.TransportError as exc:
                            status = type(exc).__name__
                    with self._lock:
                        self.statuses[status] += 1
                        if status == 200:
                            self.answered += 1
                    if status == 200:
                        break
                    time.sleep(0.05)

    def wait_until(self, answered: int, limit_s: float = DRILL_LIMIT_S) -> None:
        deadline = time.monotonic() + limit_s
        while self.answered < answered:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.answered} of {answered} updates were answered 200 in time")
            time.sleep(0.01)

    def finish(self) -> None:
        self.wait_until(self.total)
        self.close()

    def close(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=15)


# -- the people and what must hold afterwards ---


def participants(database_url: str, users: list[TelegramUser]) -> dict[int, int]:
    """Migrate, then make each Telegram user an onboarded participant; returns {telegram id: person id}."""

    async def make() -> dict[int, int]:
        db = Database(database_url, sealer=Cipher([TEST_KEY]))
        try:
            await upgrade(db)
            bot = Bot(db, FakeClock(datetime.now(UTC)))
            people: dict[int, int] = {}
            for user in users:
                person_id, _ = await bot.invite(locale="en")
                async with db.transaction() as session:
                    person = await session.get(Person, person_id)
                    assert person is not None
                    person.status = PersonStatus.ACTIVE
                    person.display_name = user.first_name
                    session.add(
                        ChannelIdentity(
                            person_id=person_id, channel=Channel.TELEGRAM, external_id=str(user.id),
                            created_at=bot.clock.now(), last_inbound_at=bot.clock.now(),
                        )
                    )  # fmt: skip
                people[user.id] = person_id
            return people
        finally:
            await db.dispose()

    return asyncio.run(make())


def checkin_updates(users: list[TelegramUser]) -> list[list[dict[str, Any]]]:
    return [[user.text(answer) for answer in CHECKIN] for user in users]


def assert_each_update_handled_once(
    database_url: str, chats: list[list[dict[str, Any]]], people: dict[int, int]
) -> None:
    """Every update is recorded once and processed; each participant finished exactly one check-in with
    exactly her answers (an update handled twice would have answered the next question, or started a
    second check-in); her replies were queued once per update."""
    bot_id = GOOD_TOKEN.split(":")[0]
    keys = [f"telegram:{bot_id}:{update['update_id']}" for updates in chats for update in updates]
    cipher = Cipher([TEST_KEY])

    async def check() -> None:
        db = Database(database_url, sealer=cipher)
        try:
            async with db.reading() as session:
                outcomes = dict(
                    (
                        await session.execute(
                            select(InboundEventRow.dedupe_key, InboundEventRow.outcome).where(
                                InboundEventRow.dedupe_key.in_(keys)
                            )
                        )
                    ).all()
                )
                wrong = {key: outcomes.get(key) for key in keys if outcomes.get(key) != "processed"}
                assert not wrong, f"updates not processed exactly once: {wrong}"
                replies: dict[int, int] = {}
                for person_id in people.values():
                    conversations = list(
                        await session.scalars(select(Conversation).where(Conversation.person_id == person_id))
                    )
                    assert [(c.flow, c.status) for c in conversations] == [("checkin", ConversationStatus.COMPLETED)]
                    checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
                    assert checkin is not None and checkin.completed_at is not None
                    assert (checkin.mood, checkin.steps, checkin.obstacles) == (4, ["volunteer", "job"], ["childcare"])
                    assert checkin.wants_contact is False
                    assert cipher.decrypt(checkin.note_ciphertext or "") == NOTE
                    replies[person_id] = (
                        await session.scalar(
                            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.person_id == person_id)
                        )
                        or 0
                    )
                assert len(set(replies.values())) == 1, replies  # the same replies for the same answers
        finally:
            await db.dispose()

    asyncio.run(check())


def assert_nothing_sent_twice(telegram: TelegramEmulator, users: list[TelegramUser]) -> None:
    for user in users:
        texts = [m.get("text") for m in user.inbox]
        assert len(texts) == len(set(texts)), f"a message reached {user.id} twice"
