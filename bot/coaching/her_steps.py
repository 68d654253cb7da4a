"""Her steps (issue 21): she records the steps on her way to work and sees them, in her language.

- **Recorded by her**: when a check-in says "a job step", one more question in the same check-in asks which
  (the ``milestone`` buttons of ``conversations/_choices.yaml``); once a month the ``her_steps_month`` flow
  shows her steps and asks "anything new?" with the same buttons and "nothing new". Each answer is a
  milestone recorded by ``her`` on her today. Never more than one such extra question in a week: the monthly
  one moves a week on when the check-in follow-up came that week, and the follow-up is left out in a week
  the monthly question came.
- **Seen by her**: the monthly flow and the ``steps`` command list what she did since she began (shifts,
  hours, course, CV...), never what she has not done.
- **Celebrated**: her first attended shift, her first 10 volunteer hours and her first paid job, each once
  (a nudge with a key of its own): a short message to her and one line to her coach, as an ordinary message
  that waits for the coach's quiet hours, not an alert (decision 0035).

Nothing here reads settings, the environment or a file; the clock's ``now`` comes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import milestones
from bot.coaching.texts import texts_for
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.port import Engine
from bot.core import i18n
from bot.core.timing import at_local, iso_week, local, week_start
from bot.db.engine import Database
from bot.db.models import (
    CheckIn,
    Milestone,
    MilestoneSource,
    Nudge,
    NudgeStatus,
    Person,
    PersonStatus,
    Role,
    ShiftStatus,
    VolunteerShift,
)
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import NUDGE_PRIORITY, outbox_row
from bot.people.caseload import coach_of, reachable_identity
from bot.scheduling.planner import DEFAULT_CHECKIN_TIME, DEFAULT_CHECKIN_WEEKDAY, NudgeKinds, schedule_nudge

MONTH_KIND = "her_steps_month"
MONTH_FLOW = "her_steps_month"
MONTH_LATE_GRACE = timedelta(hours=12)  # a monthly moment further in the past than this waits for next month
MONTH_MOVES = 3  # moved a week on at most this often; then that month's question is skipped
CELEBRATION_KIND = "her_celebration"
CELEBRATION_FLOW = "her_celebration"
JOB_STEP = "job"  # the check-in's "A job step" (conversations/checkin.yaml, ``steps``)
NOTHING_NEW = "none"
# What she can record herself: the bot records her first shift, and hours come from shifts or her coach.
HER_CODES = tuple(code for code in milestones.MILESTONES if code not in ("first_shift", "volunteer_hours"))
HOURS_TO_CELEBRATE = 10
CELEBRATIONS = ("first_shift", "hours_10", "paid_job")


# -- the monthly moment ---


def month_moment(year: int, month: int, checkin_weekday: int | None, clock: time | None, timezone: str) -> datetime:
    """The monthly question's moment: at her check-in time on the first weekday (Monday to Friday) of the
    month that is not her check-in day, so it never comes with the check-in itself."""
    weekday = DEFAULT_CHECKIN_WEEKDAY if checkin_weekday is None else checkin_weekday
    day = date(year, month, 1)
    while day.weekday() >= 5 or day.weekday() == weekday:
        day += timedelta(days=1)
    return at_local(day, clock or DEFAULT_CHECKIN_TIME, timezone)


def month_key(person_id: int, moment: datetime, timezone: str) -> str:
    return f"{MONTH_KIND}:{person_id}:{local(moment, timezone).strftime('%Y-%m')}"


async def plan_months(db: Database, now: datetime) -> int:
    """Each participant's next monthly question (this month's, or next month's once this month's has
    passed); the key is unique per person and month, so planning again plans nothing twice."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(Person.id, Person.timezone, Person.checkin_weekday, Person.checkin_time, Person.created_at)
                .where(Person.role == Role.PARTICIPANT, Person.status.in_([PersonStatus.ACTIVE, PersonStatus.PAUSED]))
                .order_by(Person.id)
            )
        ).all()
        wanted: dict[str, tuple[int, datetime]] = {}
        for person_id, zone, weekday, clock, joined in rows:
            today = local(now, zone).date()
            due = month_moment(today.year, today.month, weekday, clock, zone)
            if due < now - MONTH_LATE_GRACE or due < joined:
                following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
                due = month_moment(following.year, following.month, weekday, clock, zone)
            wanted[month_key(person_id, due, zone)] = (person_id, due)
        if not wanted:
            return 0
        existing = set(await session.scalars(select(Nudge.key).where(Nudge.key.in_(list(wanted)))))
        planned = 0
        for key, (person_id, due) in wanted.items():
            if key not in existing:
                await schedule_nudge(session, person_id, MONTH_KIND, key, due, now)
                planned += 1
        return planned


YEAR_FEEDBACK_KIND = "year_feedback"  # bot/coaching/year_feedback.py: her feedback at the end is an extra too


async def followup_this_week(session: AsyncSession, person: Person, now: datetime) -> bool:
    """She answered "a job step" in a check-in of this week (so she got the follow-up question)."""
    steps = await session.scalars(
        select(CheckIn.steps).where(CheckIn.person_id == person.id, CheckIn.week == iso_week(now, person.timezone))
    )
    return any(JOB_STEP in (found or []) for found in steps)


async def month_asked_this_week(session: AsyncSession, person: Person, now: datetime, kind: str = MONTH_KIND) -> bool:
    """The monthly question (or another extra question: ``kind``, the end-of-year feedback's) came to her
    this week (her Monday, her time zone)."""
    monday = at_local(week_start(now, person.timezone), time(0, 0), person.timezone)
    found = await session.scalar(
        select(Nudge.id).where(
            Nudge.person_id == person.id,
            Nudge.kind == kind,
            Nudge.status == NudgeStatus.DONE,
            Nudge.done_at >= monday,
        )
    )
    return found is not None


async def _on_month(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    if person.role is not Role.PARTICIPANT:
        return "not a participant"
    if now > nudge.due_at + MONTH_LATE_GRACE:
        return "no longer useful: next month's comes"
    if await followup_this_week(session, person, now) or await month_asked_this_week(
        session, person, now, YEAR_FEEDBACK_KIND
    ):
        moves = int(nudge.data.get("moves", 0))
        if moves >= MONTH_MOVES:
            return "she got the check-in's question about her steps this week; next month's comes"
        later = nudge.due_at + timedelta(weeks=1)
        base = nudge.key.split(":moved")[0]
        await schedule_nudge(session, person.id, MONTH_KIND, f"{base}:moved{moves + 1}", later, now, moves=moves + 1)
        return "moved a week on: she got the check-in's question about her steps this week"
    return await service.start_scheduled(
        session, person, MONTH_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=now + timedelta(days=3)
    )


# -- what she did since she began ---


@dataclass(frozen=True)
class Done:
    """What she did since she began: her attended shifts, her volunteer minutes, her other steps (codes, in
    the order of the path, each once)."""

    began: date | None
    shifts: int
    minutes: int
    steps: tuple[str, ...]


async def done_so_far(session: AsyncSession, participant_id: int) -> Done:
    trajectory = await milestones.trajectory_of(session, participant_id)
    shifts = await session.scalar(
        select(func.count(VolunteerShift.id)).where(
            VolunteerShift.participant_id == participant_id, VolunteerShift.status == ShiftStatus.ATTENDED
        )
    )
    minutes = await milestones.volunteer_minutes(session, participant_id)
    codes = {m.code for m in await milestones.path(session, participant_id)}
    steps = tuple(code for code in HER_CODES if code in codes)
    return Done(trajectory.started_on if trajectory is not None else None, int(shifts or 0), minutes, steps)


def steps_text(service: Engine, person: Person, done: Done) -> str:
    """Her steps in her language, with emoji: only what she did; a kind sentence about starting when there
    is nothing yet."""
    texts = texts_for(service)
    locale = person.locale
    if not done.shifts and done.minutes < 60 and not done.steps:  # nothing to list yet (hours are whole)
        return texts.say("her_steps_beginning", locale)
    lines = [
        texts.say("her_steps_title_since", locale, day=done.began)
        if done.began is not None
        else texts.say("her_steps_title", locale)
    ]
    if done.shifts:
        lines.append(texts.say("her_steps_shifts", locale, count=done.shifts))
    hours = done.minutes // 60
    if hours:
        lines.append(texts.say("her_steps_hours", locale, hours=hours))
    lines += [texts.label(MONTH_FLOW, "news", code, locale) for code in done.steps]
    lines.append(texts.say("her_steps_closing", locale))
    return "\n".join(lines)


async def steps_show(context: ActionContext) -> dict[str, Any]:
    """The ``steps`` command and the monthly flow: ``her_steps``, what she did since she began."""
    if context.person.role is not Role.PARTICIPANT:
        return {"her_steps": ""}
    done = await done_so_far(context.session, context.person.id)
    return {"her_steps": steps_text(context.service, context.person, done)}


# -- what she records ---


async def extra_this_week(context: ActionContext) -> dict[str, Any]:
    """In the check-in: ``extra_question`` is ``yes`` when the monthly question already came this week (then
    the follow-up is left out: one extra question a week at most)."""
    asked = await month_asked_this_week(context.session, context.person, context.now)
    return {"extra_question": "yes" if asked else "no"}


async def steps_record(context: ActionContext) -> dict[str, Any]:
    """Her answer (``var.milestones``): each step a milestone recorded by her, on her today."""
    chosen = context.state.get("vars", {}).get("milestones") or []
    codes = [c for c in (chosen if isinstance(chosen, list) else [chosen]) if c in HER_CODES]
    if context.person.role is not Role.PARTICIPANT or not codes:
        return {"steps_recorded": 0}
    today = local(context.now, context.person.timezone).date()
    for code in codes:
        await milestones.record(
            context.session, None, context.person, milestones.Step(code, today), MilestoneSource.HER, context.now
        )
    await celebrate_due(context.session, context.person, context.now)
    return {"steps_recorded": len(codes)}


# -- celebrations ---


async def celebrate_due(session: AsyncSession, participant: Person, now: datetime) -> list[str]:
    """Plan the celebrations she has reached (her first shift, 10 volunteer hours, her first paid job), each
    once in her life: the nudge's key is unique. Returns the ones planned now."""
    reached = []
    if await milestones.has(session, participant.id, "first_shift"):
        reached.append("first_shift")
    if await milestones.volunteer_minutes(session, participant.id) >= HOURS_TO_CELEBRATE * 60:
        reached.append("hours_10")
    if await milestones.has(session, participant.id, "paid_job"):
        reached.append("paid_job")
    keys = {f"{CELEBRATION_KIND}:{participant.id}:{kind}": kind for kind in reached}
    if not keys:
        return []
    existing = set(await session.scalars(select(Nudge.key).where(Nudge.key.in_(list(keys)))))
    planned = []
    for key, kind in keys.items():
        if key not in existing:
            await schedule_nudge(session, participant.id, CELEBRATION_KIND, key, now, now, celebration=kind)
            planned.append(kind)
    return planned


async def plan_celebrations(db: Database, now: datetime, within: timedelta = timedelta(days=2)) -> int:
    """Celebrations of milestones recorded lately by anyone (her coach, an import): the planning tick's
    sweep, so a paid job her coach records is celebrated too."""
    async with db.transaction() as session:
        people = await session.scalars(
            select(Person)
            .join(Milestone, Milestone.participant_id == Person.id)
            .where(Milestone.created_at >= now - within, Person.role == Role.PARTICIPANT)
            .distinct()
        )
        planned = 0
        for person in list(people):
            planned += len(await celebrate_due(session, person, now))
        return planned


async def celebration(context: ActionContext) -> dict[str, Any]:
    """The ``her_celebration`` flow's celebration (``var.celebration``), one of ``CELEBRATIONS`` or none."""
    kind = str(context.state.get("vars", {}).get("celebration") or "")
    return {"celebration": kind if kind in CELEBRATIONS else ""}


async def _on_celebration(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    kind = str(nudge.data.get("celebration", ""))
    if kind not in CELEBRATIONS:
        return f"unknown celebration {kind[:40]!r}"
    outcome = await service.start_scheduled(
        session, person, CELEBRATION_FLOW, key=f"nudge:{nudge.key}", now=now,
        stale_after=now + timedelta(days=3), variables={"celebration": kind},
    )  # fmt: skip
    await _tell_coach(service, session, person, kind, nudge.key, now)
    return outcome


async def _tell_coach(
    service: Engine, session: AsyncSession, participant: Person, kind: str, key: str, now: datetime
) -> None:
    """One line to her coach: an ordinary message (it waits for the coach's quiet hours and counts in her
    daily cap), not an alert, and not among the summary's "needs you first"."""
    coach = await coach_of(session, participant.id)
    if coach is None:
        return
    identity = await reachable_identity(session, coach.id)
    if identity is None:
        return
    text = texts_for(service).say(f"coach_celebration_{kind}", coach.locale, name=participant.display_name or "")
    message = OutboundMessage(text=text, locale=coach.locale, right_to_left=i18n.is_right_to_left(coach.locale))
    session.add(
        outbox_row(
            f"{key}:coach", message, now, person_id=coach.id, identity=identity, kind="nudge",
            priority=NUDGE_PRIORITY,
        )
    )  # fmt: skip


def register(actions: ActionRegistry, nudges: NudgeKinds) -> None:
    """The flow actions and nudge kinds of her steps."""
    actions.add("her_steps.show", steps_show, frozenset({"her_steps"}))
    actions.add("her_steps.extra_this_week", extra_this_week, frozenset({"extra_question"}))
    actions.add("her_steps.record", steps_record, frozenset({"steps_recorded"}))
    actions.add("her_steps.celebration", celebration, frozenset({"celebration"}))
    nudges.add(MONTH_KIND, _on_month)
    nudges.add(CELEBRATION_KIND, _on_celebration)
