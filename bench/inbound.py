"""Benchmark: inbound messages through the real inbox, engine, actions and database, beside the common way.

    python -m bench.inbound [--participants 100000] [--concurrent 300] [--rate 200] [--seconds 5] [--runs 3]

Simulated participants do the weekly check-in (six messages: "check-in", mood, steps, obstacles, a note,
"no") through ``Inbox.submit``: each answer is committed, with its replies in the outbox, before ``submit``
returns. The database holds ``--participants`` people (made with bulk SQL); the runs drive samples of them.

- ``msgs_per_s``: messages per second with ``--concurrent`` participants answering at once (group commit),
  median of ``--runs``, on the SQLite file; ``pg_msgs_per_s`` the same on PostgreSQL
  (``TRAMPOLINE_BENCH_POSTGRES_URL``, default the local server; a database is created and dropped).
- ``p50_ms``, ``p99_ms`` (and ``pg_p50_ms``, ``pg_p99_ms``): from ``submit`` to its commit, at a steady
  ``--rate`` messages per second for ``--seconds``: women starting their check-ins at their own moments
  and answering a second after each reply, so starts, answers and ends are mixed at every moment.
- ``baseline_msgs_per_s``: the same check-in built the common way, a python-telegram-bot
  ``ConversationHandler`` with in-memory state fed through ``Application.process_update`` in series, with an
  offline request object (nothing leaves the process); ``baseline_ratio`` = ``msgs_per_s`` / that.
- ``rss_mb``: resident memory of a separate worker process (SQLite) after it handled ``--rss-sample``
  participants of the ``--participants`` (two messages each); ``rss_start_mb`` before that traffic.
- ``startup_s``: from starting ``trampoline run`` to ``/healthz`` answering (median of three; the first
  start also migrates an empty database).

The last line is ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from sqlalchemy import String, cast, func, insert, literal, select, text
from sqlalchemy.engine import make_url

from bot.app import features, freeze_startup_objects, load_conversations
from bot.channels.simulator import SimulatorChannel
from bot.conversation.service import ConversationService
from bot.core.channel import Channel
from bot.core.clock import SystemClock
from bot.core.crypto import Cipher
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import CaseloadEntry, ChannelIdentity, CheckIn, Organisation, Person, PersonStatus, Role
from bot.runtime.inbox import Handled, Inbox

POSTGRES = os.environ.get("TRAMPOLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHECKIN = ["check-in", "4", "2, 3", "2", "I found a course for my daughter", "no"]
ANSWER_AFTER_S = 1.0  # in the latency run, a woman answers a second after the bot's reply
KEY = Fernet.generate_key().decode()


# -- the database: many participants, made in bulk ---


async def populate(db: Database, participants: int) -> None:
    """An organisation, a coach and ``participants`` active participants on the simulator channel, each
    with the coach; external ids are ``bench-<person id>``."""
    now = datetime.now(UTC)
    common = {
        "organisation_id": 1,
        "locale": "en",
        "timezone": "Europe/Brussels",
        "status": PersonStatus.ACTIVE,
        "quiet_start": datetime(2000, 1, 1, 21).time(),
        "quiet_end": datetime(2000, 1, 1, 8).time(),
        "created_at": now,
        "updated_at": now,
    }
    async with db.transaction() as session:
        await session.execute(
            insert(Organisation).values(name="Bench", default_locale="en", timezone="Europe/Brussels", created_at=now)
        )
        await session.execute(insert(Person).values(role=Role.COACH, display_name="Sara", **common))
        for start in range(0, participants, 20_000):
            await session.execute(
                insert(Person),
                [
                    {"role": Role.PARTICIPANT, "display_name": f"P{n}", **common}
                    for n in range(start, min(participants, start + 20_000))
                ],
            )
        people = select(Person.id, Person.created_at).where(Person.role == Role.PARTICIPANT).subquery()
        await session.execute(
            insert(ChannelIdentity).from_select(
                ["person_id", "channel", "external_id", "created_at", "last_inbound_at"],
                select(
                    people.c.id,
                    literal(Channel.SIMULATOR.value),
                    literal("bench-") + cast(people.c.id, String),
                    people.c.created_at,
                    people.c.created_at,
                ),
            )
        )
        await session.execute(
            insert(CaseloadEntry).from_select(
                ["coach_id", "participant_id", "assigned_at"],
                select(literal(1), people.c.id, people.c.created_at),
            )
        )
    async with db.transaction() as session:
        # The planner's statistics, as a database that has been in use has them (autovacuum would make
        # them a minute later; without them PostgreSQL looks up an identity by channel alone).
        await session.execute(text("ANALYZE"))


def external_ids(first: int, count: int) -> list[str]:
    """Participants' simulator ids; person 1 is the coach, so participants start at 2."""
    return [f"bench-{n}" for n in range(first + 2, first + 2 + count)]


def inbound_stack(db: Database) -> tuple[Inbox, SimulatorChannel]:
    wired = features()
    flows, catalogs = load_conversations(wired.actions)
    service = ConversationService(
        flows,
        catalogs,
        wired.actions,
        Cipher([KEY]),
        images=Path(tempfile.gettempdir()),
        lock_rows=db.backend == "postgresql",
    )
    clock = SystemClock()
    inbox = Inbox(db, service, clock)
    freeze_startup_objects()  # as ``trampoline run`` does once it has started
    return inbox, SimulatorChannel(clock)


# -- ours: throughput and latency ---


async def throughput(inbox: Inbox, simulator: SimulatorChannel, ids: Sequence[str]) -> tuple[float, int]:
    """Every participant does the whole check-in, all at once; returns messages/s and how many failed."""
    failed = 0

    async def participant(external_id: str) -> None:
        nonlocal failed
        for answer in CHECKIN:
            result = await inbox.submit(simulator.text(external_id, answer))
            failed += result.handled is not Handled.PROCESSED

    started = time.perf_counter()
    await asyncio.gather(*(participant(e) for e in ids))
    return len(ids) * len(CHECKIN) / (time.perf_counter() - started), failed


async def steady(
    inbox: Inbox, simulator: SimulatorChannel, ids: Sequence[str], rate: int, seconds: float
) -> list[float]:
    """One message every 1/rate seconds (an open loop); returns the latencies (submit to commit) in ms.

    The traffic of women doing their check-ins at their own moments: each answers ``ANSWER_AFTER_S``
    after her previous answer was committed, and new women start a check-in whenever nobody is due to
    answer, so starts, answers and ends are mixed at every moment (rather than everyone starting at once)."""
    fresh = iter(ids)
    due: collections.deque[tuple[float, str]] = collections.deque()  # (when she answers next, who)
    position: dict[str, int] = {}
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def one(external_id: str) -> None:
        started = time.perf_counter()
        await inbox.submit(simulator.text(external_id, CHECKIN[position[external_id]]))
        latencies.append((time.perf_counter() - started) * 1000)
        position[external_id] += 1
        if position[external_id] < len(CHECKIN):
            due.append((loop.time() + ANSWER_AFTER_S, external_id))

    tasks = []
    start = loop.time()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if due and due[0][0] <= loop.time():
            external_id = due.popleft()[1]
        else:
            external_id = next(fresh)
            position[external_id] = 0
        tasks.append(asyncio.create_task(one(external_id)))
    await asyncio.gather(*tasks)
    return latencies


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def bench_ours(db: Database, args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    await upgrade(db)
    await populate(db, args.participants)
    inbox, simulator = inbound_stack(db)
    inbox.start()
    try:
        await throughput(inbox, simulator, external_ids(args.participants - 200, 200))  # warm-up
        rates, failed = [], 0
        for run in range(args.runs):
            rate, failures = await throughput(inbox, simulator, external_ids(run * args.concurrent, args.concurrent))
            rates.append(rate)
            failed += failures
        latency_ids = external_ids(args.runs * args.concurrent, int(args.rate * args.seconds))
        latencies = await steady(inbox, simulator, latency_ids, args.rate, args.seconds)
        async with db.reading() as session:
            completed = await session.scalar(
                select(func.count()).select_from(CheckIn).where(CheckIn.completed_at.is_not(None))
            )
    finally:
        await inbox.stop()
    expected = args.runs * args.concurrent + 200
    return {
        f"{prefix}msgs_per_s": round(statistics.median(rates), 1),
        f"{prefix}runs_msgs_per_s": [round(r, 1) for r in rates],
        f"{prefix}p50_ms": round(percentile(latencies, 0.50), 2),
        f"{prefix}p99_ms": round(percentile(latencies, 0.99), 2),
        f"{prefix}failed": failed,
        f"{prefix}checkins_completed": completed,
        f"{prefix}checkins_expected": f">= {expected}",
        f"{prefix}groups_committed": inbox.groups_committed,
    }


# -- the common way: python-telegram-bot's ConversationHandler, state in memory ---


async def bench_baseline(participants: int, runs: int) -> dict[str, Any]:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import Application, ContextTypes, ConversationHandler, MessageHandler, filters
    from telegram.request import BaseRequest, RequestData

    class OfflineRequest(BaseRequest):
        """Answers the Bot API in this process: getMe, and sendMessage as Telegram would."""

        def __init__(self) -> None:
            self.message_ids = itertools.count(1)
            self.sent = 0

        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def do_request(
            self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
        ) -> tuple[int, bytes]:
            name = url.rsplit("/", 1)[-1]
            params = request_data.parameters if request_data is not None else {}
            result: Any = True
            if name == "getMe":
                result = {"id": 1, "is_bot": True, "first_name": "Baseline", "username": "baseline_bot"}
            elif name == "sendMessage":
                self.sent += 1
                chat = {"id": params["chat_id"], "type": "private"}
                result = {"message_id": next(self.message_ids), "date": 0, "chat": chat, "text": params["text"]}
            return 200, json.dumps({"ok": True, "result": result}).encode()

    def keyboard(*labels: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=label)] for label in labels])

    mood, steps, obstacles, note, contact = range(5)
    answers = filters.TEXT & ~filters.COMMAND

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None
        await update.message.reply_text(
            "Hello! How are you this week?", reply_markup=keyboard("Very bad", "Not good", "Okay", "Good", "Very good")
        )
        return mood

    async def on_mood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["mood"] = update.message.text
        await update.message.reply_text("What did you do this week?", reply_markup=keyboard("Coach", "Volunteer"))
        return steps

    async def on_steps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["steps"] = update.message.text
        await update.message.reply_text("Was something difficult?", reply_markup=keyboard("Language", "Childcare"))
        return obstacles

    async def on_obstacles(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["obstacles"] = update.message.text
        await update.message.reply_text("Do you want to tell your coach something?")
        return note

    async def on_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["note"] = update.message.text
        await update.message.reply_text("Do you want your coach to contact you?", reply_markup=keyboard("Yes", "No"))
        return contact

    async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and context.user_data is not None
        context.user_data["contact"] = update.message.text
        await update.message.reply_text("Thank you! Well done!")
        return ConversationHandler.END

    request = OfflineRequest()
    application = (
        Application.builder().token("1:offline").request(request).get_updates_request(OfflineRequest()).updater(None)
    ).build()
    application.add_handler(
        ConversationHandler(
            entry_points=[MessageHandler(filters.Regex("^check-in$"), start)],
            states={
                mood: [MessageHandler(answers, on_mood)],
                steps: [MessageHandler(answers, on_steps)],
                obstacles: [MessageHandler(answers, on_obstacles)],
                note: [MessageHandler(answers, on_note)],
                contact: [MessageHandler(answers, on_contact)],
            },
            fallbacks=[],
        )
    )
    await application.initialize()
    update_ids = itertools.count(1)

    def update(user: int, answer: str) -> dict[str, Any]:
        sender = {"id": user, "is_bot": False, "first_name": "P"}
        message = {"message_id": 1, "date": 0, "chat": {"id": user, "type": "private"}, "from": sender}
        return {"update_id": next(update_ids), "message": {**message, "text": answer}}

    rates = []
    try:
        for run in range(runs + 1):  # the first run warms up
            batch = [update(user, answer) for user in range(run * participants, (run + 1) * participants)
                     for answer in CHECKIN]  # fmt: skip
            started = time.perf_counter()
            for data in batch:
                await application.process_update(Update.de_json(data, application.bot))
            if run:
                rates.append(len(batch) / (time.perf_counter() - started))
    finally:
        await application.shutdown()
    expected = (runs + 1) * participants * len(CHECKIN)
    return {
        "baseline_msgs_per_s": round(statistics.median(rates), 1),
        "baseline_runs_msgs_per_s": [round(r, 1) for r in rates],
        "baseline_replies_ok": request.sent == expected,
    }


# -- memory of a worker ---


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_worker(url: str, first: int, count: int, answer: Any) -> None:
    async def work() -> dict[str, float]:
        db = Database(url, sealer=Cipher([KEY]))
        inbox, simulator = inbound_stack(db)
        inbox.start()
        try:
            start_mb = _rss_mb()
            ids = external_ids(first, count)
            for chunk in range(0, count, 1000):
                await throughput_two(inbox, simulator, ids[chunk : chunk + 1000])
            return {"rss_start_mb": round(start_mb, 1), "rss_mb": round(_rss_mb(), 1)}
        finally:
            await inbox.stop()
            await db.dispose()

    answer.send(asyncio.run(work()))


async def throughput_two(inbox: Inbox, simulator: SimulatorChannel, ids: Sequence[str]) -> None:
    async def participant(external_id: str) -> None:
        for message in CHECKIN[:2]:
            await inbox.submit(simulator.text(external_id, message))

    await asyncio.gather(*(participant(e) for e in ids))


def bench_memory(url: str, participants: int, sample: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    first = max(0, participants - 200 - sample)  # participants the other runs did not touch
    worker = context.Process(target=_rss_worker, args=(url, first, sample, sending))
    worker.start()
    figures: dict[str, Any] = receiving.recv()
    worker.join()
    return {**figures, "rss_participants_driven": sample, "rss_participants_in_db": participants}


# -- start-up ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_startup(runs: int = 3) -> dict[str, Any]:
    timings = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            port = _free_port()
            env = {**os.environ, "TRAMPOLINE_PORT": str(port), "TRAMPOLINE_DATABASE_URL": f"sqlite:///{folder}/s.db"}
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], env=env, cwd=folder,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                while True:
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.01)
                    if process.poll() is not None or time.perf_counter() - started > 60:
                        raise RuntimeError("trampoline run did not become healthy")
                timings.append(time.perf_counter() - started)
            finally:
                process.terminate()
                process.wait(timeout=30)
    return {"startup_s": round(statistics.median(timings), 2), "startup_runs_s": [round(t, 2) for t in timings]}


# -- PostgreSQL: a database of its own ---


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(make_url(POSTGRES).set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def bench_postgres(args: argparse.Namespace) -> dict[str, Any]:
    name = f"trampoline_bench_{uuid.uuid4().hex[:8]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        return {"pg_msgs_per_s": None, "pg_error": f"PostgreSQL not reachable: {type(exc).__name__}"}
    url = make_url(POSTGRES).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)
    db = Database(url, sealer=Cipher([KEY]))
    try:
        return await bench_ours(db, args, "pg_")
    finally:
        await db.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--concurrent", type=int, default=300)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rss-sample", type=int, default=2000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"participants": args.participants, "concurrent": args.concurrent, "rate": args.rate}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        db = Database(url, sealer=Cipher([KEY]))
        try:
            result |= await bench_ours(db, args, "")
            print("sqlite:", json.dumps(result), flush=True)
        finally:
            await db.dispose()
        result |= bench_memory(url, args.participants, args.rss_sample)
    result |= await bench_baseline(args.concurrent, args.runs)
    result["baseline_ratio"] = round(result["msgs_per_s"] / result["baseline_msgs_per_s"], 3)
    if not args.skip_postgres:
        result |= await bench_postgres(args)
    result |= bench_startup()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
