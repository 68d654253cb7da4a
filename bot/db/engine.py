"""The database handle: one async engine, a write transaction and a read transaction.

SQLite is the embedded default, set up the way a single-writer database needs: WAL (readers never block the
writer), a busy timeout, foreign keys on, ``synchronous=NORMAL`` (durable across process crashes) and
``BEGIN IMMEDIATE`` for write transactions, so a transaction that reads and then writes takes the write lock
up front instead of failing with "database is locked" when it tries to upgrade. On SQLite the write
transactions run on the event loop's thread (``bot/db/inline_sqlite.py``) and the read transactions through
aiosqlite's thread. PostgreSQL (``postgresql+asyncpg``) runs the same code.

Erased means erased, in the file too: SQLite runs with ``secure_delete`` (a deleted or changed row's old
bytes, and freed pages, are overwritten with zeros), and a transaction that removed someone's data
(``request_scrub``: an erasure, a stranger's address wiped after the send) is followed by
``PRAGMA wal_checkpoint(TRUNCATE)``, so the write-ahead log, which still holds the old versions of the
pages, is copied into the file and emptied (decision 0018).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db import inline_sqlite
from bot.db.sealing import Sealer, seal_with

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA secure_delete=ON",
)
SCRUB = "trampoline.scrub"  # session.info key: wipe the old versions of what this transaction removed
SCRUB_TRIES = 40  # a checkpoint blocked by a reader is retried (sleeps growing to 50 ms, about 1.5 s in all)

log = logging.getLogger(__name__)


def request_scrub(session: AsyncSession) -> None:
    """Ask that, once this transaction is committed, the old versions of the rows it deleted or wiped are
    gone from the database files too (SQLite; nothing to do on PostgreSQL, whose dumps show live rows)."""
    session.info[SCRUB] = True


# Execution option read by the ``begin`` hook: how a SQLite transaction starts.
SQLITE_BEGIN = "trampoline_sqlite_begin"


class Database:
    """Owns the engine. ``transaction()`` for anything that writes, ``reading()`` for pure reads."""

    def __init__(self, url: str, *, echo: bool = False, sealer: Sealer | None = None) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            path = Path(self.url.database or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            # The writer's statements run on the loop's thread (see the module's docstring); readers use the
            # aiosqlite thread of the URL.
            self.engine: AsyncEngine = create_async_engine(
                self.url,
                async_creator=inline_sqlite.connector(str(path), SQLITE_BUSY_TIMEOUT_MS / 1000),
                **options,
            )
            self.read_engine = create_async_engine(self.url, **options)
            _configure_sqlite(self.engine, busy_timeout_ms=0)
            _configure_sqlite(self.read_engine, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
        else:
            options["pool_pre_ping"] = True
            self.engine = create_async_engine(self.url, **options)
            self.read_engine = self.engine
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        if sealer is not None:
            self.seal_with(sealer)
        self._reader = async_sessionmaker(
            self.read_engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"}), expire_on_commit=False
        )
        # SQLite has one writer. Within this process, writers queue here instead of in SQLite's busy handler,
        # which sleeps in steps of up to 100 ms while it waits for the lock.
        self._write_turn = asyncio.Lock() if self.is_sqlite else None
        self._scrub_pending = False

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back when it raises."""
        if self._write_turn is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        async with self._write_turn:
            async with self._writer() as session, session.begin():
                yield session
            if session.info.get(SCRUB) or self._scrub_pending:
                self._scrub_pending = not await self.scrub()  # if a reader held it: after the next write

    async def scrub(self) -> bool:
        """SQLite: copy the write-ahead log into the file and empty it (``wal_checkpoint(TRUNCATE)``), so
        the old versions of erased rows that the log still holds are gone; ``secure_delete`` has zeroed
        them in the file. A reader in the middle of a read blocks it for a moment: tried again after a
        short sleep, and if she is still reading, after the next write transaction. Returns whether it
        completed (always True on PostgreSQL)."""
        if not self.is_sqlite:
            return True
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert isinstance(driver, inline_sqlite.InlineConnection)
            for attempt in range(SCRUB_TRIES):
                if driver.checkpoint():
                    return True
                await asyncio.sleep(min(0.001 * 2**attempt, 0.05))
        log.warning("the write-ahead log could not be emptied yet (a reader held it): again after the next write")
        return False

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction; on SQLite it does not take the write lock."""
        async with self._reader() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.reading() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def seal_with(self, sealer: Sealer) -> None:
        """The key that seals the free text of outbox payloads at rest (bot.db.sealing)."""
        seal_with(self.engine, sealer)
        if self.read_engine is not self.engine:
            seal_with(self.read_engine, sealer)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: it would not BEGIN before SELECTs
        # and cannot BEGIN IMMEDIATE. The ``begin`` hook below does it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout={busy_timeout_ms}"):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")
