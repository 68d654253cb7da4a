"""What a coach sees of her caseload: the women she is responsible for. Every function takes the coach's id
and reads through ``bot.people.caseload`` in the query itself, so an id that belongs to another coach's woman
finds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.path import Year, year_lines, year_of
from bot.coaching.summary import MOOD_EMOJI, NO_OBSTACLE, NO_STEP
from bot.coaching.texts import CoachTexts
from bot.conversation.actions import ActionContext
from bot.core import i18n
from bot.db.models import (
    BuddyMatch,
    ChannelIdentity,
    CheckIn,
    MatchStatus,
    Person,
    PersonStatus,
    Role,
    VolunteerShift,
)
from bot.people.audit import record_access
from bot.people.caseload import caseload, caseload_ids, participant_of

RECENT_CHECKINS = 4
RECENT_SHIFTS = 3


@dataclass
class Woman:
    id: int
    name: str
    status: PersonStatus
    last_contact: datetime | None
    paused_until: datetime | None = None
    checkins: list[CheckIn] = field(default_factory=list)
    shifts: list[VolunteerShift] = field(default_factory=list)
    buddy: tuple[str, MatchStatus] | None = None
    year: Year | None = None  # the timeline of her year (decision 0036)


async def mine(session: AsyncSession, coach_id: int) -> list[Woman]:
    """Her women, by name, with status and last contact."""
    last = (
        select(ChannelIdentity.person_id, func.max(ChannelIdentity.last_inbound_at).label("last"))
        .group_by(ChannelIdentity.person_id)
        .subquery()
    )
    rows = await session.execute(
        select(Person.id, Person.display_name, Person.status, last.c.last, Person.paused_until)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(Person.id.in_(caseload_ids(coach_id)), Person.role == Role.PARTICIPANT)
    )
    women = [Woman(pid, name or f"#{pid}", status, seen, paused) for pid, name, status, seen, paused in rows]
    return sorted(women, key=lambda w: (w.name.casefold(), w.id))


async def one_of_mine(session: AsyncSession, coach_id: int, participant_id: int, now: datetime) -> Woman | None:
    """One of her women with recent check-ins, shifts and buddy; the read is written to the audit log."""
    person = await participant_of(session, coach_id, participant_id)
    if person is None:
        return None
    last = await session.scalar(
        select(func.max(ChannelIdentity.last_inbound_at)).where(ChannelIdentity.person_id == person.id)
    )
    woman = Woman(person.id, person.display_name or f"#{person.id}", person.status, last, person.paused_until)
    woman.checkins = list(
        await session.scalars(
            select(CheckIn)
            .where(CheckIn.person_id == person.id, CheckIn.completed_at.is_not(None))
            .order_by(CheckIn.week.desc())
            .limit(RECENT_CHECKINS)
        )
    )
    woman.shifts = list(
        await session.scalars(
            select(VolunteerShift)
            .where(VolunteerShift.participant_id == person.id)
            .order_by(VolunteerShift.starts_at.desc())
            .limit(RECENT_SHIFTS)
        )
    )
    match = (
        await session.execute(
            select(Person.display_name, BuddyMatch.status)
            .join(BuddyMatch, BuddyMatch.buddy_id == Person.id)
            .where(
                BuddyMatch.participant_id == person.id,
                BuddyMatch.status.in_([MatchStatus.PROPOSED, MatchStatus.ACTIVE]),
            )
            .order_by(BuddyMatch.id.desc())
            .limit(1)
        )
    ).first()
    if match is not None:
        woman.buddy = (match[0] or "", match[1])
    woman.year = await year_of(session, person.id)
    record_access(session, coach_id, "coach.read_participant", person.id, now, command="participant")
    return woman


async def participant_choices(context: ActionContext) -> dict[str, Any]:
    """A coach's participants who have not stopped, as choices (``match.participants``, ``shift.participants``)."""
    if context.person.role is not Role.COACH:
        return {"participants": [], "participant_count": 0}
    people = await caseload(context.session, context.person.id)
    choices = [{"value": str(p.id), "label": p.display_name or f"#{p.id}"} for p in people]
    return {"participants": choices, "participant_count": len(choices)}


PARTICIPANT_CHOICES = frozenset({"participants", "participant_count"})


def describe(texts: CoachTexts, woman: Woman, locale: str, timezone: str) -> str:
    """One woman's recent weeks, for her coach, in the coach's language."""
    lines = [texts.say("participant_title", locale, name=woman.name)]
    if woman.paused_until is not None and woman.status is PersonStatus.PAUSED:
        lines.append(texts.say("participant_paused", locale, timezone, until=woman.paused_until))
    if woman.year is not None:
        lines += year_lines(texts, woman.year, locale)
    if not woman.checkins:
        lines.append(texts.say("participant_no_checkins", locale))
    for checkin in woman.checkins:
        steps = [s for s in checkin.steps if s != NO_STEP]
        obstacles = [texts.label("checkin", "obstacles", o, locale) for o in checkin.obstacles if o != NO_OBSTACLE]
        step_labels = [texts.label("checkin", "steps", s, locale) for s in steps]
        extra = texts.say("line_obstacles", locale, obstacles=obstacles) if obstacles else ""
        mood = f"{MOOD_EMOJI.get(checkin.mood, '')} {checkin.mood}" if checkin.mood else "-"
        line = texts.say("participant_checkin", locale, week=checkin.week, mood=mood, steps=len(steps), obstacles=extra)
        lines.append(f"{line}\n   {i18n.listing(step_labels, locale)}" if step_labels else line)
    for shift in woman.shifts:
        lines.append(
            texts.say(
                "participant_shift",
                locale,
                timezone,
                when=shift.starts_at,
                place=shift.place,
                status=shift.status.value,
            )
        )
    if woman.buddy is not None:
        lines.append(texts.say("participant_buddy", locale, buddy=woman.buddy[0], status=woman.buddy[1].value))
    return "\n".join(lines)
