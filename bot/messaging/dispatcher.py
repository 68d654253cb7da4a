"""The dispatcher: the only code that takes rows from the outbox and hands them to a channel adapter.

It claims due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the work;
on SQLite the write lock makes one claimer at a time), sends replies before bulk, and applies the rules of
``bot.messaging.policy`` for messages the bot starts itself (never in her quiet hours, nothing while she has
paused or stopped, at most a set number a day, nothing stale). Every deferral or skip is recorded with its
reason in the row's history (``trampoline outbox show ID``). Sends are spaced by ``bot.messaging.rate``; the
small writes around each send are committed in groups (``bot.messaging.writer``).

Delivery is at most once per row: a row marked sent is never sent again, and a row whose send may have
reached the platform (its worker died mid-request, or the request timed out) is marked failed rather than
resent, because a duplicate reminder is worse than a late one. Throttling and connection failures are retried
with growing back-off, up to a set number of attempts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, OutboxMessage, OutboxStatus, Person
from bot.messaging.channel import (
    ChannelAdapter,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
)
from bot.messaging.due import alerts_wait, capped_sent_today, due_rows
from bot.messaging.media import with_media
from bot.messaging.policy import (
    ALERT,
    CAPPED_KINDS,
    SEND,
    Defer,
    DispatchPolicy,
    Fail,
    Send,
    Skip,
    Verdict,
    alert_verdict,
    as_template,
    before_sending,
    capped_verdict,
    next_attempt,
    quiet_until,
)
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.messaging.reduce import forget_after_send
from bot.messaging.writer import GroupWriter

log = logging.getLogger(__name__)

# Core statements on the hot path: the ORM's bulk-update bookkeeping costs more than the update itself.
OUTBOX = cast(Table, OutboxMessage.__table__)


@dataclass
class Claimed:
    row_id: int
    channel: Channel
    recipient: str
    payload: dict[str, Any]
    context: SendContext | None = None


def _note(row: OutboxMessage, now: datetime, event: str, reason: str) -> None:
    row.history = [*(row.history or []), {"at": now.isoformat(), "event": event, "reason": reason}]


class Dispatcher:
    def __init__(
        self,
        db: Database,
        adapters: Mapping[Channel, ChannelAdapter],
        clock: Clock,
        policy: DispatchPolicy | None = None,
        worker: str | None = None,
        limiters: Mapping[Channel, RateLimiter] | None = None,
    ) -> None:
        self.db = db
        self.adapters = adapters
        self.clock = clock
        self.policy = policy or DispatchPolicy()
        self.worker = worker or f"worker-{uuid.uuid4().hex[:8]}"
        self.limiters = dict(limiters or {})
        for channel in adapters:
            if channel not in self.limiters:
                self.limiters[channel] = RateLimiter(self.policy.rates.get(channel, ChannelRate(30.0)))
        self.wake = asyncio.Event()
        # Channels whose adapter may ask for a message the bot started again (their text is kept until a receipt).
        self.resending = frozenset(
            channel
            for channel, adapter in adapters.items()
            if getattr(adapter, "capabilities", None) is not None and adapter.capabilities.resends_started  # type: ignore[attr-defined]
        )

    # -- the loop ---

    async def run(self, stopping: asyncio.Event, idle_wait: float = 1.0) -> None:
        """Dispatch until ``stopping`` is set; between empty rounds, wait for ``wake`` or ``idle_wait``."""
        while not stopping.is_set():
            try:
                handled = await self.dispatch_due(stopping)
            except Exception as exc:  # the database went away: try again shortly, never die
                log.error("dispatch round failed: %s", type(exc).__name__)
                handled = 0
            if handled == 0:
                self.wake.clear()
                waiter = asyncio.ensure_future(self.wake.wait())
                stopper = asyncio.ensure_future(stopping.wait())
                await asyncio.wait({waiter, stopper}, timeout=idle_wait, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()

    async def dispatch_due(self, stopping: asyncio.Event | None = None) -> int:
        """Send what is due now, in claimed batches; return how many rows were sent or settled.

        The next batch is claimed once every message of the current one is on its way, and its chats start
        at once, so the platform's rate is used without a pause between batches; a chat that still has a
        message of the earlier batch on its way waits for it, so one chat's messages stay in order. Once
        ``stopping`` is set, nothing more is claimed, what is on its way is finished, and a batch claimed
        meanwhile is given back."""
        if stopping is not None and stopping.is_set():
            return 0
        gate = asyncio.Semaphore(self.policy.concurrency)
        writes = GroupWriter(self.db)
        chats: dict[tuple[Channel, str], asyncio.Future[None]] = {}
        try:
            claimed, handled = await self._claim()
            while claimed:
                handled += len(claimed)
                all_started = self._start_batch(claimed, gate, writes, chats, stopping)
                # Until the batch's last message has started, or every chat is done (asyncio.wait never
                # cancels what it waits for).
                in_flight = asyncio.ensure_future(asyncio.wait(list(chats.values())))
                waiter = asyncio.ensure_future(all_started.wait())
                await asyncio.wait({in_flight, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                in_flight.cancel()
                if any(c.done() and not c.cancelled() and c.exception() for c in chats.values()):
                    break  # a chat failed: the error goes to the caller below
                if stopping is not None and stopping.is_set():
                    break
                claimed, settled = await self._claim()
                handled += settled
                if claimed and stopping is not None and stopping.is_set():
                    await self._release(claimed)
                    handled -= len(claimed)
                    break
            await asyncio.gather(*chats.values())
            return handled
        finally:
            await writes.close()

    def _start_batch(
        self,
        claimed: list[Claimed],
        gate: asyncio.Semaphore,
        writes: GroupWriter,
        chats: dict[tuple[Channel, str], asyncio.Future[None]],
        stopping: asyncio.Event | None = None,
    ) -> asyncio.Event:
        """Start sending ``claimed``: several chats at once, each chat's messages one after another, after
        any of hers still on their way. The small writes around each send (started, then its outcome) are
        committed in groups. The event returned is set once the last message of the batch has started.
        Once ``stopping`` is set, a chat's messages that have not started are given back."""
        by_chat: dict[tuple[Channel, str], list[Claimed]] = {}
        for item in claimed:
            by_chat.setdefault((item.channel, item.recipient), []).append(item)
        all_started = asyncio.Event()
        waiting = len(claimed)

        async def chat(items: list[Claimed], before: asyncio.Future[None] | None) -> None:
            nonlocal waiting
            if before is not None:
                await before
            async with gate:
                for number, item in enumerate(items):
                    if stopping is not None and stopping.is_set():
                        await self._release(items[number:])
                        return
                    waiting -= 1
                    if not waiting:
                        all_started.set()
                    await self._deliver(item, writes)

        for key, items in by_chat.items():
            before = chats.get(key)
            chats[key] = asyncio.ensure_future(
                chat(items, before if before is not None and not before.done() else None)
            )
        for key in [key for key, task in chats.items() if task.done()]:
            del chats[key]
        return all_started

    async def _release(self, claimed: list[Claimed]) -> None:
        """Give back claims that were not sent: they are due again at once, for any worker."""
        async with self.db.transaction() as session:
            await session.execute(
                OUTBOX.update()
                .where(
                    OUTBOX.c.id.in_([item.row_id for item in claimed]),
                    OUTBOX.c.claimed_by == self.worker,
                    OUTBOX.c.status == OutboxStatus.CLAIMED,
                    OUTBOX.c.send_started_at.is_(None),
                )
                .values(status=OutboxStatus.PENDING, lease_until=None, attempts=OUTBOX.c.attempts - 1)
            )

    # -- claiming, with the rules of bot.messaging.policy ---

    async def _claim(self) -> tuple[list[Claimed], int]:
        """Claim the due rows the rules let go now; settle the others. Returns the claims and how many
        rows were settled (skipped, deferred or failed)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            query = due_rows(self.adapters, now, self.policy.batch, self.db.backend)
            rows = (await session.execute(query)).all()
            sent_today = await capped_sent_today(session, [r[3] for r in rows if r[0].kind in CAPPED_KINDS], now)
            claimed: list[Claimed] = []
            settled = 0
            for row, external_id, blocked_at, person, last_inbound_at, spoken in rows:
                recipient = external_id or row.recipient
                verdict = await self._verdict(session, row, recipient, blocked_at, person, now, sent_today)
                if not isinstance(verdict, Send):
                    self._settle(row, now, verdict)
                    settled += 1
                    continue
                assert recipient is not None  # before_sending skips a row with no one to send to
                claimed.append(self._take(row, now, recipient, person, last_inbound_at, spoken))
                if row.kind in CAPPED_KINDS and person is not None:
                    sent_today[person.id] = sent_today.get(person.id, 0) + 1
            return claimed, settled

    async def _verdict(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        recipient: str | None,
        blocked_at: datetime | None,
        person: Person | None,
        now: datetime,
        sent_today: Mapping[int, int],
    ) -> Verdict:
        """What the rules say of one due row. An alert reads her choice only inside her quiet hours."""
        verdict = before_sending(
            died_while_sending=row.status is OutboxStatus.CLAIMED and row.send_started_at is not None,
            blocked=blocked_at is not None,
            has_recipient=recipient is not None,
        )
        if not isinstance(verdict, Send) or person is None:
            return verdict
        if row.kind in CAPPED_KINDS:
            cap = self.policy.max_nudges_per_day
            return capped_verdict(person, now, row.stale_after, sent_today.get(person.id, 0), cap)
        if row.kind == ALERT and quiet_until(person, now) is not None:
            return alert_verdict(person, now, row.stale_after, await alerts_wait(session, person.id))
        return SEND

    def _settle(self, row: OutboxMessage, now: datetime, verdict: Defer | Skip | Fail) -> None:
        """Hold the row back as the verdict says, with its reason in the row's history."""
        if isinstance(verdict, Fail):
            row.status = OutboxStatus.FAILED
            row.last_error = verdict.reason
            _note(row, now, "failed", verdict.reason)
        elif isinstance(verdict, Defer):
            row.status = OutboxStatus.PENDING
            row.due_at = verdict.until
            row.lease_until = None
            _note(row, now, "deferred", f"{verdict.reason}, until {verdict.until.isoformat()}")
        else:
            if verdict.deferred_to is not None:
                row.due_at = verdict.deferred_to
            row.status = OutboxStatus.SKIPPED
            row.last_error = verdict.reason
            row.lease_until = None
            _note(row, now, "skipped", verdict.reason)
            log.info("outbox %s skipped: %s", row.id, verdict.reason)

    def _take(
        self,
        row: OutboxMessage,
        now: datetime,
        recipient: str,
        person: Person | None,
        last_inbound_at: datetime | None,
        spoken: Any,
    ) -> Claimed:
        """Claim the row for this worker, with a lease, and what its adapter needs to know to send it."""
        row.status = OutboxStatus.CLAIMED
        row.claimed_by = self.worker
        row.lease_until = now + self.policy.lease
        row.send_started_at = None
        row.attempts += 1
        context = SendContext(
            kind=row.kind,
            last_inbound_at=last_inbound_at,
            locale=person.locale if person is not None else None,
            second_locales=tuple(str(code) for code in spoken or ()),
            name=person.display_name if person is not None else None,
            as_template=as_template(row.payload),
        )
        return Claimed(row.id, row.channel, recipient, dict(row.payload), context)

    # -- sending ---

    async def _deliver(self, item: Claimed, writes: GroupWriter) -> None:
        now = self.clock.now()

        async def mark_started(session: AsyncSession) -> bool:
            marked = await session.execute(
                OUTBOX.update()
                .where(
                    OUTBOX.c.id == item.row_id,
                    OUTBOX.c.status == OutboxStatus.CLAIMED,
                    OUTBOX.c.claimed_by == self.worker,
                )
                .values(send_started_at=now)
            )
            return bool(getattr(marked, "rowcount", 0))

        if not await writes.run(mark_started):
            return  # someone else took it after our lease ran out
        message = OutboundMessage.from_payload(item.payload)
        context, refused = await with_media(self.adapters, item.channel, item.context, message)
        if refused is not None:
            result = refused
        else:
            await self.limiters[item.channel].wait(item.recipient)
            try:
                result = await self.adapters[item.channel].send(item.recipient, message, context=context)
            except Exception as exc:  # an adapter bug must not stop the dispatcher
                log.exception("send on %s raised", item.channel.value)
                result = SendResult(SendOutcome.UNCERTAIN, error=type(exc).__name__)
        if result.outcome is SendOutcome.THROTTLED and result.retry_after:
            self.limiters[item.channel].back_off(result.retry_after)
        recorded_at = self.clock.now()

        async def record(session: AsyncSession) -> None:
            await self._record(session, item.row_id, result, recorded_at)

        await writes.run(record)

    async def _record(self, session: AsyncSession, row_id: int, result: SendResult, now: datetime) -> None:
        if result.outcome is SendOutcome.SENT:
            await session.execute(
                OUTBOX.update()
                .where(OUTBOX.c.id == row_id)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=now,
                    provider_message_id=result.provider_message_id,
                    lease_until=None,
                )
            )
            await forget_after_send(session, row_id, self.resending)
            return
        row = await session.get(OutboxMessage, row_id)
        if row is None:
            return
        row.lease_until = None
        retry_at = next_attempt(result.outcome, row.attempts, result.retry_after, now, self.policy)
        if retry_at is not None:
            row.status = OutboxStatus.PENDING
            row.send_started_at = None  # it did not go out: safe to send again
            row.next_attempt_at = retry_at
            row.last_error = result.error or result.outcome.value
            _note(row, now, "retry", f"{result.outcome.value}; next attempt {retry_at.isoformat()}")
            return
        if result.outcome is SendOutcome.STOPPED and row.channel_identity_id is not None:
            identity = await session.get(ChannelIdentity, row.channel_identity_id)
            if identity is not None:
                identity.blocked_at = now
        row.status = OutboxStatus.FAILED
        row.last_error = result.error or result.outcome.value
        _note(row, now, "failed", row.last_error)
        await forget_after_send(session, row.id, self.resending)
        log.warning("outbox %s failed: %s", row.id, row.last_error)
