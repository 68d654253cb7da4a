"""Named side effects that flows call (``action: checkin.complete``). Each runs inside the inbox transaction
with an ``ActionContext`` and returns values that the texts after it may use (``{steps_total}``).

A coordinator can call these from any flow; ``trampoline flows check`` refuses a name that is not here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.consent import CONSENT_STEP, consent_text, shown_version
from bot.conversation.interpreter import HELD_NOTES, HOLD_NOTE_ACTION
from bot.conversation.port import Engine
from bot.conversation.profile import MAX_NOTE_LENGTH, clean_text
from bot.core.channel import Channel
from bot.db.models import CheckIn, ConsentKind, ConsentRecord, Conversation, Person, PersonStatus

NO_STEP = "none"


@dataclass
class ActionContext:
    session: AsyncSession
    now: datetime
    person: Person
    conversation: Conversation | None
    state: dict[str, Any]
    args: Mapping[str, Any]
    channel: Channel
    service: Engine
    coach_gender: str | None = None  # how texts about her coach spoke of the coach (decision 0016)


ActionFunction = Callable[[ActionContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Action:
    name: str
    run: ActionFunction
    outputs: frozenset[str]


class ActionRegistry:
    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def add(self, name: str, function: ActionFunction, outputs: frozenset[str] = frozenset()) -> None:
        if name in self._actions:
            raise ValueError(f"action {name!r} is registered twice")
        self._actions[name] = Action(name, function, outputs)

    def outputs(self) -> dict[str, frozenset[str]]:
        return {name: action.outputs for name, action in self._actions.items()}

    async def run(self, name: str, context: ActionContext) -> dict[str, Any]:
        return await self._actions[name].run(context)


async def _record_consent(context: ActionContext, kinds: list[ConsentKind], granted: bool) -> None:
    # The version of the words she was shown: the asking step of this flow, in her language.
    flow = context.conversation.flow if context.conversation is not None else ""
    step = str(context.args.get("step", CONSENT_STEP))
    shown = consent_text(
        context.service.flows,
        context.service.catalogs,
        flow,
        step,
        context.person.locale,
        context.coach_gender,
        own_gender=context.person.grammatical_gender,  # a coach flow speaks to her as she is
    )
    for kind in kinds:
        context.session.add(
            ConsentRecord(
                person_id=context.person.id,
                kind=kind,
                granted=granted,
                version=shown_version(shown),
                locale=context.person.locale,
                channel=context.channel,
                recorded_at=context.now,
            )
        )


async def consent_grant(context: ActionContext) -> dict[str, Any]:
    """She agreed: record it, with the consent text's version, the time and the channel."""
    kinds = [ConsentKind(k) for k in context.args.get("kinds", ["data_processing", "messaging"])]
    await _record_consent(context, kinds, granted=True)
    return {}


async def consent_decline(context: ActionContext) -> dict[str, Any]:
    """She said no: keep only the refusal (to honour it) and stop all messages."""
    await _record_consent(context, [ConsentKind.DATA_PROCESSING, ConsentKind.MESSAGING], granted=False)
    context.person.status = PersonStatus.STOPPED
    context.person.updated_at = context.now
    return {}


async def consent_share_contact(context: ActionContext) -> dict[str, Any]:
    """Her separate, optional consent to share her contact details with a buddy: ``args: {granted: true}``
    or ``false``; ``step`` names the step that asked it (its words give the recorded version)."""
    await _record_consent(context, [ConsentKind.SHARE_CONTACT], granted=bool(context.args.get("granted", False)))
    return {}


async def onboarding_complete(context: ActionContext) -> dict[str, Any]:
    if context.person.status is PersonStatus.INVITED:
        context.person.status = PersonStatus.ACTIVE
        context.person.updated_at = context.now
    return {}


async def checkin_complete(context: ActionContext) -> dict[str, Any]:
    """Close this week's check-in; count her steps this week and since she started; alert the coach when
    she asked to be contacted."""
    checkin = await context.session.get(CheckIn, context.state.get("record_id"))
    if checkin is None:
        return {"steps_total": 0, "steps_count": 0}
    checkin.completed_at = context.now
    # Her earlier weeks, as stored: nothing of the inbox group needs writing first (only this week's
    # check-in changes in it, counted here from the object), so the read does not flush the group.
    with context.session.no_autoflush:
        earlier = await context.session.scalars(
            select(CheckIn.steps).where(
                CheckIn.person_id == context.person.id, CheckIn.completed_at.is_not(None), CheckIn.id != checkin.id
            )
        )
    total = sum(len([s for s in steps if s != NO_STEP]) for steps in [*earlier, checkin.steps])
    if checkin.wants_contact:
        await context.service.alert_coach(context.session, context.person, "contact_request", context.now)
    return {"steps_total": total, "steps_count": len([s for s in checkin.steps if s != NO_STEP])}


async def coach_contact_request(context: ActionContext) -> dict[str, Any]:
    """She wants her coach to get in touch (the ``coach`` command, or after three misses)."""
    kind = str(context.args.get("reason", "contact_request"))
    await context.service.alert_coach(context.session, context.person, kind, context.now)
    return {}


async def person_pause(context: ActionContext) -> dict[str, Any]:
    """No nudges for the number of weeks she chose (``var.weeks``); she can still write any time."""
    weeks = int(context.state.get("vars", {}).get("weeks", context.args.get("weeks", 1)))
    person = context.person
    person.status = PersonStatus.PAUSED
    person.paused_until = context.now + timedelta(weeks=weeks)
    person.updated_at = context.now
    return {"paused_until": person.paused_until}


async def person_resume(context: ActionContext) -> dict[str, Any]:
    person = context.person
    if person.status is PersonStatus.STOPPED:
        await _record_consent(context, [ConsentKind.MESSAGING], granted=True)
    if person.status in (PersonStatus.PAUSED, PersonStatus.STOPPED):
        person.status = PersonStatus.ACTIVE
    person.paused_until = None
    person.updated_at = context.now
    return {}


async def person_stop(context: ActionContext) -> dict[str, Any]:
    """Stop all nudges: withdraw the consent to be messaged and close every open conversation."""
    await _record_consent(context, [ConsentKind.MESSAGING], granted=False)
    context.person.status = PersonStatus.STOPPED
    context.person.updated_at = context.now
    await context.service.close_other_conversations(context.session, context.person.id, context.conversation)
    return {}


async def note_hold(context: ActionContext) -> dict[str, Any]:
    """A sentence she sent at a choice question: kept in the conversation's state, encrypted like every note,
    until she sends it to her coach (``note.send``) or answers the question (decision 0015)."""
    text = clean_text(str(context.args.get("text", "")), MAX_NOTE_LENGTH)
    if text:
        context.state[HELD_NOTES] = [*context.state.get(HELD_NOTES, []), context.service.cipher.encrypt(text)]
    return {}


def register(actions: ActionRegistry) -> None:
    """The engine's own actions: consent, onboarding, the check-in, her coach, pause, resume, stop."""
    actions.add("consent.grant", consent_grant)
    actions.add("consent.decline", consent_decline)
    actions.add("consent.share_contact", consent_share_contact)
    actions.add("onboarding.complete", onboarding_complete)
    actions.add("checkin.complete", checkin_complete, frozenset({"steps_total", "steps_count"}))
    actions.add("coach.contact_request", coach_contact_request)
    actions.add("person.pause", person_pause, frozenset({"paused_until"}))
    actions.add("person.resume", person_resume)
    actions.add("person.stop", person_stop)
    actions.add(HOLD_NOTE_ACTION, note_hold)
