"""Delivery receipts: what a platform says later about a message it accepted (WhatsApp's statuses: sent,
delivered, read, failed) updates the outbox row it was sent as, found by its ``provider_message_id``.

A status only moves a row forward (sent -> delivered -> read); a failure marks it failed with the reason,
except one: a message the bot started that WhatsApp refused because her 24-hour window was closed
(131047) is queued again, flagged so that the adapter sends it as a template, never again as free text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from bot.core.channel import Channel
from bot.db.engine import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.messaging.channel import DeliveryStatus
from bot.messaging.policy import AS_TEMPLATE, again_as_template
from bot.messaging.reduce import reduce_after_delivery

log = logging.getLogger(__name__)

_ADVANCES = {
    "delivered": (OutboxStatus.DELIVERED, {OutboxStatus.SENT}),
    "read": (OutboxStatus.READ, {OutboxStatus.SENT, OutboxStatus.DELIVERED}),
}


async def record_statuses(db: Database, channel: Channel, statuses: Sequence[DeliveryStatus], now: datetime) -> int:
    """Apply ``statuses`` in one transaction; return how many rows changed. A status for a message the
    outbox does not know (sent by hand, or already re-queued) is ignored."""
    if not statuses:
        return 0
    changed = 0
    async with db.transaction() as session:
        for status in statuses:
            row = await session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.provider_message_id == status.provider_message_id,
                )
            )
            if row is None:
                continue
            if status.status in _ADVANCES:
                target, sources = _ADVANCES[status.status]
                if row.status in sources:
                    row.status = target
                    reduce_after_delivery(row)  # it arrived: no text is kept (bot.messaging.reduce)
                    changed += 1
                continue
            if status.status != "failed" or row.status not in (
                OutboxStatus.SENT,
                OutboxStatus.DELIVERED,
                OutboxStatus.READ,
            ):
                continue
            changed += 1
            if again_as_template(row.kind, row.payload, status.window_closed):
                row.payload = {**row.payload, AS_TEMPLATE: True}
                row.status = OutboxStatus.PENDING
                row.provider_message_id = None
                row.sent_at = None
                row.send_started_at = None
                row.next_attempt_at = None
                row.due_at = now
                row.last_error = status.error
                _note(row, now, "retry", "the 24-hour window was closed: again as a template")
                log.info("outbox %s queued again as a template", row.id)
                continue
            row.status = OutboxStatus.FAILED
            reduce_after_delivery(row)
            row.last_error = status.error or "failed"
            _note(row, now, "failed", row.last_error)
            log.warning("outbox %s failed after it was sent: %s", row.id, row.last_error)
    return changed


def _note(row: OutboxMessage, now: datetime, event: str, reason: str) -> None:
    row.history = [*(row.history or []), {"at": now.isoformat(), "event": event, "reason": reason}]
