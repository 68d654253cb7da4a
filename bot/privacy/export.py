"""See my data: everything the bot keeps about one person, as one JSON object (``trampoline export`` prints
it; the ``mydata`` command sends it to her as a file, with a readable summary in her language).

Her encrypted notes are decrypted for her; a voice note or photo is shown as the platform's reference (the
file itself stays on the platform). Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.profile import INTAKE_ORDER
from bot.core.crypto import Cipher
from bot.db.models import (
    Alert,
    BuddyMatch,
    ChannelIdentity,
    CheckIn,
    ConsentRecord,
    Conversation,
    Invite,
    Milestone,
    Organisation,
    OutboxMessage,
    Person,
    Profile,
    Trajectory,
    VolunteerShift,
    YearAnswer,
)
from bot.people.caseload import coaches_of

EXPORT_FORMAT = "trampoline-export-1"
UNREADABLE = "(cannot be read with the current encryption keys)"
INTAKE = INTAKE_ORDER


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _decrypt(cipher: Cipher, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return cipher.decrypt(token)
    except ValueError:
        return UNREADABLE


async def export_person(session: AsyncSession, person_id: int, cipher: Cipher, now: datetime) -> dict[str, Any] | None:
    """Her data as one JSON-serialisable object; None when there is no such person."""
    person = await session.get(Person, person_id)
    if person is None:
        return None
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        **await _who_she_is(session, person),
        **await _what_she_did(session, person_id, cipher),
        **await _arranged_and_sent(session, person_id),
        **await _her_year(session, person_id, cipher),
    }


async def _who_she_is(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Her person row, organisation, coaches, intake, channels and consents."""
    organisation = await session.get(Organisation, person.organisation_id)
    coaches = [coach.display_name for coach in await coaches_of(session, person.id)]
    profile = await session.get(Profile, person.id)
    identities = await session.scalars(select(ChannelIdentity).where(ChannelIdentity.person_id == person.id))
    consents = await session.scalars(
        select(ConsentRecord).where(ConsentRecord.person_id == person.id).order_by(ConsentRecord.id)
    )
    return {
        "person": {
            "id": person.id,
            "role": person.role.value,
            "name": person.display_name,
            "language": person.locale,
            "timezone": person.timezone,
            "status": person.status.value,
            "paused_until": _time(person.paused_until),
            "quiet_hours": f"{person.quiet_start:%H:%M}-{person.quiet_end:%H:%M}",
            "checkin_weekday": person.checkin_weekday,
            "checkin_time": person.checkin_time.strftime("%H:%M") if person.checkin_time else None,
            "created_at": _time(person.created_at),
            "updated_at": _time(person.updated_at),
        },
        "organisation": organisation.name if organisation is not None else None,
        "coaches": coaches,
        "profile": {name: getattr(profile, name) for name in INTAKE} if profile is not None else None,
        "channels": [
            {
                "channel": i.channel.value,
                "account": i.external_id,
                "linked_at": _time(i.created_at),
                "last_message_at": _time(i.last_inbound_at),
                "blocked_at": _time(i.blocked_at),
            }
            for i in identities
        ],
        "consents": [
            {
                "kind": c.kind.value,
                "granted": c.granted,
                "version": c.version,
                "language": c.locale,
                "channel": c.channel.value,
                "at": _time(c.recorded_at),
            }
            for c in consents
        ],
    }


async def _what_she_did(session: AsyncSession, person_id: int, cipher: Cipher) -> dict[str, Any]:
    """Her check-ins (notes decrypted), conversations and the alerts about her."""
    checkins = await session.scalars(select(CheckIn).where(CheckIn.person_id == person_id).order_by(CheckIn.week))
    conversations = await session.scalars(
        select(Conversation).where(Conversation.person_id == person_id).order_by(Conversation.id)
    )
    alerts = await session.scalars(select(Alert).where(Alert.participant_id == person_id).order_by(Alert.id))
    return {
        "checkins": [
            {
                "week": c.week,
                "mood": c.mood,
                "steps": c.steps,
                "obstacles": c.obstacles,
                "wants_contact": c.wants_contact,
                "note_kind": c.note_kind,
                "note": _decrypt(cipher, c.note_ciphertext),
                "started_at": _time(c.started_at),
                "completed_at": _time(c.completed_at),
            }
            for c in checkins
        ],
        "conversations": [
            {
                "flow": c.flow,
                "step": c.step,
                "status": c.status.value,
                "answers": c.state.get("answers", {}),
                "started_at": _time(c.started_at),
                "updated_at": _time(c.updated_at),
            }
            for c in conversations
        ],
        "alerts_for_coach": [
            {"kind": a.kind, "created_at": _time(a.created_at), "seen_at": _time(a.seen_at)} for a in alerts
        ],
    }


async def _arranged_and_sent(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """Her buddy matches, volunteer shifts, invites and the messages the bot sent her."""
    matches = await session.scalars(
        select(BuddyMatch)
        .where(or_(BuddyMatch.participant_id == person_id, BuddyMatch.buddy_id == person_id))
        .order_by(BuddyMatch.id)
    )
    shifts = await session.scalars(
        select(VolunteerShift).where(VolunteerShift.participant_id == person_id).order_by(VolunteerShift.starts_at)
    )
    invites = await session.scalars(select(Invite).where(Invite.person_id == person_id).order_by(Invite.id))
    messages = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.person_id == person_id).order_by(OutboxMessage.id)
    )
    return {
        "buddy_matches": [
            {
                "as": "participant" if m.participant_id == person_id else "buddy",
                "status": m.status.value,
                "proposed_at": _time(m.proposed_at),
                "ended_at": _time(m.ended_at),
            }
            for m in matches
        ],
        "volunteer_shifts": [
            {
                "place": s.place,
                "address": s.address,
                "contact": s.contact,
                "starts_at": _time(s.starts_at),
                "ends_at": _time(s.ends_at),
                "status": s.status.value,
                "cancel_reason": s.cancel_reason,
            }
            for s in shifts
        ],
        "invites": [
            {
                "created_at": _time(i.created_at),
                "expires_at": _time(i.expires_at),
                "used_at": _time(i.used_at),
                "revoked_at": _time(i.revoked_at),
            }
            for i in invites
        ],
        "messages_to_her": [
            {"kind": m.kind, "status": m.status.value, "text": m.payload.get("text"), "at": _time(m.created_at)}
            for m in messages
        ],
    }


async def _her_year(session: AsyncSession, person_id: int, cipher: Cipher) -> dict[str, Any]:
    """Her trajectory, the milestones on her path (notes decrypted) and her answers about her year."""
    trajectory = await session.scalar(select(Trajectory).where(Trajectory.participant_id == person_id))
    milestones = await session.scalars(
        select(Milestone).where(Milestone.participant_id == person_id).order_by(Milestone.achieved_on, Milestone.id)
    )
    answers = await session.scalars(
        select(YearAnswer).where(YearAnswer.participant_id == person_id).order_by(YearAnswer.id)
    )
    return {
        "year_answers": [
            {
                "kind": a.kind,
                "helped": a.helped,
                "hard": a.hard,
                "recommend": a.recommend,
                "now_doing": a.now_doing,
                "words": _decrypt(cipher, a.words_ciphertext),
                "at": _time(a.created_at),
            }
            for a in answers
        ],
        "trajectory": {
            "started_on": trajectory.started_on.isoformat(),
            "planned_end_on": trajectory.planned_end_on.isoformat(),
            "status": trajectory.status.value,
            "ended_on": trajectory.ended_on.isoformat() if trajectory.ended_on else None,
            "left_reason": trajectory.left_reason,
        }
        if trajectory is not None
        else None,
        "milestones": [
            {
                "milestone": m.code,
                "on": m.achieved_on.isoformat(),
                "hours": m.minutes / 60 if m.minutes is not None else None,
                "level": m.level,
                "contract": m.contract,
                "recorded_by": m.source.value,
                "note": _decrypt(cipher, m.note_ciphertext),
                "recorded_at": _time(m.created_at),
            }
            for m in milestones
        ],
    }


def export_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
