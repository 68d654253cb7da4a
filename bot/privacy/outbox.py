"""What the outbox keeps of a message once it went out (or failed for good): a data export's file and the
platform address of someone the bot does not keep (a stranger, or her goodbye after an erasure) are
needed only to send, so they are wiped then. The row stays as the delivery record."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage

DOCUMENT = "document"


async def forget_after_send(session: AsyncSession, row_id: int) -> None:
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return
    if DOCUMENT in (row.payload or {}):
        row.payload = {**{k: v for k, v in row.payload.items() if k != DOCUMENT}, "document_sent": True}
    if row.person_id is None and row.recipient is not None:
        row.recipient = None
        row.payload = {"text": "", "locale": row.payload.get("locale", "en")}
