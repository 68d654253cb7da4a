"""Buddy matches with double opt-in: a coach proposes a buddy for a participant of HER caseload; the two are
asked one after the other (the participant first, unless the organisation asks the buddy first), each with a
deadline and one reminder; only when both said yes do they get an introduction with each other's contact
(and only if both consented to share it). A "no" or a timeout goes to the coach.

Every coach query joins the caseload in the query itself; a buddy or participant only ever sees the matches
she is part of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.port import Engine
from bot.conversation.profile import clean_text
from bot.core import i18n
from bot.core.channel import Channel
from bot.core.timing import at_local, local
from bot.db.models import (
    AuditEntry,
    BuddyMatch,
    BuddyProfile,
    CaseloadEntry,
    ChannelIdentity,
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
from bot.people.directory import DomainError, reachable_identity
from bot.scheduling.planner import NudgeKinds, schedule_nudge

ANSWER_WITHIN = timedelta(days=7)
REMIND_BEFORE_DEADLINE = timedelta(days=2)  # the one reminder comes on day five of seven
FIRST_MEETING_WITHIN = timedelta(days=14)
EVENING = time(18, 0)  # meeting reminders: the evening before, in her time zone
OPEN = (MatchStatus.PROPOSED, MatchStatus.ACTIVE)
ASK_FLOW = "buddy_match_ask"
INTRO_FLOW = "buddy_intro"
MEETING_FLOW = "buddy_meeting_reminder"
FOLLOWUP_FLOW = "buddy_followup"
CLOSING_FLOW = "buddy_closing"
MAX_REGION_LENGTH = 100


# -- the coach's side ---


def _in_caseload(coach_id: int) -> Any:
    return select(CaseloadEntry.participant_id).where(
        CaseloadEntry.coach_id == coach_id, CaseloadEntry.ended_at.is_(None)
    )


async def caseload(session: AsyncSession, coach_id: int) -> list[Person]:
    """Her participants (active caseload entries only)."""
    rows = await session.scalars(
        select(Person)
        .join(CaseloadEntry, CaseloadEntry.participant_id == Person.id)
        .where(
            CaseloadEntry.coach_id == coach_id,
            CaseloadEntry.ended_at.is_(None),
            Person.role == Role.PARTICIPANT,
            Person.status != PersonStatus.STOPPED,
        )
        .order_by(Person.display_name, Person.id)
    )
    return list(rows)


async def participant_of(session: AsyncSession, coach_id: int, participant_id: int) -> Person:
    """The participant, only if she is in this coach's caseload now; otherwise a ``DomainError``."""
    person = await session.scalar(
        select(Person).where(
            Person.id == participant_id, Person.role == Role.PARTICIPANT, Person.id.in_(_in_caseload(coach_id))
        )
    )
    if person is None:
        raise DomainError(f"participant {participant_id} is not in the caseload of coach {coach_id}")
    return person


async def coach_of(session: AsyncSession, participant_id: int) -> int | None:
    return await session.scalar(
        select(CaseloadEntry.coach_id)
        .where(CaseloadEntry.participant_id == participant_id, CaseloadEntry.ended_at.is_(None))
        .order_by(CaseloadEntry.id)
        .limit(1)
    )


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
    buddy: Person
    score: int
    remaining: int
    shared_languages: list[str]


async def suggestions(session: AsyncSession, coach_id: int, participant_id: int, limit: int = 5) -> list[Suggestion]:
    """Buddies of the coach's organisation with a free place, best first: shared languages weigh most, then
    the same region, then overlapping availability and shared interests; ties go to more free places."""
    coach = await _coach(session, coach_id)
    participant = await participant_of(session, coach_id, participant_id)
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
        languages = sorted(set(_list(mine, "languages")) & set(_list(profile, "languages")))
        score = 3 * len(languages)
        if region and offer.region and region.strip().casefold() == offer.region.strip().casefold():
            score += 2
        score += len(set(_list(mine, "availability")) & set(_list(profile, "availability")))
        score += len(set(_list(mine, "interests")) & set(_list(profile, "interests")))
        found.append(Suggestion(buddy, score, remaining, languages))
    found.sort(key=lambda s: (-s.score, -s.remaining, s.buddy.id))
    return found[:limit]


def _list(profile: Profile | None, name: str) -> list[str]:
    return [str(v) for v in (getattr(profile, name, None) or []) if v is not None]


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
    participant = await participant_of(session, coach_id, participant_id)
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
        select(BuddyMatch).where(BuddyMatch.id == match_id, BuddyMatch.participant_id.in_(_in_caseload(coach_id)))
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


async def _my_match(session: AsyncSession, person: Person, statuses: tuple[MatchStatus, ...]) -> BuddyMatch | None:
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


async def _waiting_for(session: AsyncSession, person: Person) -> tuple[BuddyMatch, str] | None:
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


def _labels(service: Engine, flow: str, step: str, values: list[str], locale: str) -> str:
    """The choice labels of ``values`` in her language (the intake's own lists), joined as a list."""
    try:
        choices = service.flows.choices(service.flows.flow(flow).step(step))
    except KeyError:
        return ""
    tr = service.catalogs.translations(locale)
    by_value = {c.value: (tr.gettext(c.label) if c.translate else c.label) for c in choices}
    return i18n.listing([by_value[v] for v in values if v in by_value], locale)


async def describe(service: Engine, session: AsyncSession, about: Person, locale: str) -> dict[str, str]:
    """A short description of ``about`` in the reader's language: first name, languages, region, interests.
    Never a contact detail."""
    profile = await session.get(Profile, about.id)
    offer = await session.get(BuddyProfile, about.id)
    region = offer.region if offer is not None else None
    if region is None:
        region = await session.scalar(select(Organisation.region).where(Organisation.id == about.organisation_id))
    return {
        "other_name": first_name(about),
        "other_languages": _labels(service, "onboarding", "languages_spoken", _list(profile, "languages"), locale)
        or "-",
        "other_region": region or "-",
        "other_interests": _labels(service, "onboarding", "interests", _list(profile, "interests"), locale) or "-",
    }


def first_name(person: Person) -> str:
    name = (person.display_name or "").strip()
    return name.split()[0] if name else f"#{person.id}"


ABOUT = frozenset({"other_name", "other_languages", "other_region", "other_interests"})


async def match_load(context: ActionContext) -> dict[str, Any]:
    """The match she is asked about now (only hers), described in her language."""
    waiting = await _waiting_for(context.session, context.person)
    if waiting is None:
        return {"match_found": "no"}
    match, side = waiting
    other = await context.session.get(Person, match.buddy_id if side == "participant" else match.participant_id)
    assert other is not None
    about = await describe(context.service, context.session, other, context.person.locale)
    return {"match_found": "yes", "match_side": side, "match_id": match.id, **about}


async def match_answer(context: ActionContext) -> dict[str, Any]:
    """Her yes or no (``var.accept``). Yes from the first side asks the other; yes from both introduces them;
    a no goes to the coach. The other side is told nothing of a no before she was asked."""
    session, now = context.session, context.now
    waiting = await _waiting_for(session, context.person)
    if waiting is None or waiting[0].id != context.state.get("vars", {}).get("match_id"):
        return {"answer_result": "gone"}
    match, side = waiting
    participant = await session.get(Person, match.participant_id)
    assert participant is not None
    await _drop_pending_side(session, match.id, side)
    if not context.state.get("vars", {}).get("accept"):
        match.status = MatchStatus.DECLINED
        match.ended_at = now
        match.end_reason = f"{side}_declined"
        await context.service.alert_coach(session, participant, "match_declined", now)
        return {"answer_result": "declined"}
    if side == "participant":
        match.participant_accepted_at = now
    else:
        match.buddy_accepted_at = now
    other = whose_turn(match)
    if other is not None:
        await _ask(session, context.service, match, other, now)
        return {"answer_result": "waiting"}
    match.status = MatchStatus.ACTIVE
    match.deadline_at = None
    for person_id in (match.participant_id, match.buddy_id):
        person = await session.get(Person, person_id)
        assert person is not None
        if person.id == context.person.id:
            continue  # she is in this conversation: her flow goes on to the introduction itself
        await context.service.start_scheduled(
            session, person, INTRO_FLOW, key=f"match:{match.id}:intro:{person.id}", now=now,
            stale_after=now + FIRST_MEETING_WITHIN,
        )  # fmt: skip
    await context.service.alert_coach(session, participant, "match_accepted", now)
    return {"answer_result": "introduced"}


async def _drop_pending_side(session: AsyncSession, match_id: int, side: str) -> None:
    rows = await session.scalars(
        select(Nudge).where(Nudge.status == NudgeStatus.PENDING, Nudge.key.like(f"match:{match_id}:{side}:%"))
    )
    for nudge in rows:
        nudge.status = NudgeStatus.SKIPPED
        nudge.reason = "she answered"


async def _shares_contact(session: AsyncSession, person_id: int) -> bool:
    latest = await session.scalar(
        select(ConsentRecord.granted)
        .where(ConsentRecord.person_id == person_id, ConsentRecord.kind == ConsentKind.SHARE_CONTACT)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return bool(latest)


def contact_of(identity: ChannelIdentity) -> str:
    """How to reach her: a WhatsApp number, or a Telegram link that opens a chat with her account."""
    if identity.channel is Channel.WHATSAPP:
        return f"+{identity.external_id.lstrip('+')} (WhatsApp)"
    if identity.channel is Channel.TELEGRAM:
        return f"tg://user?id={identity.external_id} (Telegram)"
    return identity.external_id


async def match_intro(context: ActionContext) -> dict[str, Any]:
    """For both, once both said yes: the other's first name, her contact only if BOTH consented to share it,
    and a first meeting suggested within two weeks."""
    session = context.session
    match = await _my_match(session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {"intro_found": "no"}
    other_id = match.buddy_id if match.participant_id == context.person.id else match.participant_id
    other = await session.get(Person, other_id)
    assert other is not None
    values: dict[str, Any] = {
        "intro_found": "yes",
        "match_id": match.id,
        "has_contact": "no",
        "other_contact": "",
        **await describe(context.service, session, other, context.person.locale),
        "meet_by": i18n.day(context.now + FIRST_MEETING_WITHIN, context.person.locale, context.person.timezone),
    }
    if await _shares_contact(session, context.person.id) and await _shares_contact(session, other.id):
        identity = await reachable_identity(session, other.id)
        if identity is not None:
            values |= {"has_contact": "yes", "other_contact": contact_of(identity)}
    return values


async def match_current(context: ActionContext) -> dict[str, Any]:
    match = await _my_match(context.session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {"match_found": "no"}
    other_id = match.buddy_id if match.participant_id == context.person.id else match.participant_id
    other = await context.session.get(Person, other_id)
    assert other is not None
    when = i18n.moment(match.meeting_at, context.person.locale, context.person.timezone) if match.meeting_at else ""
    return {
        "match_found": "yes",
        "match_id": match.id,
        "meeting_when": when,
        **await describe(context.service, context.session, other, context.person.locale),
    }


async def match_meeting(context: ActionContext) -> dict[str, Any]:
    """The pair agreed on a meeting (``var.meeting_day``, ``var.meeting_time``): both are reminded the evening
    before, and asked afterwards whether they met."""
    variables = context.state.get("vars", {})
    day = variables.get("meeting_day")
    match = await _my_match(context.session, context.person, (MatchStatus.ACTIVE,))
    if match is None or not day:
        return {"meeting_when": ""}
    clock = time.fromisoformat(str(variables.get("meeting_time") or "14:00"))
    meeting = at_local(datetime.fromisoformat(str(day)).date(), clock, context.person.timezone)
    if meeting <= context.now:
        return {"meeting_when": ""}
    match.meeting_at = meeting
    for person_id in (match.participant_id, match.buddy_id):
        person = await context.session.get(Person, person_id)
        assert person is not None
        base = f"match:{match.id}:meeting:{meeting.isoformat()}:{person_id}"
        evening_before = at_local(local(meeting, person.timezone).date() - timedelta(days=1), EVENING, person.timezone)
        if evening_before > context.now:
            await schedule_nudge(
                context.session, person_id, "match_meeting", f"{base}:reminder", evening_before, context.now,
                match_id=match.id,
            )  # fmt: skip
        day_after = at_local(local(meeting, person.timezone).date() + timedelta(days=1), EVENING, person.timezone)
        await schedule_nudge(
            context.session, person_id, "match_followup", f"{base}:followup", day_after, context.now,
            match_id=match.id,
        )  # fmt: skip
    return {"meeting_when": i18n.moment(meeting, context.person.locale, context.person.timezone)}


async def match_met(context: ActionContext) -> dict[str, Any]:
    """After a meeting: did they meet (counted from the participant's answer), and how it was; a hard
    meeting goes to the coach."""
    variables = context.state.get("vars", {})
    match = await _my_match(context.session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {}
    participant = await context.session.get(Person, match.participant_id)
    assert participant is not None
    if variables.get("met") and context.person.id == match.participant_id:
        match.meetings = (match.meetings or 0) + 1
    if variables.get("how") == "hard":
        await context.service.alert_coach(context.session, participant, "buddy_meeting_hard", context.now)
    return {}


async def match_end(context: ActionContext) -> dict[str, Any]:
    """Either side ends the match; both get a kind closing message and the coach is told."""
    match = await _my_match(context.session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {}
    side = "participant" if match.participant_id == context.person.id else "buddy"
    await end_match(context.session, context.service, match, side, context.now, told=context.person.id)
    participant = await context.session.get(Person, match.participant_id)
    assert participant is not None
    await context.service.alert_coach(context.session, participant, "match_ended", context.now)
    return {}


async def match_closed(context: ActionContext) -> dict[str, Any]:
    match = await _my_match(context.session, context.person, (MatchStatus.ENDED,))
    if match is None:
        return {"other_name": ""}
    other_id = match.buddy_id if match.participant_id == context.person.id else match.participant_id
    other = await context.session.get(Person, other_id)
    return {"other_name": first_name(other) if other is not None else ""}


# -- buddy onboarding ---


async def buddy_save_profile(context: ActionContext) -> dict[str, Any]:
    """Her region and capacity (``var.region``, ``var.capacity``); the region text leaves the state."""
    variables = context.state.get("vars", {})
    region = variables.pop("region", None)
    text = region.get("text") if isinstance(region, dict) else None
    capacity = variables.get("capacity")
    offer = await context.session.get(BuddyProfile, context.person.id)
    if offer is None:
        offer = BuddyProfile(person_id=context.person.id, capacity=1, updated_at=context.now)
        context.session.add(offer)
    if text:
        offer.region = clean_text(str(text), MAX_REGION_LENGTH).replace("\n", " ") or None
    if isinstance(capacity, int | float):
        offer.capacity = max(0, min(20, int(capacity)))
    offer.updated_at = context.now
    return {}


# -- the coach's /match in chat ---


async def match_participants(context: ActionContext) -> dict[str, Any]:
    if context.person.role is not Role.COACH:
        return {"participants": [], "participant_count": 0}
    people = await caseload(context.session, context.person.id)
    choices = [{"value": str(p.id), "label": p.display_name or f"#{p.id}"} for p in people]
    return {"participants": choices, "participant_count": len(choices)}


async def match_suggest(context: ActionContext) -> dict[str, Any]:
    chosen = context.state.get("vars", {}).get("participant")
    if context.person.role is not Role.COACH or chosen is None:
        return {"buddies": [], "buddy_count": 0}
    try:
        found = await suggestions(context.session, context.person.id, int(chosen))
    except DomainError:
        return {"buddies": [], "buddy_count": 0}
    choices = []
    for s in found:
        languages = ",".join(s.shared_languages)
        detail = f" ({languages})" if languages else ""
        choices.append({"value": str(s.buddy.id), "label": f"{s.buddy.display_name or '#' + str(s.buddy.id)}{detail}"})
    return {"buddies": choices, "buddy_count": len(choices)}


async def match_propose(context: ActionContext) -> dict[str, Any]:
    variables = context.state.get("vars", {})
    try:
        await propose(
            context.session, context.service, context.person.id, int(variables["participant"]),
            int(variables["buddy"]), context.now,
        )  # fmt: skip
    except (DomainError, KeyError, ValueError):
        return {"proposed": "no"}
    return {"proposed": "yes"}


# -- nudges: the reminder, the deadline, meetings ---


async def _match_for(session: AsyncSession, nudge: Nudge) -> BuddyMatch | None:
    match_id = nudge.data.get("match_id")
    return await session.get(BuddyMatch, match_id) if match_id is not None else None


async def _on_reminder(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    if match is None or whose_turn(match) != nudge.data.get("side"):
        return "she already answered"
    return await service.remind(session, person, ASK_FLOW, key=f"nudge:{nudge.key}", now=now, lead="match_reminder")


async def _on_timeout(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    side = nudge.data.get("side")
    if match is None or whose_turn(match) != side:
        return "she already answered"
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
    return "started"


async def _on_meeting(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    if match is None or match.status is not MatchStatus.ACTIVE or match.meeting_at is None or match.meeting_at <= now:
        return "no meeting planned any more"
    return await service.start_scheduled(
        session, person, MEETING_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=match.meeting_at
    )


async def _on_followup(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    if match is None or match.status is not MatchStatus.ACTIVE:
        return "the match is over"
    return await service.start_scheduled(
        session, person, FOLLOWUP_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=now + timedelta(days=3)
    )


def register(actions: ActionRegistry, nudges: NudgeKinds) -> None:
    """The flow actions and nudge kinds of buddy matches."""
    actions.add("match.load", match_load, ABOUT | {"match_found", "match_side"})
    actions.add("match.answer", match_answer, frozenset({"answer_result"}))
    actions.add("match.intro", match_intro, ABOUT | {"intro_found", "other_contact", "has_contact", "meet_by"})
    actions.add("match.current", match_current, ABOUT | {"match_found", "meeting_when"})
    actions.add("match.meeting", match_meeting, frozenset({"meeting_when"}))
    actions.add("match.met", match_met)
    actions.add("match.end", match_end)
    actions.add("match.closed", match_closed, frozenset({"other_name"}))
    actions.add("buddy.save_profile", buddy_save_profile)
    actions.add("match.participants", match_participants, frozenset({"participants", "participant_count"}))
    actions.add("match.suggest", match_suggest, frozenset({"buddies", "buddy_count"}))
    actions.add("match.propose", match_propose, frozenset({"proposed"}))
    nudges.add("match_reminder", _on_reminder)
    nudges.add("match_timeout", _on_timeout)
    nudges.add("match_meeting", _on_meeting)
    nudges.add("match_followup", _on_followup)
