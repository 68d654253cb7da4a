"""Her path as her coach records and sees it (issue 21, decision 0036): the coach's ``step`` in the chat
(``conversations/coach_step.yaml``: a woman of HER caseload, a milestone, a day, its details, a note), the
milestones of the week and "no step and no shift for 8 weeks" in the weekly summary (``collect_path``,
grouped over all the coaches of a summary run), and the timeline of her year under ``participant``.

The labels of the milestones, contract kinds and levels are the chat's (``conversations/_choices.yaml``:
``milestones``, ``contracts``, ``levels``), read through the ``coach_step`` flow's questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.coaching import milestones
from bot.coaching.texts import CoachTexts, texts_for
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.profile import clean_text
from bot.core.timing import local
from bot.db.models import (
    CheckIn,
    Milestone,
    MilestoneSource,
    Role,
    ShiftStatus,
    Trajectory,
    TrajectoryStatus,
    VolunteerShift,
)
from bot.people.caseload import require_participant_of
from bot.people.directory import DomainError

STEP_FLOW = "coach_step"  # the flow whose questions hold the labels of milestones, contracts and levels
QUIET_WEEKS = 8  # no milestone, no check-in step and no attended shift for this long: on the attention list
NO_STEP = "none"


# -- labels ---


def milestone_label(
    texts: CoachTexts, row: Milestone | tuple[str, int | None, str | None, str | None], locale: str
) -> str:
    """A milestone as the coach reads it: its emoji and label in her language, with its hours, level or
    contract kind ("⏱️ Volunteer hours (6 h)", "📚 Language course started (B1)")."""
    code, minutes, level, contract = (
        (row.code, row.minutes, row.level, row.contract) if isinstance(row, Milestone) else row
    )
    label = texts.label(STEP_FLOW, "milestone", code, locale)
    if minutes:
        detail = texts.say("step_hours_short", locale, hours=round(minutes / 60, 1))
    elif level:
        detail = level
    elif contract:
        detail = texts.label(STEP_FLOW, "contract", contract, locale)
    else:
        return label
    return f"{label} ({detail})"


# -- the coach's step in the chat ---


def _text(value: Any) -> str:
    return str(value.get("text", "")) if isinstance(value, dict) else ""


async def check_day(context: ActionContext) -> dict[str, Any]:
    """The day she typed (``var.day``; skipped: today) is not after today in the coach's time zone."""
    chosen = context.state.get("vars", {}).get("day")
    today = local(context.now, context.person.timezone).date()
    try:
        day = date.fromisoformat(str(chosen)) if chosen else today
    except ValueError:
        return {"day_ok": "no"}
    return {"day_ok": "yes" if milestones.EARLIEST <= day <= today else "no"}


async def record_step(context: ActionContext) -> dict[str, Any]:
    """The guided ``step``: her answers become a milestone of one woman of HER caseload (another coach's
    woman is refused, whatever the variables say); the note is encrypted and leaves the conversation state."""
    variables = context.state.get("vars", {})
    note = clean_text(_text(variables.pop("note", None)), milestones.NOTE_LENGTH) or None
    refused = {"step_recorded": "no", "step_problem": "caseload", "step_label": "", "step_woman": ""}
    if context.person.role is not Role.COACH:
        return refused
    try:
        woman = await require_participant_of(context.session, context.person.id, int(str(variables.get("woman"))))
    except (DomainError, ValueError):
        return refused
    today = local(context.now, woman.timezone).date()
    try:
        code = str(variables.get("milestone", ""))
        day = date.fromisoformat(str(variables["day"])) if variables.get("day") else today
        hours = float(variables["hours"]) if code == "volunteer_hours" and variables.get("hours") else None
        contract = str(variables["contract"]) if code == "paid_job" and variables.get("contract") else None
        level = str(variables["level"]) if code in milestones.WITH_LEVEL and variables.get("level") else None
        step = milestones.Step(code, day, hours=hours, level=level, contract=contract, note=note)
        await milestones.record(
            context.session, context.service.cipher, woman, step, MilestoneSource.COACH, context.now,
            recorded_by_id=context.person.id,
        )  # fmt: skip
    except (DomainError, KeyError, ValueError):
        return {**refused, "step_problem": "step"}
    texts = _texts(context)
    label = milestone_label(texts, (code, round(hours * 60) if hours else None, level, contract), context.person.locale)
    return {
        "step_recorded": "yes",
        "step_problem": "",
        "step_label": label,
        "step_woman": woman.display_name or f"#{woman.id}",
    }


def _texts(context: ActionContext) -> CoachTexts:
    return texts_for(context.service)


def register(actions: ActionRegistry) -> None:
    """The flow actions of the coach's ``step``."""
    actions.add("step.check_day", check_day, frozenset({"day_ok"}))
    actions.add("step.record", record_step, frozenset({"step_recorded", "step_problem", "step_label", "step_woman"}))


# -- the weekly summary ---


@dataclass
class PathWeek:
    """What the summary shows of her path: the milestones new in its week, and whether she has had no step
    and no shift for ``QUIET_WEEKS`` weeks."""

    new: list[tuple[str, int | None, str | None, str | None]] = field(default_factory=list)
    quiet: bool = False


async def collect_path(
    connection: AsyncConnection,
    caseload: Any,
    pairs: list[tuple[int, int]],
    weeks: dict[int, tuple[datetime, datetime]],
) -> dict[tuple[int, int], PathWeek]:
    """Per (coach, woman) of ``pairs``: her path in the week ``weeks[coach]`` (its start and its "as of"),
    in four queries for all of them, each joined through ``caseload``.

    New in the week: a milestone achieved in its seven days (recorded by then), or recorded in them for a day
    of the eight weeks before. Quiet: a trajectory started at least 8 weeks before "as of", and in the 8 weeks
    up to "as of" no milestone achieved, no completed check-in with a step, no attended shift."""
    if not pairs:
        return {}
    earliest = min(start for start, _ in weeks.values()) - timedelta(weeks=QUIET_WEEKS)
    latest = max(as_of for _, as_of in weeks.values())
    found: dict[tuple[int, int], PathWeek] = {pair: PathWeek() for pair in pairs}
    last_active: dict[tuple[int, int], date] = {}

    def active(key: tuple[int, int], day: date) -> None:
        if key in found and (key not in last_active or day > last_active[key]):
            last_active[key] = day

    rows = await connection.execute(
        select(
            caseload.c.coach_id, Milestone.participant_id, Milestone.code, Milestone.minutes, Milestone.level,
            Milestone.contract, Milestone.achieved_on, Milestone.created_at,
        )
        .join(caseload, caseload.c.participant_id == Milestone.participant_id)
        .where(Milestone.achieved_on >= earliest.date(), Milestone.created_at <= latest)
        .order_by(Milestone.achieved_on, Milestone.id)
    )  # fmt: skip
    for coach_id, pid, code, minutes, level, contract, achieved, created in rows:
        key = (coach_id, pid)
        if key not in found:
            continue
        start, as_of = weeks[coach_id]
        if created > as_of:
            continue
        monday, sunday = start.date(), (start + timedelta(days=6)).date()
        recent = monday - timedelta(weeks=QUIET_WEEKS) <= achieved <= sunday
        if (monday <= achieved <= sunday) or (recent and start <= created < start + timedelta(weeks=1)):
            found[key].new.append((code, minutes, level, contract))
        active(key, achieved)

    step_count = func.coalesce(func.json_array_length(CheckIn.steps), 0) - case(
        (cast(CheckIn.steps, Text).like(f'%"{NO_STEP}"%'), 1), else_=0
    )
    stepped = await connection.execute(
        select(caseload.c.coach_id, CheckIn.person_id, func.max(CheckIn.completed_at))
        .join(caseload, caseload.c.participant_id == CheckIn.person_id)
        .where(CheckIn.completed_at >= earliest, CheckIn.completed_at <= latest, step_count > 0)
        .group_by(caseload.c.coach_id, CheckIn.person_id)
    )
    for coach_id, pid, moment in stepped:
        active((coach_id, pid), moment.date())
    shifts = await connection.execute(
        select(caseload.c.coach_id, VolunteerShift.participant_id, func.max(VolunteerShift.starts_at))
        .join(caseload, caseload.c.participant_id == VolunteerShift.participant_id)
        .where(
            VolunteerShift.status == ShiftStatus.ATTENDED,
            VolunteerShift.starts_at >= earliest,
            VolunteerShift.starts_at <= latest,
        )
        .group_by(caseload.c.coach_id, VolunteerShift.participant_id)
    )
    for coach_id, pid, moment in shifts:
        active((coach_id, pid), moment.date())
    started = await connection.execute(
        select(caseload.c.coach_id, Trajectory.participant_id, Trajectory.started_on)
        .join(caseload, caseload.c.participant_id == Trajectory.participant_id)
        .where(Trajectory.status == TrajectoryStatus.ACTIVE)
    )
    for coach_id, pid, started_on in started:
        key = (coach_id, pid)
        if key not in found:
            continue
        _, as_of = weeks[coach_id]
        since = (as_of - timedelta(weeks=QUIET_WEEKS)).date()
        last = last_active.get(key)
        found[key].quiet = started_on <= since and (last is None or last < since)
    return found


def milestones_line(texts: CoachTexts, locale: str, new: list[tuple[str, int | None, str | None, str | None]]) -> str:
    """The line under her name in the summary: the milestones new this week."""
    return texts.say("line_milestones", locale, milestones=[milestone_label(texts, m, locale) for m in new])


# -- her year under ``participant`` ---


@dataclass
class Year:
    """The timeline of her year: her trajectory, her milestones, the shifts she attended and her hours."""

    started_on: date | None = None
    planned_end_on: date | None = None
    ended_on: date | None = None
    path: list[Milestone] = field(default_factory=list)
    shifts_attended: int = 0
    minutes: int = 0


async def year_of(session: AsyncSession, participant_id: int) -> Year:
    """Her year as it stands (the caller checked that she is one of the coach's women)."""
    trajectory = await milestones.trajectory_of(session, participant_id)
    year = Year()
    if trajectory is not None:
        year.started_on, year.planned_end_on = trajectory.started_on, trajectory.planned_end_on
        year.ended_on = trajectory.ended_on
    year.path = await milestones.path(session, participant_id)
    year.shifts_attended = int(
        await session.scalar(
            select(func.count(VolunteerShift.id)).where(
                VolunteerShift.participant_id == participant_id, VolunteerShift.status == ShiftStatus.ATTENDED
            )
        )
        or 0
    )
    year.minutes = await milestones.volunteer_minutes(session, participant_id)
    return year


def year_lines(texts: CoachTexts, year: Year, locale: str) -> list[str]:
    """Her year for her coach: start and planned end, each milestone by day, the shifts and hours."""
    say = texts.say
    if year.started_on is None:
        lines = [say("year_not_started", locale)]
    elif year.ended_on is not None:
        lines = [say("year_ended", locale, start=year.started_on, end=year.ended_on)]
    else:
        lines = [say("year_from_to", locale, start=year.started_on, end=year.planned_end_on)]
    if not year.path:
        lines.append(say("year_no_milestones", locale))
    for row in year.path:
        lines.append(say("year_milestone", locale, day=row.achieved_on, milestone=milestone_label(texts, row, locale)))
    lines.append(say("year_volunteering", locale, shifts=year.shifts_attended, hours=round(year.minutes / 60, 1)))
    return lines


def weeks_by_coach(starts: dict[int, datetime], now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """Each coach's summary week: its start and the moment it is read "as of"."""
    return {coach: (start, min(now, start + timedelta(weeks=1))) for coach, start in starts.items()}
