"""What the dispatcher reads before it claims: the due rows, with what the rules and the adapter need to
know about each, and the two facts the rules of ``bot.messaging.policy`` need from the database (how many
capped messages she has had today, and whether a coach chose that alerts wait for her quiet hours)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.channel import Channel
from bot.core.timing import local_day_bounds
from bot.db.models import ChannelIdentity, CoachSetting, OutboxMessage, OutboxStatus, Person, Profile
from bot.messaging.policy import CAPPED_KINDS, SENT_STATUSES, count_today


def due_rows(
    channels: Iterable[Channel], now: datetime, batch: int, backend: str
) -> Select[OutboxMessage, str | None, datetime | None, Person | None, datetime | None, Any]:
    """At most ``batch`` rows due on ``channels`` (those this worker can send on), most urgent first, each
    with her chat id, when she blocked the bot, the person, when she last wrote on the channel and the
    languages she speaks besides her own. On PostgreSQL they are locked, skipping rows another worker holds."""
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
            OutboxMessage.channel.in_(list(channels)),
            OutboxMessage.due_at <= now,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            or_(
                OutboxMessage.status == OutboxStatus.PENDING,
                and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.lease_until < now),
            ),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.due_at, OutboxMessage.id)
        .limit(batch)
    )
    if backend == "postgresql":
        query = query.with_for_update(of=OutboxMessage, skip_locked=True)
    return query


async def capped_sent_today(session: AsyncSession, people: list[Person | None], now: datetime) -> dict[int, int]:
    """For each of ``people``: the capped messages sent to her on her local day so far, and those claimed
    and on their way (they go out today), in one statement."""
    days = {p.id: local_day_bounds(now, p.timezone) for p in people if p is not None}
    if not days:
        return {}
    rows = await session.execute(
        select(OutboxMessage.person_id, OutboxMessage.status, OutboxMessage.sent_at).where(
            OutboxMessage.person_id.in_(list(days)),
            OutboxMessage.kind.in_(CAPPED_KINDS),
            or_(
                and_(
                    OutboxMessage.status.in_(list(SENT_STATUSES)),
                    OutboxMessage.sent_at >= min(start for start, _ in days.values()),
                ),
                and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.lease_until >= now),
            ),
        )
    )
    return count_today(rows, days)


async def alerts_wait(session: AsyncSession, coach_id: int) -> bool:
    """Whether a coach chose that alerts about her women wait until her quiet hours end (coach_settings)."""
    chose = await session.scalar(
        select(CoachSetting.alerts_respect_quiet_hours).where(CoachSetting.person_id == coach_id)
    )
    return bool(chose)
