"""What the outbox keeps of a message once it went out (or failed for good): only the clear keys the
delivery record needs (``bot.db.sealing.reduce_after_send``: no text, no labels, no file). A data export's file and the
platform address of someone the bot does not keep (a stranger, or her goodbye after an erasure) are
needed only to send, so they are wiped then, with the platform's id of the message (Telegram's holds the
chat id, so a delivery receipt can no longer find the row: there is nothing to update for someone the bot
does not keep). The row stays as the delivery record. On SQLite the old versions of the row are wiped from
the file and the write-ahead log after the commit (``bot.db.engine.request_scrub``)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import request_scrub
from bot.db.models import OutboxMessage
from bot.db.sealing import reduce_after_send

DOCUMENT = "document"


async def forget_after_send(session: AsyncSession, row_id: int) -> None:
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return
    payload = row.payload or {}
    row.payload = {**reduce_after_send(payload), **({"document_sent": True} if DOCUMENT in payload else {})}
    if row.person_id is None and row.recipient is not None:
        row.recipient = None
        # Set by a statement just before: the loaded row may not know it, so it is wiped the same way.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(provider_message_id=None),
            execution_options={"synchronize_session": False},
        )
        row.payload = {"locale": row.payload.get("locale", "en")}
        request_scrub(session)
