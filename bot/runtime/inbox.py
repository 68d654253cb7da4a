"""The inbound transaction: every platform event goes through here.

For each event: dedupe on its key, identify the person, run the conversation step, store the new position
and write the replies to the outbox, all committed together or not at all. Events that arrive together are
committed as a group, in one transaction. A group is whatever has arrived while the previous commit ran;
nothing waits for a group to fill, so a lone message at night is committed at once and a Monday-morning
burst is committed in large groups. One worker takes events in arrival order, so one person's events are
handled strictly in order.

A group is first processed together: its keys recorded with one statement, what its senders' first steps
need read with two (``ConversationService.prefetch``), and what the events change written when the
group commits, so most events cost no statement of their own. If one event of the group raises, that attempt
is rolled back whole and the group is processed again one event at a time, each in a savepoint, so the
bad event is recorded as failed and cannot spoil the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, PendingRollbackError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.service import ConversationService
from bot.core.clock import Clock
from bot.core.safe_json import storable
from bot.db.engine import Database
from bot.db.models import InboundEvent as InboundEventRow
from bot.messaging.channel import InboundEvent
from bot.messaging.unkept import anonymous_key

log = logging.getLogger(__name__)
MAX_GROUP = 200


class Handled(enum.StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    handled: Handled
    person_id: int | None = None


class Inbox:
    def __init__(
        self, db: Database, conversations: ConversationService, clock: Clock, max_group: int = MAX_GROUP
    ) -> None:
        self.db = db
        self.conversations = conversations
        self.clock = clock
        self.max_group = max_group
        self._queue: asyncio.Queue[tuple[InboundEvent, asyncio.Future[Result]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.groups_committed = 0
        self.after_commit: Callable[[], None] | None = None  # the dispatcher's wake-up: replies go out at once

    # -- the group-commit worker ---

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="inbox")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._worker is None:
            return
        await self._queue.join()
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    @property
    def queued(self) -> int:
        """Events handed over and not yet committed (for /metrics)."""
        return self._queue.qsize()

    async def submit(self, event: InboundEvent) -> Result:
        """Hand over one event; returns once it is committed (or raises if the commit failed, so that a
        webhook can answer 5xx and the platform delivers again)."""
        if self._worker is None:
            raise RuntimeError("the inbox is not started")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._queue.put((event, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_group and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self.process([event for event, _ in batch])
            except Exception as exc:  # the commit failed: nothing of the group was kept
                log.error("inbox group of %d failed: %s", len(batch), type(exc).__name__)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
            finally:
                for _ in batch:
                    self._queue.task_done()

    # -- one group, one transaction ---

    async def process(self, events: Sequence[InboundEvent]) -> list[Result]:
        """Process ``events`` in order in one transaction; commit once."""
        events = [_storable(event) for event in events]
        try:
            results = await self._together(events)
        except Exception as exc:
            if _database_unavailable(exc):
                raise
            # One event raised (logged below, when it raises again on its own): nothing of the attempt is kept.
            results = await self._one_by_one(events)
        self.groups_committed += 1
        if self.after_commit is not None:
            self.after_commit()
        return results

    async def _together(self, events: Sequence[InboundEvent]) -> list[Result]:
        """The whole group without savepoints: raises (and keeps nothing) if any event raises."""
        results: list[Result] = []
        owners: list[dict[str, object]] = []
        async with self.db.transaction() as session:
            fresh = await self._claim(session, events)
            await self.conversations.prefetch(session, [e for e in events if e.dedupe_key in fresh])
            for event in events:
                if event.dedupe_key not in fresh:
                    results.append(Result(Handled.DUPLICATE))
                    continue
                fresh.discard(event.dedupe_key)
                person_id = await self.conversations.handle(session, event, self.clock.now())
                if person_id is not None:
                    owners.append({"key": event.dedupe_key, "person": person_id})
                results.append(Result(Handled.PROCESSED, person_id))
            if owners:
                table = cast(Table, InboundEventRow.__table__)
                connection = await session.connection()
                await connection.execute(
                    update(table).where(table.c.dedupe_key == bindparam("key")).values(person_id=bindparam("person")),
                    owners,
                )
        return results

    async def _claim(self, session: AsyncSession, events: Sequence[InboundEvent]) -> set[str]:
        """Record the keys of ``events`` with one statement; returns those not recorded before. The key of
        an event from someone the bot does not keep is kept only hashed (``anonymous_key``): a second
        statement finds those, so her redelivered update is still a repeat."""
        now = self.clock.now()
        hashed = {anonymous_key(event.dedupe_key): event.dedupe_key for event in events}
        known = await session.scalars(select(InboundEventRow.dedupe_key).where(InboundEventRow.dedupe_key.in_(hashed)))
        repeats = {hashed[key] for key in known}
        rows = {
            event.dedupe_key: {
                "dedupe_key": event.dedupe_key,
                "channel": event.channel,
                "received_at": now,
                "outcome": "processed",
            }
            for event in events
            if event.dedupe_key not in repeats
        }
        if not rows:
            return set()
        insert_ = pg_insert if self.db.backend == "postgresql" else sqlite_insert
        statement = (
            insert_(InboundEventRow)
            .values(list(rows.values()))
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(InboundEventRow.dedupe_key)
        )
        return set((await session.scalars(statement)).all())

    async def _one_by_one(self, events: Sequence[InboundEvent]) -> list[Result]:
        """The group again, a savepoint per event: an event that raises is recorded as failed, alone."""
        results: list[Result] = []
        async with self.db.transaction() as session:
            for event in events:
                results.append(await self._one(session, event))
        return results

    async def _one(self, session: AsyncSession, event: InboundEvent) -> Result:
        now = self.clock.now()
        try:
            async with session.begin_nested():
                if event.dedupe_key not in await self._claim(session, [event]):
                    return Result(Handled.DUPLICATE)
                person_id = await self.conversations.handle(session, event, now)
                if person_id is not None:
                    await session.execute(
                        update(InboundEventRow)
                        .where(InboundEventRow.dedupe_key == event.dedupe_key)
                        .values(person_id=person_id)
                    )
                return Result(Handled.PROCESSED, person_id)
        except Exception as exc:
            if _database_unavailable(exc):
                raise  # the whole group fails and the platform delivers again; recording it would lose it
            # Logged without the message text; the event is kept as failed so a redelivery does not loop.
            log.exception("event %s on %s failed", ascii(event.dedupe_key), event.channel.value)
            try:
                async with session.begin_nested():
                    await session.execute(
                        insert(InboundEventRow).values(
                            dedupe_key=event.dedupe_key, channel=event.channel, received_at=now, outcome="failed"
                        )
                    )
            except Exception as again:  # its key itself cannot be stored: it alone is dropped, not the group
                if _database_unavailable(again):
                    raise
                log.error("event on %s could not be recorded as failed (%s)", event.channel.value, type(again).__name__)
            return Result(Handled.FAILED)


def _storable(event: InboundEvent) -> InboundEvent:
    """``event`` with text no database can store (a lone surrogate, a NUL) replaced, with a warning: it would
    otherwise fail at every redelivery, and on PostgreSQL look like the database going away."""
    fields = ("external_id", "dedupe_key", "text", "choice", "media_kind", "media_ref", "language_hint")
    changed: dict[str, object] = {
        name: storable(value)
        for name in fields
        if isinstance(value := getattr(event, name), str) and storable(value) != value
    }
    if event.choices and any(storable(c) != c for c in event.choices):
        changed["choices"] = tuple(storable(c) for c in event.choices)
    if not changed:
        return event
    log.warning("event on %s: %s held unstorable characters; replaced", event.channel.value, ", ".join(changed))
    return dataclasses.replace(event, **changed)  # type: ignore[arg-type]


def _database_unavailable(exc: BaseException) -> bool:
    """The database went away or refused (a restart, a lost connection, a lock): nothing about the event
    itself, so it must not be recorded as failed. Errors from the event's data or a bug are."""
    if isinstance(exc, OSError | PendingRollbackError):
        return True
    return isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError | DataError | ProgrammingError)
