"""Where the time of an inbound message goes: ``bench.inbound``'s check-in burst, sampled by py-spy.

    python -m bench.profile_inbound [--backend sqlite|postgresql] [--participants 20000] [--concurrent 300]
                                    [--rounds 6] [--svg docs/benchmarks/inbound-sqlite.svg]

The process sets up the database as ``bench.inbound`` does (not sampled), then samples itself with py-spy
(every thread, on CPU only: waiting is not counted) while ``--rounds`` bursts of ``--concurrent``
women do the whole weekly check-in. Each sample is put in one bucket, by the innermost frame that names one
(parse, route, interpret, render, encrypt, json, SQL compile and ORM, driver, commit, event loop); the table
gives each bucket's share of the samples. ``--svg`` also writes py-spy's flame graph of the same bursts
(a second sampling run). py-spy is a profiling tool, not a dependency: ``pip install py-spy``.

The last line is ``RESULT {json}``: ``{backend}_shares`` (bucket -> percent of samples) and the messages/s of
the sampled bursts (slower than ``bench.inbound``'s: sampling costs time).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.inbound import KEY, POSTGRES, external_ids, inbound_stack, populate, throughput
from bot.core.crypto import Cipher
from bot.db.engine import Database
from bot.db.migrate import upgrade

# Buckets, tried from the innermost frame outwards: the first frame whose file path holds one of the
# fragments decides. The order of this list only matters for a frame that matches two fragments.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("encrypt", ("cryptography/", "bot/core/crypto.py", "bot/db/sealing.py", "bot/db/types.py")),
    ("json", ("json/", "bot/core/safe_json.py")),
    # The statement in the database itself: SQLAlchemy's call into the DBAPI cursor (SQLite runs inline).
    (
        "driver",
        (
            "aiosqlite/",
            "sqlite3/",
            "asyncpg/",
            "do_execute (",
            "do_executemany (",
            "do_commit (",
            "bot/db/inline_sqlite.py",
        ),
    ),
    ("commit", ("bot/db/engine.py",)),
    ("sql", ("sqlalchemy/",)),
    (
        "interpret",
        (
            "bot/conversation/interpreter.py",
            "bot/conversation/answers.py",
            "bot/conversation/understanding.py",
            "bot/conversation/check.py",
        ),
    ),
    ("render", ("bot/conversation/render.py", "bot/conversation/wording.py", "bot/core/i18n.py", "babel/")),
    (
        "route",
        (
            "bot/conversation/routing.py",
            "bot/conversation/handling.py",
            "bot/conversation/service.py",
            "bot/conversation/turn.py",
            "bot/conversation/saving.py",
            "bot/conversation/lifecycle.py",
            "bot/conversation/",
        ),
    ),
    ("actions", ("bot/coaching/", "bot/privacy/", "bot/scheduling/", "bot/people/")),
    ("outbox", ("bot/messaging/",)),
    ("inbox", ("bot/runtime/",)),
    ("parse", ("bot/channels/",)),
    ("event loop", ("asyncio/", "uvloop/", "selectors.py", "threading.py", "concurrent/")),
]


def bucket_of(stack: str) -> str:
    """The bucket of one folded stack (``outer;...;inner``, each frame ``function (file:line)``)."""
    for frame in reversed(stack.split(";")):
        for name, fragments in BUCKETS:
            if any(fragment in frame for fragment in fragments):
                return name
    return "other"


def callers(folded: str, wanted: str, top: int = 12) -> list[tuple[str, float]]:
    """For the samples of bucket ``wanted``: the outermost SQLAlchemy frame (what kind of work: a statement
    executed, a flush at commit, an attribute read...), named ``module.function``, with its percent of all
    samples. (SQLAlchemy's
    async layer runs statements in greenlets, whose stacks do not show which of our functions asked.)"""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not (stack and count.isdigit()):
            continue
        total += int(count)
        if bucket_of(stack) != wanted:
            continue
        frames = [f for f in stack.split(";") if "sqlalchemy/" in f]
        counts[_short(frames[0]) if frames else "-"] += int(count)
    return [(name, round(100 * n / (total or 1), 1)) for name, n in counts.most_common(top)]


def _short(frame: str) -> str:
    function, _, where = frame.partition(" (")
    return where.split("sqlalchemy/")[-1].split(":")[0].removesuffix(".py") + "." + function


def shares(folded: str) -> dict[str, float]:
    counts: collections.Counter[str] = collections.Counter()
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[bucket_of(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {name: round(100 * n / total, 1) for name, n in counts.most_common()}


async def bursts(db: Database, args: argparse.Namespace, first: int, ready: Path) -> float:
    """A warm-up burst (not sampled), then tell the parent to start sampling, then the sampled bursts."""
    inbox, simulator = inbound_stack(db)
    inbox.start()
    try:
        await throughput(inbox, simulator, external_ids(args.participants - 100, 100))
        await asyncio.to_thread(ready.touch)
        await asyncio.sleep(1.0)  # py-spy attaches
        rates = []
        for round_ in range(args.rounds):
            ids = external_ids(first + round_ * args.concurrent, args.concurrent)
            rates.append((await throughput(inbox, simulator, ids))[0])
    finally:
        await inbox.stop()
    return sorted(rates)[len(rates) // 2]


def sampled(args: argparse.Namespace, url: str, output: Path, fmt: str, first: int) -> float:
    """Run the bursts in a child process and sample it with ``py-spy record --pid`` once it has imported
    everything and built its stack (start-up is not counted); returns the child's median messages/s."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    folder = Path(tempfile.mkdtemp())
    result, ready = folder / "rate", folder / "rate.ready"
    command = [
        sys.executable,
        "-m",
        "bench.profile_inbound",
        "--child",
        url,
        "--first",
        str(first),
        "--participants",
        str(args.participants),
        "--rounds",
        str(args.rounds),
        "--concurrent",
        str(args.concurrent),
        "--rate-file",
        str(result),
    ]
    worker = subprocess.Popen(command)
    while not ready.exists():
        if worker.poll() is not None:
            raise SystemExit("the profiled process stopped before it was ready")
        time.sleep(0.05)
    spy_command = [spy, "record", "-r", "200", "-f", fmt, "-o", str(output), "--pid", str(worker.pid)]
    subprocess.run(spy_command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker.wait()
    return float(result.read_text())


async def prepare(args: argparse.Namespace) -> tuple[str, str | None]:
    """A database with ``--participants`` women; returns its URL and, for PostgreSQL, its name to drop."""
    if args.backend == "sqlite":
        path = Path(tempfile.mkdtemp()) / "profile.db"
        url = f"sqlite+aiosqlite:///{path}"
        name = None
    else:
        name = f"trampoline_profile_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = make_url(POSTGRES).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)
    db = Database(url, sealer=Cipher([KEY]))
    try:
        await upgrade(db)
        await populate(db, args.participants)
    finally:
        await db.dispose()
    return url, name


async def drop(name: str | None) -> None:
    if name is not None:
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def child(args: argparse.Namespace) -> None:
    db = Database(args.child, sealer=Cipher([KEY]))
    try:
        rate = await bursts(db, args, args.first, Path(args.rate_file).with_suffix(".ready"))
    finally:
        await db.dispose()
    await asyncio.to_thread(Path(args.rate_file).write_text, str(rate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--concurrent", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--svg", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--rate-file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args))
        return

    url, name = asyncio.run(prepare(args))
    try:
        with tempfile.TemporaryDirectory() as folder:
            raw = Path(folder) / "stacks.txt"
            started = time.perf_counter()
            rate = sampled(args, url, raw, "raw", 0)
            folded = raw.read_text()
            found = shares(folded)
            sql_callers = callers(folded, "sql")
            other = collections.Counter()
            for line in folded.splitlines():
                stack, _, count = line.rpartition(" ")
                if stack and count.isdigit() and bucket_of(stack) == "other":
                    other[stack.split(";")[-1].split(" (")[-1].split(":")[0]] += int(count)
            if args.svg is not None:
                args.svg.parent.mkdir(parents=True, exist_ok=True)
                sampled(args, url, args.svg, "flamegraph", args.rounds * args.concurrent)
    finally:
        asyncio.run(drop(name))
    width = max(len(b) for b in found)
    for name_, share in found.items():
        print(f"{name_:<{width}}  {share:5.1f} %  {'█' * round(share / 2)}")
    print("\nSQLAlchemy time (the 'sql' bucket) by its outermost SQLAlchemy frame:")
    for caller, share in sql_callers:
        print(f"  {share:5.1f} %  {caller}")
    if other:
        print("\n'other', by file:", ", ".join(f"{f} {n}" for f, n in other.most_common(6)))
    result = {
        "backend": args.backend,
        f"{args.backend}_shares": found,
        "sql_callers": dict(sql_callers),
        "sampled_msgs_per_s": round(rate, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "cpus": os.cpu_count(),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
