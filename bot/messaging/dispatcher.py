"""The dispatcher: the only code that takes rows from the outbox and hands them to a channel adapter.

It claims due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the work;
on SQLite the write lock makes one claimer at a time), sends replies before bulk, and applies the rules for
messages the bot starts itself (nudges): never in her quiet hours (deferred to their end), nothing while she
has paused or stopped, at most a set number a day, and nothing that has gone stale. Every deferral or skip is
recorded with its reason in the row's history (``trampoline outbox show ID``).

Delivery is at most once per row: a row marked sent is never sent again, and a row whose send may have
reached the platform (its worker died mid-request, or the request timed out) is marked failed rather than
resent, because a duplicate reminder is worse than a late one. Throttling and connection failures are retried
with growing back-off, up to a set number of attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time as monotonic_time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.core.timing import in_quiet_hours, local_day_bounds, next_local_day, quiet_hours_end
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, CoachSetting, OutboxMessage, OutboxStatus, Person, PersonStatus, Profile
from bot.messaging.channel import (
    ChannelAdapter,
    MediaFetchError,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
)
from bot.messaging.reduce import forget_after_send

log = logging.getLogger(__name__)

# Core statements on the hot path: the ORM's bulk-update bookkeeping costs more than the update itself.
OUTBOX = cast(Table, OutboxMessage.__table__)

# Messages the bot starts on its own; replies to her (and coach alerts) are not held back.
NUDGE_KINDS = frozenset({"nudge", "reminder"})


@dataclass(frozen=True)
class ChannelRate:
    per_second: float  # for the whole channel (the bot, or the WhatsApp number)
    per_recipient_interval: float = 0.0  # seconds between two messages to the same chat


@dataclass(frozen=True)
class DispatchPolicy:
    batch: int = 50
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=5)
    max_nudges_per_day: int = 3
    concurrency: int = 8  # chats served at once; one chat's messages always go one after another, in order
    rates: Mapping[Channel, ChannelRate] = field(
        default_factory=lambda: {
            Channel.TELEGRAM: ChannelRate(30.0, 1.0),
            Channel.WHATSAPP: ChannelRate(80.0, 1.0),
            Channel.SIMULATOR: ChannelRate(1000.0),
        }
    )


class RateLimiter:
    """Spaces sends evenly at ``per_second`` overall and ``per_recipient_interval`` per chat. The wait is
    real time (the platform counts real seconds), but the clock and the sleep can be replaced in tests.

    Each send reserves a slot, then sleeps until it. A sender that wakes late (the loop was busy) takes the
    next slot after the last one actually used, so the senders that were held up go out spaced again rather
    than all at once: a burst after a pause would push a second over the platform's limit."""

    # Stay this much under the platform's limit, so that network jitter never pushes a second over it.
    SAFETY = 1.02

    def __init__(
        self,
        rate: ChannelRate,
        monotonic: Callable[[], float] = monotonic_time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = self.SAFETY / rate.per_second if rate.per_second > 0 else 0.0
        self.per_recipient = rate.per_recipient_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._last: float | None = None  # the slot the last send went out in
        self._recipients: dict[str, float] = {}

    async def wait(self, recipient: str) -> None:
        now = self._monotonic()
        slot = max(now, self._next, self._recipients.get(recipient, 0.0))
        # Reserve the slot before sleeping, so concurrent senders queue up behind each other.
        self._next = slot + self.interval
        if self.per_recipient:
            self._recipients[recipient] = slot + self.per_recipient
            if len(self._recipients) > 10_000:
                self._recipients = {k: v for k, v in self._recipients.items() if v > now}
        if slot > now:
            await self._sleep(slot - now)
            now = self._monotonic()
        if self._last is not None and now < self._last + self.interval:
            slot = self._last + self.interval  # woken together with others after a pause: keep the spacing
            self._next = max(self._next, slot + self.interval)
            self._last = slot
            await self._sleep(slot - now)
            now = self._monotonic()
        self._last = now if self._last is None else max(self._last, now)

    def back_off(self, seconds: float) -> None:
        """The platform said "too many": pause the whole channel for that long."""
        self._next = max(self._next, self._monotonic() + seconds)


@dataclass
class Claimed:
    row_id: int
    channel: Channel
    recipient: str
    payload: dict[str, Any]
    context: SendContext | None = None


# Set in a row's payload when the platform refused it as free text (WhatsApp's window was closed).
AS_TEMPLATE = "as_template"


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

    # -- claiming, with the rules for nudges ---

    async def _claim(self) -> tuple[list[Claimed], int]:
        now = self.clock.now()
        async with self.db.transaction() as session:
            query = (
                select(
                    OutboxMessage,
                    ChannelIdentity.external_id,
                    ChannelIdentity.blocked_at,
                    Person,
                    ChannelIdentity.last_inbound_at,
                    Profile.languages,
                )
                .outerjoin(ChannelIdentity, ChannelIdentity.id == OutboxMessage.channel_identity_id)
                .outerjoin(Person, Person.id == OutboxMessage.person_id)
                .outerjoin(Profile, Profile.person_id == OutboxMessage.person_id)
                .where(
                    OutboxMessage.channel.in_(list(self.adapters)),
                    OutboxMessage.due_at <= now,
                    or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                    or_(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.lease_until < now),
                    ),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)
                .limit(self.policy.batch)
            )
            if self.db.backend == "postgresql":
                query = query.with_for_update(of=OutboxMessage, skip_locked=True)
            rows = (await session.execute(query)).all()
            sent_today = await self._nudges_sent_today(session, [r[3] for r in rows if r[0].kind in NUDGE_KINDS], now)
            claimed: list[Claimed] = []
            settled = 0
            for row, external_id, blocked_at, person, last_inbound_at, spoken in rows:
                if row.status is OutboxStatus.CLAIMED and row.send_started_at is not None:
                    row.status = OutboxStatus.FAILED
                    row.last_error = "its worker stopped while sending; not resent, it may have arrived"
                    _note(row, now, "failed", row.last_error)
                    settled += 1
                    continue
                recipient = external_id or row.recipient
                if blocked_at is not None or recipient is None:
                    self._skip(row, now, "she blocked the bot" if blocked_at else "no one to send to")
                    settled += 1
                    continue
                if (
                    row.kind in NUDGE_KINDS
                    and person is not None
                    and not self._nudge_allowed(row, person, now, sent_today)
                ):
                    settled += 1
                    continue
                if row.kind == "alert" and person is not None and await _alert_waits(session, person, now):
                    until = quiet_hours_end(now, person.timezone, person.quiet_start, person.quiet_end)
                    self._defer(row, now, until, "her quiet hours (she chose that alerts wait)")
                    settled += 1
                    continue
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
                    as_template=bool(row.payload.get(AS_TEMPLATE)),
                )
                claimed.append(Claimed(row.id, row.channel, recipient, dict(row.payload), context))
                if row.kind in NUDGE_KINDS and person is not None:
                    sent_today[person.id] = sent_today.get(person.id, 0) + 1
            return claimed, settled

    async def _nudges_sent_today(self, session: Any, people: list[Person | None], now: datetime) -> dict[int, int]:
        """For each of ``people``: the nudges sent to her on her local day so far, and those claimed and on
        their way (they go out today), in one statement."""
        bounds = {p.id: local_day_bounds(now, p.timezone) for p in people if p is not None}
        counts = dict.fromkeys(bounds, 0)
        if not bounds:
            return counts
        rows = await session.execute(
            select(OutboxMessage.person_id, OutboxMessage.status, OutboxMessage.sent_at).where(
                OutboxMessage.person_id.in_(list(bounds)),
                OutboxMessage.kind.in_(NUDGE_KINDS),
                or_(
                    and_(
                        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ]),
                        OutboxMessage.sent_at >= min(start for start, _ in bounds.values()),
                    ),
                    and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.lease_until >= now),
                ),
            )
        )
        for person_id, status, sent_at in rows:
            start, end = bounds[person_id]
            if status is OutboxStatus.CLAIMED or start <= sent_at < end:
                counts[person_id] += 1
        return counts

    def _nudge_allowed(self, row: OutboxMessage, person: Person, now: datetime, sent_today: dict[int, int]) -> bool:
        """Apply the rules for a message the bot starts; defer or skip it (with the reason) when one says no."""
        if row.stale_after is not None and now > row.stale_after:
            self._skip(row, now, "no longer useful: its moment has passed")
            return False
        if person.status is PersonStatus.STOPPED:
            self._skip(row, now, "she stopped all messages")
            return False
        if person.status is PersonStatus.PAUSED and (person.paused_until is None or person.paused_until > now):
            self._skip(row, now, "she paused her reminders")
            return False
        if in_quiet_hours(now, person.timezone, person.quiet_start, person.quiet_end):
            until = quiet_hours_end(now, person.timezone, person.quiet_start, person.quiet_end)
            self._defer(row, now, until, "her quiet hours")
            return False
        if sent_today.get(person.id, 0) >= self.policy.max_nudges_per_day:
            until = quiet_hours_end(
                next_local_day(now, person.timezone, person.quiet_end),
                person.timezone,
                person.quiet_start,
                person.quiet_end,
            )
            self._defer(row, now, until, f"already {self.policy.max_nudges_per_day} messages today")
            return False
        return True

    def _skip(self, row: OutboxMessage, now: datetime, reason: str) -> None:
        row.status = OutboxStatus.SKIPPED
        row.last_error = reason
        row.lease_until = None
        _note(row, now, "skipped", reason)
        log.info("outbox %s skipped: %s", row.id, reason)

    def _defer(self, row: OutboxMessage, now: datetime, until: datetime, reason: str) -> None:
        row.status = OutboxStatus.PENDING
        row.due_at = until
        row.lease_until = None
        if row.stale_after is not None and until > row.stale_after:
            self._skip(row, now, f"{reason} last until after it is useful")
            return
        _note(row, now, "deferred", f"{reason}, until {until.isoformat()}")

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
        context, refused = await self._with_media(item, message)
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

    async def _with_media(
        self, item: Claimed, message: OutboundMessage
    ) -> tuple[SendContext | None, SendResult | None]:
        """The send context with the bytes of the message's media when the target channel cannot send the
        reference as it is (the target adapter's ``sends_media_from``: WhatsApp sends only files uploaded to
        it, Telegram only its own file ids). The bytes come from the adapter of the channel the reference
        belongs to (unknown in old rows: the target's own). Nothing is sent yet, so a fetch that may work later
        (or an adapter this worker lacks) is an ``UNREACHABLE`` result, retried like any other; a file that is
        gone fails the row with its reason."""
        if message.media_kind is None or message.media_ref is None:
            return item.context, None
        source = message.media_channel or item.channel.value
        known = source in {c.value for c in Channel}
        sends = getattr(self.adapters[item.channel], "sends_media_from", None)
        as_is = sends(Channel(source)) if sends is not None and known else source == item.channel.value
        if as_is:
            return item.context, None
        adapter = self.adapters.get(Channel(source)) if source in {c.value for c in Channel} else None
        fetch = getattr(adapter, "fetch_media", None)
        if fetch is None:
            error = f"the note's file is on {source}, which this worker cannot read"
            return item.context, SendResult(SendOutcome.UNREACHABLE, error=error)
        try:
            media: MediaFile = await fetch(message.media_ref, message.media_kind)
        except MediaFetchError as exc:
            error = f"the note's file could not be fetched from {source}: {exc.reason}"
            outcome = SendOutcome.FAILED if exc.permanent else SendOutcome.UNREACHABLE
            return item.context, SendResult(outcome, error=error)
        except Exception as exc:  # an adapter bug: fetching is only reading, so trying again is safe
            log.warning("fetching media on %s raised %s", source, type(exc).__name__)
            error = f"the note's file could not be fetched from {source} ({type(exc).__name__})"
            return item.context, SendResult(SendOutcome.UNREACHABLE, error=error)
        base = item.context or SendContext(kind="reply")
        return dataclasses.replace(base, media=media), None

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
            await forget_after_send(session, row_id)
            return
        row = await session.get(OutboxMessage, row_id)
        if row is None:
            return
        row.lease_until = None
        retryable = result.outcome in (SendOutcome.THROTTLED, SendOutcome.UNREACHABLE)
        if retryable and row.attempts < self.policy.max_attempts:
            wait = timedelta(seconds=result.retry_after) if result.retry_after else None
            row.status = OutboxStatus.PENDING
            row.send_started_at = None  # it did not go out: safe to send again
            row.next_attempt_at = now + (wait or self.policy.first_retry * 2 ** (row.attempts - 1))
            row.last_error = result.error or result.outcome.value
            _note(row, now, "retry", f"{result.outcome.value}; next attempt {row.next_attempt_at.isoformat()}")
            return
        if result.outcome is SendOutcome.STOPPED and row.channel_identity_id is not None:
            identity = await session.get(ChannelIdentity, row.channel_identity_id)
            if identity is not None:
                identity.blocked_at = now
        row.status = OutboxStatus.FAILED
        row.last_error = result.error or result.outcome.value
        _note(row, now, "failed", row.last_error)
        await forget_after_send(session, row.id)
        log.warning("outbox %s failed: %s", row.id, row.last_error)


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


async def outbox_status(db: Database, now: datetime) -> dict[str, Any]:
    """Counts by status and the oldest message still waiting, for ``trampoline outbox status``."""
    async with db.reading() as session:
        counts = dict(
            (status.value, int(number))
            for status, number in (
                await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
            ).all()
        )
        oldest = await session.scalar(
            select(func.min(OutboxMessage.due_at)).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        due_now = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now)
        )
    return {
        "counts": {status.value: counts.get(status.value, 0) for status in OutboxStatus},
        "oldest_pending_due_at": oldest.isoformat() if oldest else None,
        "due_now": int(due_now or 0),
    }


async def outbox_entry(db: Database, row_id: int) -> dict[str, Any] | None:
    """One row without its message text, for ``trampoline outbox show ID``."""
    async with db.reading() as session:
        row = await session.get(OutboxMessage, row_id)
        if row is None:
            return None
        return {
            "id": row.id,
            "key": row.idempotency_key,
            "person_id": row.person_id,
            "channel": row.channel.value,
            "kind": row.kind,
            "priority": row.priority,
            "status": row.status.value,
            "due_at": row.due_at.isoformat(),
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
            "stale_after": row.stale_after.isoformat() if row.stale_after else None,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "provider_message_id": row.provider_message_id,
            "last_error": row.last_error,
            "history": list(row.history or []),
        }


async def _alert_waits(session: Any, person: Person, now: datetime) -> bool:
    """A coach may choose that alerts about her women wait until her quiet hours end (coach_settings)."""
    if not in_quiet_hours(now, person.timezone, person.quiet_start, person.quiet_end):
        return False
    return bool(
        await session.scalar(select(CoachSetting.alerts_respect_quiet_hours).where(CoachSetting.person_id == person.id))
    )
