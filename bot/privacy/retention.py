"""Retention: nothing is kept longer than its purpose needs.

* Message records: outbox rows (what was sent, and its text) and inbound event keys (kept only to drop a
  platform's redelivery) older than ``TRAMPOLINE_RETENTION_MESSAGES_DAYS`` (default 90) are deleted; rows
  still waiting to be sent are left alone.
* Inactive people: a participant or buddy who has not written for ``TRAMPOLINE_RETENTION_INACTIVE_MONTHS``
  (default 24; counted from her invite when she never wrote) is erased as if she had sent ``forget``
  (``bot.privacy.erasure``): only anonymous counts stay. Coaches and administrators are removed by hand.

A daily tick (``bot/runtime/ticks.py``) applies it; ``trampoline retention --dry-run`` shows the counts.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.db.models import ChannelIdentity, InboundEvent, OutboxMessage, OutboxStatus, Person, Role
from bot.privacy.erasure import Reason, erase_person

if TYPE_CHECKING:
    from bot.conversation.port import Engine

log = logging.getLogger(__name__)

WAITING = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
ERASED_WHEN_INACTIVE = (Role.PARTICIPANT, Role.BUDDY)


@dataclass(frozen=True)
class RetentionPolicy:
    messages_days: int = 90
    inactive_months: int = 24

    def messages_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.messages_days)

    def inactive_cutoff(self, now: datetime) -> datetime:
        return months_before(now, self.inactive_months)


@dataclass(frozen=True)
class RetentionReport:
    outbox_messages: int
    inbound_events: int
    people: int

    def as_json(self) -> dict[str, int]:
        return {"outbox_messages": self.outbox_messages, "inbound_events": self.inbound_events, "people": self.people}


def months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _old_outbox(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [OutboxMessage.created_at < cutoff, OutboxMessage.status.not_in(WAITING)]


async def inactive_people(session: AsyncSession, policy: RetentionPolicy, now: datetime) -> list[int]:
    cutoff = policy.inactive_cutoff(now)
    recent = exists().where(
        ChannelIdentity.person_id == Person.id,
        ChannelIdentity.last_inbound_at.is_not(None),
        ChannelIdentity.last_inbound_at >= cutoff,
    )
    query = (
        select(Person.id)
        .where(Person.role.in_(ERASED_WHEN_INACTIVE), Person.created_at < cutoff, ~recent)
        .order_by(Person.id)
    )
    return list(await session.scalars(query))


async def plan(session: AsyncSession, policy: RetentionPolicy, now: datetime) -> RetentionReport:
    """What applying the policy now would remove (counts only)."""
    cutoff = policy.messages_cutoff(now)
    outbox = await session.scalar(select(func.count()).select_from(OutboxMessage).where(*_old_outbox(cutoff)))
    inbound = await session.scalar(
        select(func.count()).select_from(InboundEvent).where(InboundEvent.received_at < cutoff)
    )
    people = await inactive_people(session, policy, now)
    return RetentionReport(int(outbox or 0), int(inbound or 0), len(people))


async def apply(db: Database, policy: RetentionPolicy, now: datetime, service: Engine | None = None) -> RetentionReport:
    """Apply the policy: each inactive person erased in a transaction of her own, then old message records
    deleted."""
    async with db.reading() as session:
        people = await inactive_people(session, policy, now)
    erased = 0
    for person_id in people:
        async with db.transaction() as session:
            if await erase_person(session, person_id, now, reason=Reason.RETENTION, service=service):
                erased += 1
    cutoff = policy.messages_cutoff(now)
    async with db.transaction() as session:
        outbox = await session.execute(delete(OutboxMessage).where(*_old_outbox(cutoff)))
        inbound = await session.execute(delete(InboundEvent).where(InboundEvent.received_at < cutoff))
    report = RetentionReport(
        int(getattr(outbox, "rowcount", 0) or 0), int(getattr(inbound, "rowcount", 0) or 0), erased
    )
    if report.outbox_messages or report.inbound_events or report.people:
        log.info(
            "retention: %d outbox messages, %d inbound event keys, %d inactive people removed",
            report.outbox_messages,
            report.inbound_events,
            report.people,
        )
    return report
