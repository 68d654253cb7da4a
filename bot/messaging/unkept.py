"""Rows about someone the bot does not keep: a stranger, or a woman in the moment she is erased. Their keys
carry nothing the platform put in them (a WhatsApp message id holds the sender's number), and her last
goodbye is addressed to her platform account only, since her identity row is gone."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelIdentity, InboundEvent, OutboxMessage, OutboxStatus
from bot.messaging.channel import OutboundMessage

ERASED = "trampoline.erased"  # session.info key: the ids erased in this transaction
FAREWELL_KIND = "farewell"


def mark_erased(session: AsyncSession, person_id: int) -> None:
    """Note that ``person_id`` is erased in this session's transaction (``erased`` reads it)."""
    session.info.setdefault(ERASED, set()).add(person_id)


def anonymous_key(key: str) -> str:
    """A key that still tells two events (or messages) apart without carrying what the platform put in it
    (a WhatsApp message id holds the sender's number): for the rows of someone the bot does not keep."""
    channel, _, _ = key.partition(":")
    return f"{channel}:h:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


async def forget_event_key(session: AsyncSession, dedupe_key: str) -> None:
    """The inbound row of an event from someone the bot does not keep (a stranger, or her own last
    ``yes`` to ``forget``): its key is replaced by ``anonymous_key``."""
    await session.execute(
        update(InboundEvent)
        .where(InboundEvent.dedupe_key == dedupe_key)
        .values(dedupe_key=anonymous_key(dedupe_key), person_id=None),
        execution_options={"synchronize_session": False},
    )


def erased(session: AsyncSession, person_id: int) -> bool:
    """Whether ``person_id`` was erased in this session's transaction."""
    return person_id in session.info.get(ERASED, set())


def queue_farewell(
    session: AsyncSession, identity: ChannelIdentity, messages: list[OutboundMessage], key: str, now: datetime
) -> None:
    """Her last messages after an erasure (the goodbye), addressed to her platform account only: her
    identity row is gone. The address is wiped once they are sent (``bot.messaging.reduce``)."""
    for number, message in enumerate(messages):
        session.add(
            OutboxMessage(
                idempotency_key=anonymous_key(f"{key}:{number}"),
                person_id=None,
                channel_identity_id=None,
                recipient=identity.external_id,
                channel=identity.channel,
                kind=FAREWELL_KIND,
                priority=0,
                payload=message.to_payload(),
                status=OutboxStatus.PENDING,
                due_at=now,
                attempts=0,
                created_at=now,
            )
        )
