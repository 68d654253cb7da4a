"""SQLite after an erasure: deleted rows are zeroed in the file and the write-ahead log is emptied, also when
a reader held the log at that moment (then after the next write). Decision 0018."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Person
from bot.privacy.erasure import Reason, erase_person
from tests.support.harness import Bot
from tests.support.privacy import NAME, linked


def _files(db: Database) -> tuple[bytes, bytes]:
    path = Path(db.url.database or "")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


async def test_secure_delete_is_on_for_every_connection(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.transaction() as session:
        assert (await session.execute(text("PRAGMA secure_delete"))).scalar() == 1
    async with db.reading() as session:
        assert (await session.execute(text("PRAGMA secure_delete"))).scalar() == 1


async def test_a_reader_only_delays_the_scrub(db: Database, clock: FakeClock) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    bot = Bot(db, clock)
    her = await linked(bot, "phone-scrub")
    async with db.reading() as reader:
        await reader.execute(select(Person.id))  # a read in progress holds the write-ahead log
        async with db.transaction() as session:
            assert await erase_person(session, her.person_id, clock.now(), reason=Reason.ADMIN)
        main, wal = _files(db)
        assert NAME.encode() in wal  # the old page is still in the log while she reads
    async with db.transaction() as session:  # the next write, after the reader finished
        await session.execute(text("SELECT 1"))
    main, wal = _files(db)
    assert wal == b"" and NAME.encode() not in main
