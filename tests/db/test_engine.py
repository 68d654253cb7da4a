"""SQLite done right: WAL, busy timeout, foreign keys, synchronous NORMAL, and write transactions that take
the write lock up front so a read-then-write transaction never fails half-way."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import FakeClock
from bot.db.engine import SQLITE_BEGIN, Database
from bot.db.models import Organisation


@pytest.fixture
def sqlite_db_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "engine.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{path}"


async def test_sqlite_connections_are_configured(sqlite_db_url: str) -> None:
    db = Database(sqlite_db_url)
    try:
        async with db.reading() as session:
            pragmas = {
                name: (await session.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
    finally:
        await db.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1, "busy_timeout": 30000}


async def test_the_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "bot.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        assert await db.ping()
    finally:
        await db.dispose()
    assert path.exists()


async def _count_then_insert(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, read_done: asyncio.Event | None, hold: bool
) -> None:
    """Read how many organisations there are, then add one named after that count."""
    async with sessions() as session, session.begin():
        count = await session.scalar(select(func.count()).select_from(Organisation))
        if read_done is not None:
            read_done.set()
        if hold:
            # Let the other transaction start while this one is between its read and its write.
            await asyncio.sleep(0.3)
        session.add(Organisation(name=f"org {count}", default_locale="nl", timezone="UTC", created_at=clock.now()))


async def _race(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> None:
    first_read = asyncio.Event()

    async def second() -> None:
        await first_read.wait()
        await _count_then_insert(sessions, clock, None, hold=False)

    await asyncio.gather(_count_then_insert(sessions, clock, first_read, hold=True), second())


async def test_concurrent_read_then_write_transactions_both_succeed(sqlite_db_url: str, clock: FakeClock) -> None:
    db = Database(sqlite_db_url)
    try:
        await _race(async_sessionmaker(db.engine, expire_on_commit=False), clock)
        async with db.reading() as session:
            names = set(await session.scalars(select(Organisation.name)))
    finally:
        await db.dispose()
    # The second transaction waited for the first and saw its row: no lost update, no error.
    assert names == {"org 0", "org 1"}


async def test_without_begin_immediate_the_same_race_fails(sqlite_db_url: str, clock: FakeClock) -> None:
    """The counterfactual that shows why writers use BEGIN IMMEDIATE (and that the test above can fail)."""
    db = Database(sqlite_db_url)
    deferred = async_sessionmaker(db.engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"}), expire_on_commit=False)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await _race(deferred, clock)
    finally:
        await db.dispose()


async def test_readers_are_not_blocked_by_a_writer(sqlite_db_url: str, clock: FakeClock) -> None:
    db = Database(sqlite_db_url)
    try:
        async with db.transaction() as writer:
            writer.add(Organisation(name="pending", default_locale="nl", timezone="UTC", created_at=clock.now()))
            await writer.flush()
            async with db.reading() as reader:
                seen = await asyncio.wait_for(reader.scalar(select(func.count()).select_from(Organisation)), timeout=5)
            assert seen == 0
    finally:
        await db.dispose()
