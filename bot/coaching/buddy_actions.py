"""The flow actions of buddy matches: what a participant or buddy is shown of a match (never a contact
before both said yes, and then only if both consented), her answers, meetings, the end; a buddy's own
profile; the coach's guided ``match`` in the chat. The rules are in ``matching.py``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import buddy_nudges
from bot.coaching.caseload import PARTICIPANT_CHOICES, participant_choices
from bot.coaching.matching import (
    FIRST_MEETING_WITHIN,
    answer,
    end_match,
    listed,
    my_match,
    other_of,
    propose,
    shares_contact,
    suggestions,
    waiting_for,
)
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.port import Engine
from bot.conversation.profile import clean_text
from bot.core import i18n
from bot.core.timing import at_local, local
from bot.db.models import BuddyProfile, MatchStatus, Organisation, Person, Profile, Role
from bot.people.caseload import reachable_identity
from bot.people.directory import DomainError
from bot.scheduling.planner import NudgeKinds, schedule_nudge

EVENING = time(18, 0)  # meeting reminders: the evening before, in her time zone
MAX_REGION_LENGTH = 100


# -- what she is shown of the other ---


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
        "other_languages": _labels(service, "onboarding", "languages_spoken", listed(profile, "languages"), locale)
        or "-",
        "other_region": region or "-",
        "other_interests": _labels(service, "onboarding", "interests", listed(profile, "interests"), locale) or "-",
    }


def first_name(person: Person) -> str:
    name = (person.display_name or "").strip()
    return name.split()[0] if name else f"#{person.id}"


ABOUT = frozenset({"other_name", "other_languages", "other_region", "other_interests"})


async def match_load(context: ActionContext) -> dict[str, Any]:
    """The match she is asked about now (only hers), described in her language."""
    waiting = await waiting_for(context.session, context.person)
    if waiting is None:
        return {"match_found": "no"}
    match, side = waiting
    other = await context.session.get(Person, match.buddy_id if side == "participant" else match.participant_id)
    assert other is not None
    about = await describe(context.service, context.session, other, context.person.locale)
    return {"match_found": "yes", "match_side": side, "match_id": match.id, **about}


async def match_answer(context: ActionContext) -> dict[str, Any]:
    """Her yes or no (``var.accept``) to the match she is asked about (``matching.answer``)."""
    waiting = await waiting_for(context.session, context.person)
    if waiting is None or waiting[0].id != context.state.get("vars", {}).get("match_id"):
        return {"answer_result": "gone"}
    match, side = waiting
    accept = bool(context.state.get("vars", {}).get("accept"))
    return {"answer_result": await answer(context.session, context.service, match, side, accept, context.now)}


async def match_intro(context: ActionContext) -> dict[str, Any]:
    """For both, once both said yes: the other's first name, her contact only if BOTH consented to share it,
    and a first meeting suggested within two weeks."""
    session = context.session
    match = await my_match(session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {"intro_found": "no"}
    other = await session.get(Person, other_of(match, context.person.id))
    assert other is not None
    values: dict[str, Any] = {
        "intro_found": "yes",
        "match_id": match.id,
        "has_contact": "no",
        "other_contact": "",
        **await describe(context.service, session, other, context.person.locale),
        "meet_by": i18n.day(context.now + FIRST_MEETING_WITHIN, context.person.locale, context.person.timezone),
    }
    if await shares_contact(session, context.person.id) and await shares_contact(session, other.id):
        identity = await reachable_identity(session, other.id)
        contact = context.service.contact_for(identity) if identity is not None else None
        if contact is not None:
            values |= {"has_contact": "yes", "other_contact": contact}
    return values


async def match_current(context: ActionContext) -> dict[str, Any]:
    match = await my_match(context.session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {"match_found": "no"}
    other = await context.session.get(Person, other_of(match, context.person.id))
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
    match = await my_match(context.session, context.person, (MatchStatus.ACTIVE,))
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
    match = await my_match(context.session, context.person, (MatchStatus.ACTIVE,))
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
    match = await my_match(context.session, context.person, (MatchStatus.ACTIVE,))
    if match is None:
        return {}
    side = "participant" if match.participant_id == context.person.id else "buddy"
    await end_match(context.session, context.service, match, side, context.now, told=context.person.id)
    participant = await context.session.get(Person, match.participant_id)
    assert participant is not None
    await context.service.alert_coach(context.session, participant, "match_ended", context.now)
    return {}


async def match_closed(context: ActionContext) -> dict[str, Any]:
    match = await my_match(context.session, context.person, (MatchStatus.ENDED,))
    if match is None:
        return {"other_name": ""}
    other = await context.session.get(Person, other_of(match, context.person.id))
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
    actions.add("match.participants", participant_choices, PARTICIPANT_CHOICES)  # the same as shift.participants
    actions.add("match.suggest", match_suggest, frozenset({"buddies", "buddy_count"}))
    actions.add("match.propose", match_propose, frozenset({"proposed"}))
    buddy_nudges.register(nudges)
