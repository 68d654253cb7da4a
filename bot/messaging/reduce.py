"""What the outbox keeps of a message once it went out (or failed for good): only the clear keys the
delivery record needs (``bot.db.sealing.reduce_after_send``: no text, no labels, no file). A data export's file and the
platform address of someone the bot does not keep (a stranger, or her goodbye after an erasure) are
needed only to send, so they are wiped then, with the platform's id of the message (Telegram's holds the
chat id, so a delivery receipt can no longer find the row: there is nothing to update for someone the bot
does not keep). The row stays as the delivery record. On SQLite the old versions of the row are wiped from
the file and the write-ahead log after the commit (``bot.db.engine.request_scrub``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.channel import Channel
from bot.db.engine import request_scrub
from bot.db.models import OutboxMessage, OutboxStatus
from bot.db.sealing import reduce_after_send
from bot.messaging.channel import STARTED_KINDS

DOCUMENT = "document"


async def forget_after_send(session: AsyncSession, row_id: int, resending: Collection[Channel] = ()) -> None:
    """``resending``: the channels whose adapter may ask for a started message again (``resends_started``)."""
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return
    # Still sealed when the platform may ask for it again; reduced when it says delivered or read
    # (bot.messaging.receipts).
    if row.status is OutboxStatus.FAILED or not may_be_sent_again(row, resending):
        reduce_after_delivery(row)
    if row.person_id is None and row.recipient is not None:
        row.recipient = None
        # Set by a statement just before: the loaded row may not know it, so it is wiped the same way.
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(provider_message_id=None),
            execution_options={"synchronize_session": False},
        )
        row.payload = {"locale": row.payload.get("locale", "en")}
        request_scrub(session)


def may_be_sent_again(row: OutboxMessage, resending: Collection[Channel]) -> bool:
    """A message the bot started that went out as free text on a channel that may ask for it again (WhatsApp,
    when it reports later that the 24-hour window was closed, gets it again as a template): its sealed text is
    kept until then."""
    return row.channel in resending and row.kind in STARTED_KINDS and not (row.payload or {}).get("as_template")


def reduce_after_delivery(row: OutboxMessage) -> None:
    """Delivered, read or failed for good: what the delivery record keeps (no text left)."""
    payload = row.payload or {}
    row.payload = {**reduce_after_send(payload), **({"document_sent": True} if DOCUMENT in payload else {})}
