"""What the command line asks about the outbox: ``trampoline outbox status``, ``trampoline outbox list`` and
``trampoline outbox show ID``. Never the message text, a phone number or a chat id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import OutboxMessage, OutboxStatus


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


async def outbox_listed(db: Database, status: OutboxStatus | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest ``limit`` rows (in ``status``, if given), newest first, for ``trampoline outbox list``: what
    each is and when, without the text or where it goes (no recipient, no channel identity)."""
    query = select(
        OutboxMessage.id,
        OutboxMessage.status,
        OutboxMessage.kind,
        OutboxMessage.person_id,
        OutboxMessage.attempts,
        OutboxMessage.created_at,
        OutboxMessage.due_at,
        OutboxMessage.sent_at,
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    async with db.reading() as session:
        rows = (await session.execute(query.order_by(OutboxMessage.id.desc()).limit(limit))).all()
    return [
        {
            "id": row.id,
            "status": row.status.value,
            "kind": row.kind,
            "person_id": row.person_id,
            "attempts": row.attempts,
            "created_at": row.created_at.isoformat(),
            "due_at": row.due_at.isoformat(),
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        }
        for row in rows
    ]


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
