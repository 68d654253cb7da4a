"""Rows for the outbox: every message the bot sends is one of these, written in the transaction that caused
it, and only the dispatcher takes them out (rule 1 of docs/architecture.md)."""

from __future__ import annotations

from datetime import datetime

from bot.core.channel import Channel
from bot.db.models import ChannelIdentity, OutboxMessage, OutboxStatus
from bot.messaging.channel import OutboundMessage

REPLY_PRIORITY = 0
ALERT_PRIORITY = 1
NUDGE_PRIORITY = 10


def outbox_row(
    key: str,
    message: OutboundMessage,
    now: datetime,
    *,
    person_id: int | None = None,
    identity: ChannelIdentity | None = None,
    recipient: tuple[Channel, str] | None = None,
    kind: str = "reply",
    priority: int = REPLY_PRIORITY,
) -> OutboxMessage:
    """A message for the dispatcher: to a person's identity, or (a stranger) to a platform id."""
    if identity is not None:
        channel, external = identity.channel, None
    elif recipient is not None:
        channel, external = recipient
    else:
        raise ValueError("an outbox row needs an identity or a recipient")
    return OutboxMessage(
        idempotency_key=key,
        person_id=person_id,
        channel_identity_id=identity.id if identity is not None else None,
        recipient=external,
        channel=channel,
        kind=kind,
        priority=priority,
        payload=message.to_payload(),
        status=OutboxStatus.PENDING,
        due_at=now,
        attempts=0,
        created_at=now,
    )
