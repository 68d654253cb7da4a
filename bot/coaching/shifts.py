"""Volunteer shifts: a coach adds a placement's shifts for a participant of HER caseload (chat, CLI or CSV);
the participant is reminded the evening before and two hours before, with "I'll be there", "I can't come"
(and why) and "I need help"; the coach is alerted at once on the last two, and when she did not answer by the
start. After the shift: did she go, how it went, and an optional note (encrypted). Attendance is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import her_steps, milestones
from bot.coaching.caseload import PARTICIPANT_CHOICES, participant_choices
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.port import Engine
from bot.conversation.profile import MAX_NOTE_LENGTH, clean_text
from bot.core import i18n
from bot.core.timing import at_local, local, read_moment
from bot.db.models import AuditEntry, Nudge, NudgeStatus, Person, PersonStatus, Role, ShiftStatus, VolunteerShift
from bot.people.caseload import caseload_ids, require_participant_of
from bot.people.directory import DomainError
from bot.scheduling.planner import NudgeKinds, schedule_nudge

EVENING_BEFORE = time(18, 0)  # the first reminder: 18:00 the day before, in her time zone
SHORTLY_BEFORE = timedelta(hours=2)
FOLLOWUP_AFTER = timedelta(hours=1)
REMINDER_FLOW = "shift_reminder"
FOLLOWUP_FLOW = "shift_followup"
CANCEL_REASONS = frozenset({"childcare", "illness", "transport", "other"})  # hers, in the reminder
COACH_REASONS = ("closed", "not-needed", "moved", "other")  # her coach's (``cancel_by_coach``)
CANCELLED_FLOW = "shift_cancelled"
UPCOMING = (ShiftStatus.PLANNED, ShiftStatus.CONFIRMED)
LIMITS = {"place": 200, "address": 300, "contact": 200}  # characters


@dataclass(frozen=True)
class ShiftInput:
    participant_id: int
    place: str
    address: str
    starts_at: datetime
    ends_at: datetime
    contact: str | None = None


def parse_moment(value: str, timezone: str) -> datetime:
    """A date and time as ``bot.core.timing.read_moment`` reads it (``12/12/2026 14:00``, the ISO form...);
    without an offset it is read in the participant's time zone."""
    moment = read_moment(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)


async def add_shift(session: AsyncSession, coach_id: int | None, shift: ShiftInput, now: datetime) -> VolunteerShift:
    """Add one shift and plan its reminders. With ``coach_id`` the participant must be in her caseload."""
    if coach_id is not None:
        participant = await require_participant_of(session, coach_id, shift.participant_id)
    else:
        found = await session.get(Person, shift.participant_id)
        if found is None or found.role is not Role.PARTICIPANT:
            raise DomainError(f"person {shift.participant_id} is not a participant")
        participant = found
    _check(shift, now)
    row = VolunteerShift(
        participant_id=participant.id,
        place=shift.place.strip(),
        address=shift.address.strip(),
        contact=(shift.contact or "").strip() or None,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=ShiftStatus.PLANNED,
        created_by_id=coach_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    session.add(
        AuditEntry(at=now, actor_id=coach_id, action="shift.add", subject_id=participant.id, detail={"shift": row.id})
    )
    await plan_reminders(session, row, participant, now)
    return row


def _check(shift: ShiftInput, now: datetime) -> None:
    for name, value in (("place", shift.place), ("address", shift.address)):
        if not value.strip():
            raise DomainError(f"{name} is empty")
        if len(value.strip()) > LIMITS[name]:
            raise DomainError(f"{name} is longer than {LIMITS[name]} characters")
    if shift.contact is not None and len(shift.contact.strip()) > LIMITS["contact"]:
        raise DomainError(f"contact is longer than {LIMITS['contact']} characters")
    if shift.ends_at <= shift.starts_at:
        raise DomainError("end must be after start")
    if shift.starts_at <= now:
        raise DomainError("start is in the past")


async def plan_reminders(session: AsyncSession, shift: VolunteerShift, participant: Person, now: datetime) -> None:
    tz = participant.timezone
    shortly = shift.starts_at - SHORTLY_BEFORE
    evening = at_local(local(shift.starts_at, tz).date() - timedelta(days=1), EVENING_BEFORE, tz)
    base = f"shift:{shift.id}"
    if now < evening < shortly:
        await schedule_nudge(
            session, participant.id, "shift_reminder", f"{base}:evening", evening, now, shift_id=shift.id
        )
    await schedule_nudge(
        session, participant.id, "shift_reminder", f"{base}:shortly", max(shortly, now), now, shift_id=shift.id
    )
    await schedule_nudge(
        session, participant.id, "shift_check", f"{base}:check", shift.starts_at, now, shift_id=shift.id
    )
    await schedule_nudge(
        session, participant.id, "shift_followup", f"{base}:followup", shift.ends_at + FOLLOWUP_AFTER, now,
        shift_id=shift.id,
    )  # fmt: skip


# -- what a coach manages: the list, and a cancellation ---


@dataclass(frozen=True)
class ListedShift:
    """One shift as ``trampoline shift list`` shows it: with her name, and her time zone for its times."""

    id: int
    participant_id: int
    participant_name: str
    timezone: str
    place: str
    address: str
    contact: str | None
    starts_at: datetime
    ends_at: datetime
    status: ShiftStatus
    cancel_reason: str | None


async def listed(
    session: AsyncSession,
    now: datetime,
    *,
    coach_id: int | None = None,
    participant_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ListedShift]:
    """The shifts of a coach's caseload (of everyone without ``coach_id``; of one woman with
    ``participant_id``, who must be of that caseload), soonest first, whose day in HER time zone is from
    ``since`` (default: her today) up to ``until`` (included; default: no end)."""
    query = select(VolunteerShift, Person).join(Person, Person.id == VolunteerShift.participant_id)
    if participant_id is not None:
        if coach_id is not None:
            await require_participant_of(session, coach_id, participant_id)
        query = query.where(VolunteerShift.participant_id == participant_id)
    elif coach_id is not None:
        query = query.where(VolunteerShift.participant_id.in_(caseload_ids(coach_id)))
    # A day in her time zone starts at most 14 hours before or after the same day in UTC: a coarse window in
    # SQL, then her own day exactly.
    margin = timedelta(days=1)
    if since is not None:
        query = query.where(VolunteerShift.starts_at >= datetime.combine(since, time(), UTC) - margin)
    else:
        query = query.where(VolunteerShift.ends_at >= now - margin)
    if until is not None:
        query = query.where(VolunteerShift.starts_at < datetime.combine(until, time(), UTC) + 2 * margin)
    found = []
    for shift, person in (await session.execute(query.order_by(VolunteerShift.starts_at, VolunteerShift.id))).all():
        day = local(shift.starts_at, person.timezone).date()
        if day < (since if since is not None else local(now, person.timezone).date()):
            continue
        if until is not None and day > until:
            continue
        name = person.display_name or f"#{person.id}"
        found.append(
            ListedShift(
                shift.id,
                person.id,
                name,
                person.timezone,
                shift.place,
                shift.address,
                shift.contact,
                shift.starts_at,
                shift.ends_at,
                shift.status,
                shift.cancel_reason,
            )
        )
    return found


async def participant_of_shift(session: AsyncSession, shift_id: int) -> int | None:
    """Whose shift it is (for a command that acts as her own coach), or ``None`` when there is no such shift."""
    return await session.scalar(select(VolunteerShift.participant_id).where(VolunteerShift.id == shift_id))


@dataclass(frozen=True)
class Cancelled:
    """A shift her coach cancelled, and what telling her did (``started``, or why she could not be told)."""

    id: int
    participant_id: int
    status: ShiftStatus
    cancel_reason: str
    told: str


async def cancel_by_coach(
    session: AsyncSession, service: Engine, coach_id: int, shift_id: int, reason: str, now: datetime
) -> Cancelled:
    """Her coach cancels a shift that has not started, for one of ``COACH_REASONS``: no reminder or question
    about it follows, and she is told in her language which shift and why (flow ``shift_cancelled``)."""
    if reason not in COACH_REASONS:
        raise DomainError(f"the reason must be one of {', '.join(COACH_REASONS)}, not {reason[:40]!r}")
    shift = await session.get(VolunteerShift, shift_id)
    if shift is None:
        raise DomainError(f"there is no shift {shift_id} in the caseload of coach {coach_id}")
    try:
        participant = await require_participant_of(session, coach_id, shift.participant_id)
    except DomainError:
        raise DomainError(f"there is no shift {shift_id} in the caseload of coach {coach_id}") from None
    if shift.status is ShiftStatus.CANCELLED:
        raise DomainError(f"shift {shift_id} is already cancelled")
    if shift.status not in UPCOMING or shift.starts_at <= now:
        raise DomainError(f"shift {shift_id} has started: it cannot be cancelled any more")
    shift.status = ShiftStatus.CANCELLED
    shift.cancel_reason = f"coach:{reason}"
    await _drop_pending(session, shift.id, keep_followup=False)
    detail = {"shift": shift.id, "reason": reason}
    session.add(AuditEntry(at=now, actor_id=coach_id, action="shift.cancel", subject_id=participant.id, detail=detail))
    told = "she has stopped: she is not told"
    if participant.status is not PersonStatus.STOPPED:
        told = await service.start_scheduled(
            session, participant, CANCELLED_FLOW, key=f"shift:{shift.id}:cancelled", now=now,
            stale_after=shift.starts_at, variables={"shift_id": shift.id},
        )  # fmt: skip
    return Cancelled(shift.id, participant.id, shift.status, shift.cancel_reason, told)


# -- the participant's answers ---


async def _mine(context: ActionContext) -> VolunteerShift | None:
    """The shift this conversation is about, only if it is hers."""
    shift_id = context.state.get("vars", {}).get("shift_id")
    if shift_id is None:
        return None
    return await context.session.scalar(
        select(VolunteerShift).where(
            VolunteerShift.id == int(shift_id), VolunteerShift.participant_id == context.person.id
        )
    )


SHIFT_OUTPUTS = frozenset({"shift_found", "shift_place", "shift_address", "shift_when", "shift_contact"})


def _describe(shift: VolunteerShift, person: Person) -> dict[str, Any]:
    return {
        "shift_found": "yes",
        "shift_id": shift.id,
        "shift_place": shift.place,
        "shift_address": shift.address,
        "shift_contact": shift.contact or "-",
        "shift_when": f"{i18n.moment(shift.starts_at, person.locale, person.timezone)} - "
        f"{i18n.clock_time(shift.ends_at, person.locale, person.timezone)}",
    }


async def shift_next(context: ActionContext) -> dict[str, Any]:
    """Her next shift that has not started (the one a reminder is about)."""
    shift = await context.session.scalar(
        select(VolunteerShift)
        .where(
            VolunteerShift.participant_id == context.person.id,
            VolunteerShift.starts_at > context.now,
            VolunteerShift.status.in_(UPCOMING),
        )
        .order_by(VolunteerShift.starts_at)
        .limit(1)
    )
    return _describe(shift, context.person) if shift is not None else {"shift_found": "no"}


async def shift_last(context: ActionContext) -> dict[str, Any]:
    """Her latest shift that has ended and whose attendance is not recorded yet."""
    shift = await context.session.scalar(
        select(VolunteerShift)
        .where(
            VolunteerShift.participant_id == context.person.id,
            VolunteerShift.ends_at <= context.now,
            VolunteerShift.status.in_(UPCOMING),
        )
        .order_by(VolunteerShift.ends_at.desc())
        .limit(1)
    )
    return _describe(shift, context.person) if shift is not None else {"shift_found": "no"}


async def shift_cancelled(context: ActionContext) -> dict[str, Any]:
    """The shift her coach cancelled (``var.shift_id``), and why: ``shift_reason`` is one of
    ``COACH_REASONS``."""
    shift = await _mine(context)
    if shift is None or shift.status is not ShiftStatus.CANCELLED:
        return {"shift_found": "no", "shift_reason": ""}
    reason = (shift.cancel_reason or "").removeprefix("coach:")
    return {**_describe(shift, context.person), "shift_reason": reason if reason in COACH_REASONS else "other"}


async def shift_confirm(context: ActionContext) -> dict[str, Any]:
    shift = await _mine(context)
    if shift is not None and shift.status in UPCOMING:
        shift.status = ShiftStatus.CONFIRMED
    return {}


async def shift_cancel(context: ActionContext) -> dict[str, Any]:
    """She can't come (``var.reason``): recorded with the reason, and her coach is alerted at once."""
    shift = await _mine(context)
    if shift is None or shift.status not in UPCOMING:
        return {}
    reason = str(context.state.get("vars", {}).get("reason") or "other")
    shift.status = ShiftStatus.CANCELLED
    shift.cancel_reason = reason if reason in CANCEL_REASONS else "other"
    await _drop_pending(context.session, shift.id)
    await context.service.alert_coach(context.session, context.person, "cant_come", context.now)
    return {}


async def shift_help(context: ActionContext) -> dict[str, Any]:
    await context.service.alert_coach(context.session, context.person, "need_help", context.now)
    return {}


async def shift_attendance(context: ActionContext) -> dict[str, Any]:
    """After the shift: she went (attended) or not (no-show), how it went, and her note, encrypted; the note
    leaves the conversation state."""
    variables = context.state.get("vars", {})
    note = variables.pop("note", None)
    shift = await _mine(context)
    if shift is None or shift.status not in UPCOMING:
        return {}
    shift.status = ShiftStatus.ATTENDED if variables.get("went") else ShiftStatus.NO_SHOW
    if shift.status is ShiftStatus.ATTENDED:
        await milestones.shift_attended(context.session, context.person, shift, context.now)
        await her_steps.celebrate_due(context.session, context.person, context.now)
    how = variables.get("how")
    if how in ("good", "okay", "hard"):
        shift.feedback = str(how)
    if isinstance(note, dict) and note.get("text"):
        cleaned = clean_text(str(note["text"]), MAX_NOTE_LENGTH)
        shift.note_ciphertext = context.service.cipher.encrypt(cleaned) if cleaned else None
    elif isinstance(note, dict) and note.get("media"):
        shift.note_ciphertext = context.service.cipher.encrypt(f"{note['media']}:{note.get('ref', '')}")
    return {}


async def _drop_pending(session: AsyncSession, shift_id: int, *, keep_followup: bool = True) -> None:
    rows = await session.scalars(
        select(Nudge).where(Nudge.status == NudgeStatus.PENDING, Nudge.key.like(f"shift:{shift_id}:%"))
    )
    for nudge in rows:
        if not keep_followup or nudge.kind != "shift_followup":
            nudge.status = NudgeStatus.SKIPPED
            nudge.reason = "the shift was cancelled"


# -- the coach's /shift in chat ---


def _text(value: Any) -> str:
    return str(value.get("text", "")) if isinstance(value, dict) else ""


async def shift_add(context: ActionContext) -> dict[str, Any]:
    """The guided /shift: the coach's answers become a shift (times in the participant's time zone)."""
    variables = context.state.get("vars", {})
    place, address, contact = (_text(variables.pop(n, None)) for n in ("place", "address", "contact"))
    if context.person.role is not Role.COACH:
        return {"shift_added": "no", "shift_problem": "caseload"}
    try:
        participant = await require_participant_of(
            context.session, context.person.id, int(variables.get("participant", 0))
        )
        day = date.fromisoformat(str(variables["day"]))
        starts = at_local(day, time.fromisoformat(str(variables["start"])), participant.timezone)
        ends = at_local(day, time.fromisoformat(str(variables["end"])), participant.timezone)
    except (DomainError, KeyError, ValueError):
        return {"shift_added": "no", "shift_problem": "caseload"}
    if ends <= starts:
        return {"shift_added": "no", "shift_problem": "times"}
    if starts <= context.now:
        return {"shift_added": "no", "shift_problem": "past"}
    try:
        shift = ShiftInput(participant.id, place, address, starts, ends, contact or None)
        await add_shift(context.session, context.person.id, shift, context.now)
    except DomainError:
        return {"shift_added": "no", "shift_problem": "text"}
    return {"shift_added": "yes", "shift_problem": ""}


# -- nudges ---


async def _shift_for(session: AsyncSession, nudge: Nudge, person: Person) -> VolunteerShift | None:
    shift_id = nudge.data.get("shift_id")
    if shift_id is None:
        return None
    return await session.scalar(
        select(VolunteerShift).where(VolunteerShift.id == int(shift_id), VolunteerShift.participant_id == person.id)
    )


async def _on_reminder(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    shift = await _shift_for(session, nudge, person)
    if shift is None or shift.status not in UPCOMING:
        return "the shift was cancelled"
    if now >= shift.starts_at:
        return "no longer useful: the shift has started"
    outcome = await service.start_scheduled(
        session, person, REMINDER_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=shift.starts_at
    )
    if outcome == "this flow is already open":  # she did not answer the first reminder: ask it once more
        return await service.remind(
            session, person, REMINDER_FLOW, key=f"nudge:{nudge.key}", now=now, lead="shift_soon"
        )
    return outcome


async def _on_check(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    """At the start: she did not answer either reminder, so her coach knows before the place calls."""
    shift = await _shift_for(session, nudge, person)
    if shift is None or shift.status is not ShiftStatus.PLANNED:
        return "she answered"
    await service.alert_coach(session, person, "shift_no_answer", now)
    return "started"


async def _on_followup(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    shift = await _shift_for(session, nudge, person)
    if shift is None or shift.status not in UPCOMING:
        return "nothing to ask: the shift was cancelled or is recorded"
    return await service.start_scheduled(
        session, person, FOLLOWUP_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=now + timedelta(days=2)
    )


def register(actions: ActionRegistry, nudges: NudgeKinds) -> None:
    """The flow actions and nudge kinds of volunteer shifts."""
    actions.add("shift.next", shift_next, SHIFT_OUTPUTS)
    actions.add("shift.last", shift_last, SHIFT_OUTPUTS)
    actions.add("shift.cancelled", shift_cancelled, SHIFT_OUTPUTS | {"shift_reason"})
    actions.add("shift.confirm", shift_confirm)
    actions.add("shift.cancel", shift_cancel)
    actions.add("shift.help", shift_help)
    actions.add("shift.attendance", shift_attendance)
    actions.add("shift.participants", participant_choices, PARTICIPANT_CHOICES)  # the same as match.participants
    actions.add("shift.add", shift_add, frozenset({"shift_added", "shift_problem"}))
    nudges.add("shift_reminder", _on_reminder)
    nudges.add("shift_check", _on_check)
    nudges.add("shift_followup", _on_followup)
