"""The access log: which coach (or administrator) read or changed which person's data, and when.

Call ``record_access`` in the same transaction as the read, so the entry exists exactly when the read
happened. ``detail`` is for small facts (which command, how many rows), never for the data itself: the log
must not become a second copy of her data. An erasure clears the details of entries about her and the ids
are unlinked by the foreign keys (``ON DELETE SET NULL``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry

MAX_ACTION = 64


def record_access(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    subject_id: int | None,
    now: datetime,
    **detail: Any,
) -> AuditEntry:
    """Add one entry: ``actor_id`` did ``action`` (``coach.read_checkins``, ``admin.export``, ...) to
    ``subject_id``'s data at ``now``. ``actor_id`` None means the command line (an administrator)."""
    entry = AuditEntry(at=now, actor_id=actor_id, action=action[:MAX_ACTION], subject_id=subject_id, detail=detail)
    session.add(entry)
    return entry


async def accesses(session: AsyncSession, subject_id: int) -> list[AuditEntry]:
    """Every entry about ``subject_id``, oldest first."""
    return list(
        await session.scalars(select(AuditEntry).where(AuditEntry.subject_id == subject_id).order_by(AuditEntry.id))
    )
