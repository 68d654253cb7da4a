"""``Turn``: everything one inbound event (or one nudge the bot starts) leads to for one person, and the
outbox rows it ends as (``queue``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.prefetch import prefetched
from bot.conversation.profile import context_for
from bot.core import i18n
from bot.db.models import ChannelIdentity, Person, Profile
from bot.messaging.channel import InboundEvent, OutboundMessage
from bot.messaging.rows import REPLY_PRIORITY, outbox_row
from bot.people.caseload import contexts_of


@dataclass
class Turn:
    """Everything one inbound event (or one scheduled nudge) leads to for one person."""

    session: AsyncSession
    now: datetime
    person: Person
    identity: ChannelIdentity
    event: InboundEvent | None  # None for a nudge the bot starts itself
    organisation: str
    coach: str | None
    profile: Profile | None
    coach_gender: str | None = None  # how texts about her coach speak of the coach (None: neutral wording)
    key: str = ""  # the outbox idempotency key prefix: "reply:<dedupe key>" or "nudge:<nudge key>"
    kind: str = "reply"
    priority: int = REPLY_PRIORITY
    stale_after: datetime | None = None
    outgoing: list[OutboundMessage] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        hint = self.event.language_hint if self.event is not None else None
        return context_for(
            self.person,
            self.profile,
            organisation=self.organisation,
            coach=self.coach,
            coach_gender=self.coach_gender,
            language_hint=i18n.locale_from_hint(hint),
        )


async def make_turn(
    session: AsyncSession,
    event: InboundEvent | None,
    now: datetime,
    person: Person,
    identity: ChannelIdentity,
) -> Turn:
    """Her turn, with her organisation, coach and profile: from the group's prefetch for her first event of
    the group, else read in one round trip."""
    key = f"reply:{event.dedupe_key}" if event is not None else ""
    group = prefetched(session)
    if event is not None and group is not None and person.id in group.contexts:
        organisation, coach, profile, gender = group.contexts.pop(person.id)
        return Turn(session, now, person, identity, event, organisation, coach, profile, gender, key=key)
    found = (await session.execute(contexts_of([person.id]))).first()
    if found is None:
        return Turn(session, now, person, identity, event, "", None, None, key=key)
    return Turn(session, now, person, identity, event, found[1] or "", found[2], found[3], found[4], key=key)


def queue(turn: Turn) -> None:
    """Write what the turn says as outbox rows (none to an identity that blocked the bot)."""
    if turn.identity.blocked_at is not None:
        return
    for number, message in enumerate(turn.outgoing):
        row = outbox_row(
            f"{turn.key}:{number}",
            message,
            turn.now,
            person_id=turn.person.id,
            identity=turn.identity,
            kind=turn.kind,
            priority=turn.priority,
        )
        row.stale_after = turn.stale_after
        turn.session.add(row)
