"""What the events of one inbox group need first, read with a handful of statements for the whole group
(``prefetch``) and kept in the session for the steps that follow (``prefetched``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.channel import Channel
from bot.db.models import ChannelIdentity, CheckIn, Conversation, ConversationStatus, Organisation, Person, Profile
from bot.messaging.channel import InboundEvent
from bot.people.caseload import of_her_coach

PREFETCHED = "trampoline_prefetched"  # the key of a group's ``Prefetched`` in ``session.info``


@dataclass
class Prefetched:
    """What the events of one inbox group need first, read with a handful of statements for the whole group
    instead of several for each event: who wrote (identity and person), her organisation, coach and profile,
    her open and waiting conversations and the check-in the open one fills in.

    Who wrote, and her organisation, coach and profile, are used once, by her first event of the group; her
    later events read them again. Her conversations stay until something changes which of them is open or
    waiting: ``start_flow`` (the only place a conversation is made or put to wait) forgets them for whoever
    it starts a flow for, and a conversation whose status another step changed (closed, expired, cancelled)
    is skipped and read again. Saving an answer forgets her context when it gives her a new profile. The
    objects are the session's own (its identity map), so a change another event makes to them is seen here
    too; ``keep`` holds them so the identity map does not let them go."""

    identities: dict[tuple[Channel, str], tuple[ChannelIdentity, Person] | None] = field(default_factory=dict)
    contexts: dict[int, tuple[str, str | None, Profile | None, str | None]] = field(default_factory=dict)
    active: dict[int, Conversation | None] = field(default_factory=dict)
    waiting: dict[int, list[Conversation]] = field(default_factory=dict)
    keep: list[object] = field(default_factory=list)

    def forget(self, person_id: int, *, conversation: bool = False, context: bool = False) -> None:
        if conversation:
            self.active.pop(person_id, None)
            self.waiting.pop(person_id, None)
        if context:
            self.contexts.pop(person_id, None)


def prefetched(session: AsyncSession) -> Prefetched | None:
    found = session.info.get(PREFETCHED)
    return found if isinstance(found, Prefetched) else None


async def prefetch(session: AsyncSession, events: Sequence[InboundEvent], *, lock_rows: bool) -> Prefetched:
    """Read what ``events`` will need first in two statements and keep it in the session (see
    ``Prefetched``): who wrote, with her organisation, coach and profile; then her open and waiting
    conversations, with the check-ins they fill in. ``lock_rows`` (PostgreSQL): the senders' identity rows
    are locked here, in id order."""
    found = Prefetched()
    session.info[PREFETCHED] = found
    senders: dict[Channel, set[str]] = {}
    for event in events:
        if not event.is_group:
            senders.setdefault(event.channel, set()).add(event.external_id)
    if not senders:
        return found
    people = await _read_senders(session, found, senders, lock_rows=lock_rows)
    if people:
        await _read_conversations(session, found, people)
    return found


async def _read_senders(
    session: AsyncSession, found: Prefetched, senders: dict[Channel, set[str]], *, lock_rows: bool
) -> list[int]:
    """Who wrote, with her organisation, coach and profile, into ``found``; returns the ids of the people."""
    for channel, external_ids in senders.items():
        found.identities.update(dict.fromkeys(((channel, e) for e in external_ids), None))
    query = (
        select(
            ChannelIdentity,
            Person,
            Organisation.name,
            of_her_coach("display_name"),
            Profile,
            of_her_coach("grammatical_gender"),
        )
        .join(Person, Person.id == ChannelIdentity.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Profile, Profile.person_id == Person.id)
        .where(
            or_(
                *(
                    and_(ChannelIdentity.channel == channel, ChannelIdentity.external_id.in_(sorted(ids)))
                    for channel, ids in senders.items()
                )
            )
        )
        .order_by(ChannelIdentity.id)
    )
    if lock_rows:
        query = query.with_for_update(of=ChannelIdentity)
    people: list[int] = []
    for identity, person, organisation, coach, profile, gender in await session.execute(query):
        found.identities[(identity.channel, identity.external_id)] = (identity, person)
        found.contexts[person.id] = (organisation or "", coach, profile, gender)
        people.append(person.id)
    return people


async def _read_conversations(session: AsyncSession, found: Prefetched, people: list[int]) -> None:
    """Their open and waiting conversations, with the check-ins they fill in, into ``found``."""
    found.active = dict.fromkeys(people, None)
    found.waiting = {person: [] for person in people}
    conversations = await session.execute(
        select(Conversation, CheckIn)
        .outerjoin(CheckIn, CheckIn.id == Conversation.state["record_id"].as_integer())
        .where(
            Conversation.person_id.in_(people),
            Conversation.status.in_([ConversationStatus.ACTIVE, ConversationStatus.WAITING]),
        )
        .order_by(Conversation.id)
    )
    for row, checkin in conversations:
        found.keep.append(row)
        if checkin is not None:
            found.keep.append(checkin)  # in the identity map, where saving an answer finds it
        if row.status is ConversationStatus.WAITING:
            found.waiting[row.person_id].append(row)
        else:
            found.active[row.person_id] = row  # the newest one wins, as in ``Lifecycle.active``
