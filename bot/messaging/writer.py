"""Group commit for the dispatcher's small writes: the marks before and after each send."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database

T = TypeVar("T")


class GroupWriter:
    """Runs small write operations in shared transactions: whatever was asked while the previous commit
    ran is committed together (the same group commit as the inbox). Each caller gets its own result
    once its group is committed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: asyncio.Queue[tuple[Callable[[AsyncSession], Awaitable[Any]], asyncio.Future[Any]]] = (
            asyncio.Queue()
        )
        self._worker: asyncio.Task[None] | None = None

    async def run(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work())
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put((operation, future))
        result: T = await future
        return result

    async def _work(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                async with self.db.transaction() as session:
                    results = [await operation(session) for operation, _ in group]
            except Exception as exc:
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(group, results, strict=True):
                    if not future.done():
                        future.set_result(result)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
