"""The outcomes of the programme report (issue 21, decision 0033): where the women are 6 and 12 months after
the start of their trajectory (volunteer work, a course or training, a paid job, an own activity), their
median volunteer hours, the steps from volunteering to training to paid work, and why women left early; in
total and per organisation, with the report's small-cell suppression.

Four grouped queries over the women the report counts (trajectories, volunteering milestones, the other
milestones' days, attended shifts); the rest is counted here. Days are days: a milestone counts "by" a mark
when it is dated on or before the mark's day, a shift when it starts before the day after (UTC)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.milestones import LEFT_REASONS
from bot.coaching.report_cells import N_, Cell, OutcomeGroup, Scope, Table, suppress
from bot.core.timing import plus_months
from bot.db.models import Milestone, Person, ShiftStatus, Trajectory, TrajectoryStatus, VolunteerShift

MARKS = (6, 12)
VOLUNTEERING = ("first_shift", "volunteer_hours")
TRAINING = (
    "language_course_started",
    "language_course_finished",
    "training_started",
    "training_finished",
    "further_study",
)
PAID_JOB = "paid_job"
OWN_ACTIVITY = "own_activity"
OUTCOME_LABELS = ("volunteered", "in_training", "paid_job", "own_activity")
TRANSITIONS = (
    "volunteering_then_training",
    "training_then_paid_job",
    "volunteering_training_paid_job",
    "volunteering_straight_to_paid_job",
)


TITLES = {
    "section": N_("Outcomes"),
    "all": N_("All organisations"),
    6: N_("Outcomes 6 months after the start (of the women who started 6 or more months ago)"),
    12: N_("Outcomes 12 months after the start (of the women who started 12 or more months ago)"),
    "volunteer_hours": N_("Volunteer hours (of the women who did volunteer work)"),
    "transitions": N_("From volunteering to training and paid work (women, by the end of the period)"),
    "left_early": N_("Reasons for leaving early"),
}


@dataclass
class Path:
    """One woman's path as the report needs it: her start, organisation, how her trajectory ended, and the
    days of her steps (up to the report's end)."""

    organisation_id: int
    started_on: date
    left_reason: str | None  # "unknown" when she left without a reason; None when she did not leave
    volunteered: list[date] = field(default_factory=list)  # first attended shift, first volunteering milestone
    minutes: int = 0
    training: list[date] = field(default_factory=list)
    paid: list[date] = field(default_factory=list)
    own: list[date] = field(default_factory=list)
    # What she reached, worked out once (the total and her organisation's group both count her).
    _seen: dict[Any, dict[str, bool]] = field(default_factory=dict, repr=False)

    def first_volunteering(self) -> date | None:
        return min(self.volunteered, default=None)

    def by(self, mark: date) -> dict[str, bool]:
        if mark not in self._seen:
            self._seen[mark] = self._by(mark)
        return self._seen[mark]

    def _by(self, mark: date) -> dict[str, bool]:
        return {
            "volunteered": any(d <= mark for d in self.volunteered),
            "in_training": any(d <= mark for d in self.training),
            "paid_job": any(d <= mark for d in self.paid),
            "own_activity": any(d <= mark for d in self.own),
        }

    def transitions(self) -> dict[str, bool]:
        if "transitions" not in self._seen:
            self._seen["transitions"] = self._transitions()
        return self._seen["transitions"]

    def _transitions(self) -> dict[str, bool]:
        v = self.first_volunteering()
        after_v = [t for t in self.training if v is not None and t > v]
        first_training = min(self.training, default=None)
        paid_after_v = [p for p in self.paid if v is not None and p > v]
        straight = bool(paid_after_v) and not any(t <= min(paid_after_v) for t in self.training)
        return {
            "volunteering_then_training": bool(after_v),
            "training_then_paid_job": first_training is not None and any(p > first_training for p in self.paid),
            "volunteering_training_paid_job": bool(after_v) and any(p > min(after_v) for p in self.paid),
            "volunteering_straight_to_paid_job": straight,
        }


async def outcome_groups(
    session: AsyncSession, scope: Scope, to_day: date, names: dict[int, str]
) -> list[OutcomeGroup]:
    """In total, then per organisation by name (when the report is of more than one): the outcome tables."""
    women = await paths(session, scope, to_day)
    label = names.get(scope.organisation_id) if scope.organisation_id is not None else None
    groups = [OutcomeGroup(label, [suppress(t) for t in outcome_tables(women, to_day)])]
    organisations = sorted({w.organisation_id for w in women}, key=lambda org: names.get(org, "?"))
    if scope.organisation_id is None and len(organisations) > 1:
        for org in organisations:
            mine = [w for w in women if w.organisation_id == org]
            groups.append(OutcomeGroup(names.get(org, "?"), [suppress(t) for t in outcome_tables(mine, to_day)]))
    return groups


async def paths(session: AsyncSession, scope: Scope, to_day: date) -> list[Path]:
    """The paths of the women counted (``scope`` is the report's) whose trajectory started by ``to_day``."""
    end = datetime.combine(to_day + timedelta(days=1), time(), UTC)
    rows = await session.execute(
        scope.participants_only(
            select(
                Trajectory.participant_id,
                Person.organisation_id,
                Trajectory.started_on,
                Trajectory.status,
                Trajectory.left_reason,
                Trajectory.ended_on,
            ).where(Trajectory.started_on <= to_day),
            Trajectory.participant_id,
        )
    )
    found: dict[int, Path] = {}
    for pid, org, started_on, status, reason, ended_on in rows.all():
        left = status == TrajectoryStatus.LEFT and ended_on is not None and ended_on <= to_day
        found[pid] = Path(org, started_on, (reason or "unknown") if left else None)
    volunteering = await session.execute(
        scope.participants_only(
            select(
                Milestone.participant_id,
                func.min(Milestone.achieved_on),
                func.coalesce(func.sum(Milestone.minutes), 0),
            )
            .where(Milestone.code.in_(VOLUNTEERING), Milestone.achieved_on <= to_day)
            .group_by(Milestone.participant_id),
            Milestone.participant_id,
        )
    )
    for pid, first, minutes in volunteering.all():
        if (path := found.get(pid)) is not None:
            path.volunteered.append(first)
            path.minutes += int(minutes or 0)
    steps = await session.execute(
        scope.participants_only(
            select(Milestone.participant_id, Milestone.code, Milestone.achieved_on)
            .where(Milestone.code.in_((*TRAINING, PAID_JOB, OWN_ACTIVITY)), Milestone.achieved_on <= to_day)
            .distinct(),
            Milestone.participant_id,
        )
    )
    for pid, code, on in steps.all():
        if (path := found.get(pid)) is not None:
            (path.paid if code == PAID_JOB else path.own if code == OWN_ACTIVITY else path.training).append(on)
    dialect = (await session.connection()).dialect.name
    if dialect == "sqlite":  # whole minutes per shift, as milestones.volunteer_minutes counts them
        length = cast(func.round((func.julianday(VolunteerShift.ends_at) - func.julianday(VolunteerShift.starts_at))
                                 * 86400), Integer) / 60  # fmt: skip
    else:
        length = func.floor(func.extract("epoch", VolunteerShift.ends_at - VolunteerShift.starts_at) / 60)
    shifts = await session.execute(
        scope.participants_only(
            select(VolunteerShift.participant_id, func.min(VolunteerShift.starts_at), func.sum(length))
            .where(VolunteerShift.status == ShiftStatus.ATTENDED, VolunteerShift.starts_at < end)
            .group_by(VolunteerShift.participant_id),
            VolunteerShift.participant_id,
        )
    )
    for pid, first, minutes in shifts.all():
        if (path := found.get(pid)) is not None:
            path.volunteered.append(first.date())
            path.minutes += int(minutes or 0)
    return list(found.values())


def outcome_tables(women: list[Path], to_day: date) -> list[Table]:
    """The outcome tables of these women, not yet suppressed."""
    tables = []
    for months in MARKS:
        counted = [w for w in women if plus_months(w.started_on, months) <= to_day]
        reached = [w.by(plus_months(w.started_on, months)) for w in counted]
        tables.append(
            Table(
                f"outcomes_{months}",
                TITLES[months],
                [Cell(label, sum(1 for r in reached if r[label])) for label in OUTCOME_LABELS],
                base=len(counted),
            )
        )
    hours = [w.minutes for w in women if w.minutes > 0]
    median = int(statistics.median(hours) / 60 + 0.5) if hours else 0
    tables.append(
        Table(
            "volunteer_hours",
            TITLES["volunteer_hours"],
            [Cell("median_hours", median, measure=True)],
            base=len(hours),
            unit=N_("Number"),
        )
    )
    steps = [w.transitions() for w in women]
    tables.append(
        Table(
            "transitions",
            TITLES["transitions"],
            [Cell(label, sum(1 for s in steps if s[label])) for label in TRANSITIONS],
            base=len(women),
        )
    )
    reasons: dict[str, int] = defaultdict(int)
    for w in women:
        if w.left_reason is not None:
            reasons[w.left_reason] += 1
    tables.append(
        Table(
            "left_early",
            TITLES["left_early"],
            [Cell(code, reasons[code]) for code in (*LEFT_REASONS, "unknown")],
            total=sum(reasons.values()),
        )
    )
    return tables
