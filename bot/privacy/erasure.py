"""Erasure: her personal data removed everywhere, at her request (``forget``), by an administrator
(``trampoline forget``) or by the retention rule (inactive for too long).

What goes: her person row and, through the foreign keys, everything that hangs on it (profile, channel
identities, invites, caseload, consent records, conversations and their answers, nudges, check-ins and their
encrypted notes and voice references, buddy matches on her side, shifts, alerts); besides, the outbox rows
to her or about her (the alert texts her coach got carry her name), her inbound event keys and the details of
audit entries about her. What stays: anonymous counts for the programme report (``anonymous_counts``: per
organisation, month, role, intake answer and step counts, without any id or finer date) and an erasure
record without identifiers (``erasure_records``).

Within a conversation turn the engine learns that she is gone through ``erased``: the step's texts (the
goodbye) are the last she gets, no flow goes on or comes back, and they are queued to her platform account
directly; ``bot.messaging.reduce`` wipes that address and the platform's message id once they are sent. The
keys of her goodbye and of the update that carried her "yes" (a WhatsApp message id holds her number) are
kept only hashed (``anonymous_key``), as are those of strangers. On SQLite the commit is followed by a
scrub of the write-ahead log (``bot.db.engine.request_scrub``). Decision 0018.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.profile import INTAKE_ORDER
from bot.core import i18n
from bot.db.engine import request_scrub
from bot.db.models import (
    Alert,
    AnonymousCount,
    AuditEntry,
    BuddyMatch,
    ChannelIdentity,
    CheckIn,
    ErasureRecord,
    InboundEvent,
    Invite,
    MatchStatus,
    OutboxMessage,
    Person,
    Profile,
)
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import outbox_row
from bot.messaging.unkept import mark_erased
from bot.people.caseload import of_her_coach, reachable_identity

if TYPE_CHECKING:
    from bot.conversation.port import Engine

log = logging.getLogger(__name__)

NO_STEP = "none"
BUDDY_NOTICE_TEXT = "buddy_match_ended"
INTAKE_COUNTED = INTAKE_ORDER
MIN_NAME_MATCH = 3  # a shorter name would match unrelated messages
MIN_NOTE_MATCH = 8
# Columns that point at a person without being part of her data: kept, but no longer pointing at her.
_BY_REFERENCE = ("person_id", "participant_id", "buddy_id")


class Reason:
    REQUEST = "request"
    RETENTION = "retention"
    ADMIN = "admin"


def month_of(now: datetime) -> str:
    return f"{now.year:04d}-{now.month:02d}"


async def erase_person(
    session: AsyncSession,
    person_id: int,
    now: datetime,
    *,
    reason: str,
    service: Engine | None = None,
) -> bool:
    """Erase everything about ``person_id``; False when there is no such person. With ``service``, a buddy
    matched with her is told (kindly, without her name) that the match ended."""
    await session.flush()
    person = await session.get(Person, person_id)
    if person is None:
        return False
    organisation_id, role = person.organisation_id, person.role.value
    await _count(session, person, now)
    if service is not None:
        await _tell_matched(session, service, person_id, now)

    needles = await _identifying(session, person, service)
    identity_ids = list(await session.scalars(select(ChannelIdentity.id).where(ChannelIdentity.person_id == person_id)))
    alert_keys = [
        f"alert:{alert_id}"
        for alert_id in await session.scalars(select(Alert.id).where(Alert.participant_id == person_id))
    ]
    no_sync: dict[str, Any] = {"synchronize_session": False}
    outbox = delete(OutboxMessage).where(OutboxMessage.person_id == person_id)
    await session.execute(outbox, execution_options=no_sync)
    if identity_ids:
        mine = delete(OutboxMessage).where(OutboxMessage.channel_identity_id.in_(identity_ids))
        await session.execute(mine, execution_options=no_sync)
    if alert_keys:
        about = delete(OutboxMessage).where(OutboxMessage.idempotency_key.in_(alert_keys))
        await session.execute(about, execution_options=no_sync)
    await _sweep_outbox(session, needles)
    await session.execute(delete(InboundEvent).where(InboundEvent.person_id == person_id), execution_options=no_sync)
    await session.execute(
        update(AuditEntry)
        .where((AuditEntry.subject_id == person_id) | (AuditEntry.actor_id == person_id))
        .values(detail={}),
        execution_options=no_sync,
    )
    # Everything else hangs on her row: ON DELETE CASCADE removes it, ON DELETE SET NULL unlinks it.
    await session.execute(delete(Person).where(Person.id == person_id), execution_options=no_sync)
    _forget_loaded(session, person_id)
    session.add(ErasureRecord(organisation_id=organisation_id, month=month_of(now), role=role, reason=reason))
    await session.flush()
    mark_erased(session, person_id)
    request_scrub(session)  # SQLite: the freed pages and the write-ahead log are wiped after the commit
    log.info("erased a %s (%s)", role, reason)  # no id: the log must not link the erasure to her
    return True


async def _identifying(session: AsyncSession, person: Person, service: Engine | None) -> list[str]:
    """What would identify her in a message to someone else: her name, her platform accounts, her invite
    codes and (with the service's keys) her notes."""
    needles = [
        i
        for i in await session.scalars(
            select(ChannelIdentity.external_id).where(ChannelIdentity.person_id == person.id)
        )
    ]
    needles += list(await session.scalars(select(Invite.code).where(Invite.person_id == person.id)))
    if person.display_name and len(person.display_name.strip()) >= MIN_NAME_MATCH:
        needles.append(person.display_name.strip())
    if service is not None:
        for token in await session.scalars(
            select(CheckIn.note_ciphertext).where(CheckIn.person_id == person.id, CheckIn.note_ciphertext.is_not(None))
        ):
            try:
                note = service.cipher.decrypt(token or "")
            except ValueError:
                continue
            if len(note) >= MIN_NOTE_MATCH:
                needles.append(note)
    return [n.casefold() for n in needles if n]


async def _sweep_outbox(session: AsyncSession, needles: list[str]) -> None:
    """Messages to other people that mention her (an alert to her coach with her name, her note forwarded
    to the coach) are deleted too: they are her data as well. Matched on the message text, so it also finds
    the messages of features that do not mark whom a message is about."""
    if not needles:
        return
    doomed = []
    for row_id, payload in await session.execute(select(OutboxMessage.id, OutboxMessage.payload)):
        shown = json.dumps(payload, ensure_ascii=False).casefold()
        if any(needle in shown for needle in needles):
            doomed.append(row_id)
    for start in range(0, len(doomed), 500):
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.id.in_(doomed[start : start + 500])),
            execution_options={"synchronize_session": False},
        )


def _forget_loaded(session: AsyncSession, person_id: int) -> None:
    """Objects of hers this session had loaded are deleted in the database now: let go of them, so that a
    later change to one (the conversation step the engine moves on) is not written back."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Person) and obj.id == person_id) or any(
            getattr(obj, name, None) == person_id for name in _BY_REFERENCE
        ):
            session.expunge(obj)


async def _count(session: AsyncSession, person: Person, now: datetime) -> None:
    """Add what the programme report needs of her to the anonymous counts."""
    counts: dict[tuple[str, str], int] = {("erased", ""): 1}
    profile = await session.get(Profile, person.id)
    if profile is not None:
        for name in INTAKE_COUNTED:
            for value in _values(getattr(profile, name)):
                counts[(name, value)] = counts.get((name, value), 0) + 1
    checkins = list(await session.scalars(select(CheckIn).where(CheckIn.person_id == person.id)))
    done = [c for c in checkins if c.completed_at is not None]
    if done:
        counts[("checkins", "")] = len(done)
    for checkin in done:
        for step in checkin.steps or []:
            if step != NO_STEP:
                counts[("steps", str(step)[:32])] = counts.get(("steps", str(step)[:32]), 0) + 1
    month, role = month_of(now), person.role.value
    for (metric, value), number in counts.items():
        row = await session.scalar(
            select(AnonymousCount).where(
                AnonymousCount.organisation_id == person.organisation_id,
                AnonymousCount.month == month,
                AnonymousCount.role == role,
                AnonymousCount.metric == metric,
                AnonymousCount.value == value,
            )
        )
        if row is None:
            session.add(
                AnonymousCount(
                    organisation_id=person.organisation_id,
                    month=month,
                    role=role,
                    metric=metric,
                    value=value,
                    count=number,
                )
            )
        else:
            row.count += number


def _values(value: Any) -> Iterable[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, list):
        return [str(v)[:32] for v in value]
    return [str(value)[:32]]


async def _tell_matched(session: AsyncSession, service: Engine, person_id: int, now: datetime) -> None:
    """Her active buddy match ends with her data: the other side gets one kind line (no name)."""
    matches = await session.scalars(
        select(BuddyMatch).where(
            (BuddyMatch.participant_id == person_id) | (BuddyMatch.buddy_id == person_id),
            BuddyMatch.status == MatchStatus.ACTIVE,
        )
    )
    for match in matches:
        other_id = match.buddy_id if match.participant_id == person_id else match.participant_id
        other = await session.get(Person, other_id)
        text = service.flows.texts.get(BUDDY_NOTICE_TEXT)
        if other is None or text is None:
            continue
        identity = await reachable_identity(session, other.id)
        if identity is None:
            continue
        gender = select(of_her_coach("grammatical_gender")).select_from(Person).where(Person.id == other.id)
        message = OutboundMessage(
            text=service.renderer.text(text, other.locale, {"coach_gender": await session.scalar(gender)}),
            locale=other.locale,
            right_to_left=i18n.is_right_to_left(other.locale),
        )
        key = f"match-ended:{match.id}:{now.isoformat()}"
        session.add(outbox_row(key, message, now, person_id=other.id, identity=identity, kind="notice"))
