"""Buddy matches with double opt-in, the rules: a coach proposes a buddy for a participant of HER caseload; the
two are asked one after the other (the participant first, unless the organisation asks the buddy first), each
with a deadline and one reminder; only when both said yes are they introduced to each other (with each other's
contact only if both consented to share it). A "no" or a timeout goes to the coach.

Every coach query is scoped to her caseload in the query itself (``bot.people.caseload``); a buddy or
participant only ever sees the matches she is part of. The flow actions are in ``buddy_actions.py``, the
reminders in ``buddy_nudges.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.port import Engine
from bot.db.models import (
    AuditEntry,
    BuddyMatch,
    BuddyProfile,
    ConsentKind,
    ConsentRecord,
    Conversation,
    ConversationStatus,
    MatchStatus,
    Nudge,
    NudgeStatus,
    Organisation,
    Person,
    PersonStatus,
    Profile,
    Role,
)
from bot.people.caseload import caseload_ids, require_participant_of
from bot.people.directory import DomainError
from bot.scheduling.planner import schedule_nudge

ANSWER_WITHIN = timedelta(days=7)
REMIND_BEFORE_DEADLINE = timedelta(days=2)  # the one reminder comes on day five of seven
FIRST_MEETING_WITHIN = timedelta(days=14)
OPEN = (MatchStatus.PROPOSED, MatchStatus.ACTIVE)
ASK_FLOW = "buddy_match_ask"
INTRO_FLOW = "buddy_intro"
CLOSING_FLOW = "buddy_closing"


# -- the coach's side ---


async def _coach(session: AsyncSession, coach_id: int) -> Person:
    coach = await session.get(Person, coach_id)
    if coach is None or coach.role is not Role.COACH:
        raise DomainError(f"person {coach_id} is not a coach")
    return coach


async def remaining_capacity(session: AsyncSession, buddy_id: int) -> int:
    capacity = await session.scalar(select(BuddyProfile.capacity).where(BuddyProfile.person_id == buddy_id))
    taken = await session.scalar(
        select(func.count(BuddyMatch.id)).where(BuddyMatch.buddy_id == buddy_id, BuddyMatch.status.in_(OPEN))
    )
    return max(0, int(capacity or 0) - int(taken or 0))


@dataclass(frozen=True)
class Suggestion:
    """A buddy with a free place, and why: what she has in common with the participant (the parts of the
    score), for the coach to judge."""

    buddy: Person
    score: int
    remaining: int
    shared_languages: list[str]  # codes, sorted
    same_area: str | None = None  # the buddy's region (as she wrote it), when it is the organisation's
    shared_availability: list[str] = field(default_factory=list)  # in the participant's order
    shared_interests: list[str] = field(default_factory=list)  # in the participant's order


async def suggestions(session: AsyncSession, coach_id: int, participant_id: int, limit: int = 5) -> list[Suggestion]:
    """Buddies of the coach's organisation with a free place, best first: shared languages weigh most, then
    the same region, then overlapping availability and shared interests; ties go to more free places."""
    coach = await _coach(session, coach_id)
    participant = await require_participant_of(session, coach_id, participant_id)
    mine = await session.get(Profile, participant.id)
    region = await session.scalar(select(Organisation.region).where(Organisation.id == participant.organisation_id))
    already = select(BuddyMatch.buddy_id).where(BuddyMatch.participant_id == participant.id)
    rows = (
        await session.execute(
            select(Person, BuddyProfile, Profile)
            .join(BuddyProfile, BuddyProfile.person_id == Person.id)
            .outerjoin(Profile, Profile.person_id == Person.id)
            .where(
                Person.role == Role.BUDDY,
                Person.organisation_id == coach.organisation_id,
                Person.status == PersonStatus.ACTIVE,
                Person.id.not_in(already),
            )
        )
    ).all()
    found = []
    for buddy, offer, profile in rows:
        remaining = await remaining_capacity(session, buddy.id)
        if remaining <= 0:
            continue
        languages = sorted(set(listed(mine, "languages")) & set(listed(profile, "languages")))
        same_area = None
        if region and offer.region and region.strip().casefold() == offer.region.strip().casefold():
            same_area = offer.region.strip()
        availability = shared(mine, profile, "availability")
        interests = shared(mine, profile, "interests")
        score = 3 * len(languages) + (2 if same_area else 0) + len(availability) + len(interests)
        found.append(Suggestion(buddy, score, remaining, languages, same_area, availability, interests))
    found.sort(key=lambda s: (-s.score, -s.remaining, s.buddy.id))
    return found[:limit]


def listed(profile: Profile | None, name: str) -> list[str]:
    """A list field of her profile (``languages``, ``interests``, ``availability``), empty without one."""
    return [str(v) for v in (getattr(profile, name, None) or []) if v is not None]


def shared(mine: Profile | None, theirs: Profile | None, name: str) -> list[str]:
    """The values of a list field both profiles hold, once each, in the order of ``mine``."""
    other = set(listed(theirs, name))
    return [value for value in dict.fromkeys(listed(mine, name)) if value in other]


async def propose(
    session: AsyncSession,
    service: Engine,
    coach_id: int,
    participant_id: int,
    buddy_id: int,
    now: datetime,
) -> BuddyMatch:
    """Propose a match and ask the first side. Raises ``DomainError`` (one line) when it cannot be."""
    coach = await _coach(session, coach_id)
    participant = await require_participant_of(session, coach_id, participant_id)
    query = select(Person).where(
        Person.id == buddy_id, Person.role == Role.BUDDY, Person.organisation_id == coach.organisation_id
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()  # two coaches proposing the same buddy at once: one waits, capacity holds
    buddy = await session.scalar(query)
    if buddy is None:
        raise DomainError(f"person {buddy_id} is not a buddy of this organisation")
    if buddy.status is not PersonStatus.ACTIVE:
        raise DomainError(f"buddy {buddy_id} has not finished her onboarding or stopped")
    if participant.status is not PersonStatus.ACTIVE:
        raise DomainError(f"participant {participant_id} is not active")
    if await remaining_capacity(session, buddy.id) <= 0:
        raise DomainError(f"buddy {buddy_id} has no free place (capacity reached)")
    open_match = await session.scalar(
        select(BuddyMatch.id).where(BuddyMatch.participant_id == participant.id, BuddyMatch.status.in_(OPEN))
    )
    if open_match is not None:
        raise DomainError(f"participant {participant_id} already has a buddy or a proposal (match {open_match})")
    buddy_first = bool(
        await session.scalar(select(Organisation.buddy_asked_first).where(Organisation.id == coach.organisation_id))
    )
    match = BuddyMatch(
        participant_id=participant.id,
        buddy_id=buddy.id,
        proposed_by_id=coach.id,
        status=MatchStatus.PROPOSED,
        proposed_at=now,
        deadline_at=now + ANSWER_WITHIN,
        buddy_first=buddy_first,
        meetings=0,
    )
    session.add(match)
    await session.flush()
    session.add(
        AuditEntry(
            at=now, actor_id=coach.id, action="match.propose", subject_id=participant.id, detail={"match": match.id}
        )
    )
    await _ask(session, service, match, "buddy" if buddy_first else "participant", now)
    return match


async def end_match(
    session: AsyncSession,
    service: Engine,
    match: BuddyMatch,
    by: str,
    now: datetime,
    told: int | None = None,
) -> None:
    """End an active (or proposed) match; both get a kind closing message if they had been introduced
    (except ``told``: she ended it in a conversation that says goodbye itself)."""
    was_active = match.status is MatchStatus.ACTIVE
    match.status = MatchStatus.ENDED
    match.ended_at = now
    match.end_reason = f"ended_by_{by}"
    match.meeting_at = None
    await _drop_pending(session, match.id)
    if was_active:
        for person_id in (match.participant_id, match.buddy_id):
            person = await session.get(Person, person_id)
            if person is not None and person.status is not PersonStatus.STOPPED and person.id != told:
                await service.start_scheduled(
                    session, person, CLOSING_FLOW, key=f"match:{match.id}:closing:{person_id}", now=now,
                    stale_after=now + timedelta(days=7),
                )  # fmt: skip


async def end_by_coach(
    session: AsyncSession, service: Engine, coach_id: int, match_id: int, now: datetime
) -> BuddyMatch:
    await _coach(session, coach_id)
    match = await session.scalar(
        select(BuddyMatch).where(BuddyMatch.id == match_id, BuddyMatch.participant_id.in_(caseload_ids(coach_id)))
    )
    if match is None:
        raise DomainError(f"match {match_id} is not one of the caseload of coach {coach_id}")
    if match.status not in OPEN:
        raise DomainError(f"match {match_id} has already ended ({match.status.value})")
    await end_match(session, service, match, "coach", now)
    session.add(
        AuditEntry(
            at=now, actor_id=coach_id, action="match.end", subject_id=match.participant_id, detail={"match": match.id}
        )
    )
    return match


async def _drop_pending(session: AsyncSession, match_id: int) -> None:
    """Reminders of a match that is over are not sent."""
    rows = await session.scalars(
        select(Nudge).where(Nudge.status == NudgeStatus.PENDING, Nudge.key.like(f"match:{match_id}:%"))
    )
    for nudge in rows:
        nudge.status = NudgeStatus.SKIPPED
        nudge.reason = "the match is over"


# -- asking, answering ---


def whose_turn(match: BuddyMatch) -> str | None:
    """Which side must answer now ("participant" or "buddy"), or None."""
    if match.status is not MatchStatus.PROPOSED:
        return None
    first, second = ("buddy", "participant") if match.buddy_first else ("participant", "buddy")
    return first if _accepted(match, first) is None else (second if _accepted(match, second) is None else None)


def _accepted(match: BuddyMatch, side: str) -> datetime | None:
    return match.participant_accepted_at if side == "participant" else match.buddy_accepted_at


async def _ask(session: AsyncSession, service: Engine, match: BuddyMatch, side: str, now: datetime) -> None:
    person = await session.get(Person, match.participant_id if side == "participant" else match.buddy_id)
    assert person is not None
    match.deadline_at = now + ANSWER_WITHIN
    key = f"match:{match.id}:{side}"
    await service.start_scheduled(session, person, ASK_FLOW, key=f"{key}:ask", now=now, stale_after=match.deadline_at)
    await schedule_nudge(
        session, person.id, "match_reminder", f"{key}:reminder", match.deadline_at - REMIND_BEFORE_DEADLINE, now,
        match_id=match.id, side=side,
    )  # fmt: skip
    await schedule_nudge(
        session, person.id, "match_timeout", f"{key}:timeout", match.deadline_at, now, match_id=match.id, side=side
    )


def other_of(match: BuddyMatch, person_id: int) -> int:
    """The other side of ``match`` for one of its two people."""
    return match.buddy_id if match.participant_id == person_id else match.participant_id


async def my_match(session: AsyncSession, person: Person, statuses: tuple[MatchStatus, ...]) -> BuddyMatch | None:
    """Her latest match in one of ``statuses``: only matches she is part of."""
    return await session.scalar(
        select(BuddyMatch)
        .where(
            or_(BuddyMatch.participant_id == person.id, BuddyMatch.buddy_id == person.id),
            BuddyMatch.status.in_(statuses),
        )
        .order_by(BuddyMatch.id.desc())
        .limit(1)
    )


async def waiting_for(session: AsyncSession, person: Person) -> tuple[BuddyMatch, str] | None:
    """The proposed match that waits for HER answer now, and her side in it."""
    rows = await session.scalars(
        select(BuddyMatch)
        .where(
            or_(BuddyMatch.participant_id == person.id, BuddyMatch.buddy_id == person.id),
            BuddyMatch.status == MatchStatus.PROPOSED,
        )
        .order_by(BuddyMatch.id)
    )
    for match in rows:
        side = "participant" if match.participant_id == person.id else "buddy"
        if whose_turn(match) == side:
            return match, side
    return None


async def answer(
    session: AsyncSession, service: Engine, match: BuddyMatch, side: str, accept: bool, now: datetime
) -> str:
    """The yes or no of ``side``, whose turn it is. Yes from the first side asks the other; yes from both
    introduces them; a no goes to the coach. The other side is told nothing of a no before she was asked.
    Returns ``declined``, ``waiting`` or ``introduced``."""
    answering = match.participant_id if side == "participant" else match.buddy_id
    participant = await session.get(Person, match.participant_id)
    assert participant is not None
    await _drop_pending_side(session, match.id, side)
    if not accept:
        match.status = MatchStatus.DECLINED
        match.ended_at = now
        match.end_reason = f"{side}_declined"
        await service.alert_coach(session, participant, "match_declined", now)
        return "declined"
    if side == "participant":
        match.participant_accepted_at = now
    else:
        match.buddy_accepted_at = now
    other = whose_turn(match)
    if other is not None:
        await _ask(session, service, match, other, now)
        return "waiting"
    match.status = MatchStatus.ACTIVE
    match.deadline_at = None
    for person_id in (match.participant_id, match.buddy_id):
        person = await session.get(Person, person_id)
        assert person is not None
        if person.id == answering:
            continue  # she is in this conversation: her flow goes on to the introduction itself
        await service.start_scheduled(
            session, person, INTRO_FLOW, key=f"match:{match.id}:intro:{person.id}", now=now,
            stale_after=now + FIRST_MEETING_WITHIN,
        )  # fmt: skip
    await service.alert_coach(session, participant, "match_accepted", now)
    return "introduced"


async def expire(
    session: AsyncSession, service: Engine, match: BuddyMatch, side: str, person: Person, now: datetime
) -> None:
    """``side`` (``person``) did not answer by the deadline: the match expires, her open question is closed
    and the coach is told."""
    match.status = MatchStatus.EXPIRED
    match.ended_at = now
    match.end_reason = f"{side}_timeout"
    open_asks = await session.scalars(
        select(Conversation).where(
            Conversation.person_id == person.id,
            Conversation.flow == ASK_FLOW,
            Conversation.status.in_([ConversationStatus.ACTIVE, ConversationStatus.WAITING]),
        )
    )
    for row in open_asks:
        row.status = ConversationStatus.EXPIRED
    participant = await session.get(Person, match.participant_id)
    assert participant is not None
    await service.alert_coach(session, participant, "match_timeout", now)


async def _drop_pending_side(session: AsyncSession, match_id: int, side: str) -> None:
    rows = await session.scalars(
        select(Nudge).where(Nudge.status == NudgeStatus.PENDING, Nudge.key.like(f"match:{match_id}:{side}:%"))
    )
    for nudge in rows:
        nudge.status = NudgeStatus.SKIPPED
        nudge.reason = "she answered"


async def shares_contact(session: AsyncSession, person_id: int) -> bool:
    latest = await session.scalar(
        select(ConsentRecord.granted)
        .where(ConsentRecord.person_id == person_id, ConsentRecord.kind == ConsentKind.SHARE_CONTACT)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return bool(latest)
