"""The dispatcher: the only code that takes rows from the outbox and hands them to a channel adapter.

It claims due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the
work; on SQLite the write lock makes one claimer at a time), replies before bulk, sends, and records the
platform's answer. A row marked sent is never sent again; a send whose request may have reached the platform
is not resent blindly. Rate limits, quiet hours and the WhatsApp window are added here by the scheduling
issue; this is the part every channel needs from the start.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select

from bot.channels.base import ChannelAdapter, OutboundMessage, SendOutcome, SendResult
from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import Channel, ChannelIdentity, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchPolicy:
    batch: int = 50
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=5)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        adapters: Mapping[Channel, ChannelAdapter],
        clock: Clock,
        policy: DispatchPolicy | None = None,
        worker: str | None = None,
    ) -> None:
        self.db = db
        self.adapters = adapters
        self.clock = clock
        self.policy = policy or DispatchPolicy()
        self.worker = worker or f"worker-{uuid.uuid4().hex[:8]}"

    async def dispatch_due(self) -> int:
        """Send what is due now, one claimed batch at a time; return how many rows were handled."""
        handled = 0
        while True:
            claimed = await self._claim()
            if not claimed:
                return handled
            for row_id, channel, external_id, payload in claimed:
                result = await self._send(channel, external_id, payload)
                await self._record(row_id, result)
                handled += 1

    async def _claim(self) -> list[tuple[int, Channel, str | None, dict[str, object]]]:
        now = self.clock.now()
        channels = list(self.adapters)
        async with self.db.transaction() as session:
            query = (
                select(OutboxMessage, ChannelIdentity.external_id, ChannelIdentity.blocked_at)
                .outerjoin(ChannelIdentity, ChannelIdentity.id == OutboxMessage.channel_identity_id)
                .where(
                    OutboxMessage.channel.in_(channels),
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
            claimed: list[tuple[int, Channel, str | None, dict[str, object]]] = []
            for row, external_id, blocked_at in (await session.execute(query)).all():
                if row.status is OutboxStatus.CLAIMED:
                    # Its worker died holding it: the request may or may not have gone out.
                    row.status = OutboxStatus.FAILED
                    row.last_error = "lease expired while sending; not resent to avoid a duplicate"
                    continue
                recipient = external_id or row.recipient
                if blocked_at is not None or recipient is None:
                    row.status = OutboxStatus.SKIPPED
                    row.last_error = "recipient blocked the bot" if blocked_at else "no recipient"
                    continue
                row.status = OutboxStatus.CLAIMED
                row.claimed_by = self.worker
                row.lease_until = now + self.policy.lease
                row.attempts += 1
                claimed.append((row.id, row.channel, recipient, dict(row.payload)))
            return claimed

    async def _send(self, channel: Channel, external_id: str | None, payload: dict[str, object]) -> SendResult:
        adapter = self.adapters[channel]
        try:
            return await adapter.send(external_id or "", OutboundMessage.from_payload(payload))
        except Exception as exc:  # an adapter bug must not stop the dispatcher
            log.exception("send on %s raised", channel.value)
            return SendResult(SendOutcome.UNCERTAIN, error=type(exc).__name__)

    async def _record(self, row_id: int, result: SendResult) -> None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.lease_until = None
            if result.outcome is SendOutcome.SENT:
                row.status = OutboxStatus.SENT
                row.sent_at = now
                row.provider_message_id = result.provider_message_id
                return
            if result.outcome in (SendOutcome.THROTTLED, SendOutcome.UNREACHABLE) and (
                row.attempts < self.policy.max_attempts
            ):
                wait = timedelta(seconds=result.retry_after) if result.retry_after else None
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = now + (wait or self.policy.first_retry * 2 ** (row.attempts - 1))
                row.last_error = result.outcome.value
                return
            if result.outcome is SendOutcome.STOPPED and row.channel_identity_id is not None:
                identity = await session.get(ChannelIdentity, row.channel_identity_id)
                if identity is not None:
                    identity.blocked_at = now
            row.status = OutboxStatus.FAILED
            row.last_error = result.error or result.outcome.value
            log.warning("outbox %s failed: %s", row.id, row.last_error)
