"""SQLite for the writer, run on the event loop's own thread.

SQLAlchemy's asyncio extension talks to SQLite through aiosqlite, which runs every call (each execute, each
fetch, each commit) on a thread of its own and hands the result back to the event loop. A statement of the
inbox costs SQLite a few microseconds and that hand-over about a hundred: measured, the inbox spent most of
its time waiting for the hand-over, not in SQLite (docs/benchmarks.md, decision 0012). This module gives
SQLAlchemy's aiosqlite dialect a connection with aiosqlite's interface whose calls run at once, on the
loop's thread, with Python's own ``sqlite3``.

That is right for the writer: SQLite has one writer, the writers of this process take turns anyway
(``Database._write_turn``), and a write of the inbox or the dispatcher is short. Long reads (reports,
exports) keep going through aiosqlite (``Database.reading``), so they do not hold up the loop. A long
write transaction (the planner on SQLite, the retention job) still lets the loop run other work: after
``YIELD_AFTER_S`` of statements without a pause, the next one first gives the loop a turn.

SQLite's own busy handler would sleep on the loop's thread while another process (a ``trampoline`` command)
holds the write lock. It is off here (``busy_timeout=0``): a busy statement is retried after an
``asyncio.sleep`` instead, for up to ``busy_timeout_s`` seconds, so the loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
BUSY_FIRST_WAIT_S = 0.001
BUSY_LONGEST_WAIT_S = 0.05
YIELD_AFTER_S = 0.005


def _busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "database is locked" in message or "database is busy" in message


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        await self._connection.run(lambda: self._cursor.execute(sql, () if parameters is None else parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # a retry needs them again
        await self._connection.run(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return await self._connection.run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return await self._connection.run(lambda: self._cursor.fetchmany(size or self._cursor.arraysize))

    async def fetchall(self) -> list[Any]:
        return await self._connection.run(self._cursor.fetchall)

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_: Any) -> None:
        return None

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        while (row := await self.fetchone()) is not None:
            yield row


class _CursorOpener:
    """What ``connection.cursor()`` returns in aiosqlite: something to ``async with`` or await."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection

    async def __aenter__(self) -> InlineCursor:
        return InlineCursor(self._connection)

    async def __aexit__(self, *_: object) -> None:
        return None

    def __await__(self) -> Any:
        return self.__aenter__().__await__()


class _RunNow:
    """Stands in for aiosqlite's queue of work for its thread, which SQLAlchemy's dialect uses to set the
    isolation level: the work runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """aiosqlite's ``Connection`` interface, as far as SQLAlchemy's aiosqlite dialect uses it."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_s: float) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()
        self.busy_timeout_s = busy_timeout_s
        self._turn_since = time.monotonic()  # when this connection last gave the loop a turn

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` now; while the database is locked by another process, again after a short sleep."""
        if time.monotonic() - self._turn_since > YIELD_AFTER_S:
            await asyncio.sleep(0)  # perhaps a long run of statements: let the loop serve the others first
            self._turn_since = time.monotonic()
        deadline = None
        wait = BUSY_FIRST_WAIT_S
        while True:
            try:
                return call()
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.busy_timeout_s
                if now >= deadline:
                    raise
                await asyncio.sleep(wait)
                wait = min(wait * 2, BUSY_LONGEST_WAIT_S)

    def cursor(self) -> _CursorOpener:
        return _CursorOpener(self)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def commit(self) -> None:
        await self.run(self._conn.commit)

    async def rollback(self) -> None:
        await self.run(self._conn.rollback)

    def checkpoint(self) -> bool:
        """``PRAGMA wal_checkpoint(TRUNCATE)`` outside any transaction: the write-ahead log copied into the
        file and cut to nothing. False when a reader still needed it (SQLite's "busy")."""
        if self._conn.in_transaction:
            return False
        busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(busy) == 0

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connector(path: str, busy_timeout_s: float) -> Callable[[], Any]:
    """The ``async_creator`` for ``create_async_engine``: opens ``path`` with ``sqlite3``."""

    async def connect() -> InlineConnection:
        # check_same_thread off: the pool may close a connection from the garbage collector's thread.
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=0")
        return InlineConnection(connection, busy_timeout_s)

    return connect
