"""Her year (issue 21): a trajectory per participant and the milestones on her path from volunteering to
training and paid work (lesson 7 of the brief: volunteer work is an instrument, not an end point).

- A trajectory starts at onboarding, at an import (``started``, for a woman who began months ago) or on the
  day her coach sets; it is planned to end ``Organisation.trajectory_months`` later (12 by default). It ends
  ``completed`` or ``left`` early with one of ``LEFT_REASONS``.
- A milestone is one of ``MILESTONES`` on a day, recorded by her, her coach, an import or the bot itself (her
  first attended shift). Only ``volunteer_hours`` has hours; only a language course has a level; only a paid
  job has a contract kind. Her or her coach's short note is encrypted like every note.
- ``milestone_code`` reads what a person writes: the code, the code with spaces ("paid job") or its label
  in Dutch, French or English, in any case. The chat's labels, in every language, are in
  ``conversations/_choices.yaml`` with the same codes.

Nothing here reads settings, the environment or a file: the cipher, the clock's ``now`` and the day come in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.actions import ActionContext, ActionRegistry
from bot.core import csv_rows
from bot.core.crypto import Cipher
from bot.core.timing import local, plus_months
from bot.db.models import (
    Milestone,
    MilestoneSource,
    Organisation,
    Person,
    Role,
    ShiftStatus,
    Trajectory,
    TrajectoryStatus,
    VolunteerShift,
)
from bot.people.caseload import coach_of
from bot.people.directory import DomainError


@dataclass(frozen=True)
class Kind:
    """One milestone: its emoji and its labels in the staff's languages (the import's vocabulary)."""

    emoji: str
    en: str
    nl: str
    fr: str


# In the order of the path; the emoji are the chat's (conversations/_choices.yaml, ``milestone``).
MILESTONES: dict[str, Kind] = {
    "first_shift": Kind("🌱", "First volunteer shift", "Eerste vrijwilligersshift", "Première prestation"),
    "volunteer_hours": Kind("⏱️", "Volunteer hours", "Vrijwilligersuren", "Heures de volontariat"),
    "language_course_started": Kind("📚", "Language course started", "Taalcursus begonnen", "Cours de langue commencé"),
    "language_course_finished": Kind("🎓", "Language course finished", "Taalcursus afgerond", "Cours de langue fini"),
    "training_started": Kind("🛠️", "Training started", "Opleiding begonnen", "Formation commencée"),
    "training_finished": Kind("📜", "Training finished", "Opleiding afgerond", "Formation terminée"),
    "cv_ready": Kind("📄", "CV ready", "Cv klaar", "CV prêt"),
    "job_application": Kind("✉️", "Job application", "Sollicitatie", "Candidature"),
    "job_interview": Kind("🤝", "Job interview", "Sollicitatiegesprek", "Entretien d'embauche"),
    "paid_job": Kind("💼", "Paid job", "Betaald werk", "Emploi rémunéré"),
    "own_activity": Kind("🌟", "Own activity", "Eigen activiteit", "Activité indépendante"),
    "further_study": Kind("🎒", "Further study", "Verder studeren", "Reprise d'études"),
    "other": Kind("✨", "Other step", "Andere stap", "Autre étape"),
}  # fmt: skip
CONTRACTS: dict[str, tuple[str, ...]] = {
    "part_time": ("part-time", "deeltijds", "temps partiel"),
    "full_time": ("full-time", "voltijds", "temps plein"),
    "temporary": ("temporary", "tijdelijk", "interim", "intérim", "temporaire"),
    "social_economy": ("article 60", "artikel 60", "social economy", "sociale economie", "économie sociale"),
}
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
LEFT_REASONS: dict[str, tuple[str, ...]] = {
    "found_work": ("found work", "werk gevonden", "a trouvé du travail"),
    "moved": ("moved", "verhuisd", "déménagé"),
    "health": ("health", "gezondheid", "santé"),
    "childcare": ("childcare", "kinderopvang", "garde d'enfants"),
    "no_contact": ("no contact", "geen contact", "pas de contact"),
    "other": ("other", "andere", "autre"),
}
WITH_LEVEL = frozenset({"language_course_started", "language_course_finished"})
MAX_MINUTES = 1000 * 60  # hours reported at once
NOTE_LENGTH = 300
EARLIEST = date(2000, 1, 1)


def _one_of(value: str, known: dict[str, tuple[str, ...]], what: str) -> str:
    return csv_rows.one_of(value, known, what)


def milestone_code(value: str) -> str:
    """The code of a milestone written as its code, the code with spaces or its nl, fr or en label."""
    labels: dict[str, tuple[str, ...]] = {code: (kind.en, kind.nl, kind.fr) for code, kind in MILESTONES.items()}
    return _one_of(value, labels, "a milestone")


def contract_code(value: str) -> str:
    return _one_of(value, CONTRACTS, "a contract kind")


def left_reason_code(value: str) -> str:
    return _one_of(value, LEFT_REASONS, "a reason for leaving")


def level_code(value: str) -> str:
    clean = value.strip().upper()
    if clean not in LEVELS:
        raise ValueError(f"{value[:40]!r} is not a level ({', '.join(LEVELS)})")
    return clean


MILESTONES_ALLOWED = ", ".join(MILESTONES)
CONTRACTS_ALLOWED = ", ".join(CONTRACTS)
LEFT_REASONS_ALLOWED = ", ".join(LEFT_REASONS)


# -- her trajectory ---


async def trajectory_of(session: AsyncSession, participant_id: int) -> Trajectory | None:
    found: Trajectory | None = await session.scalar(
        select(Trajectory).where(Trajectory.participant_id == participant_id)
    )
    return found


async def start_trajectory(
    session: AsyncSession, participant: Person, started_on: date, now: datetime, coach_id: int | None = None
) -> Trajectory:
    """Her trajectory from ``started_on`` (kept when she has one already: the first start counts), planned
    to last her organisation's ``trajectory_months``; her coach by default."""
    if participant.role is not Role.PARTICIPANT:
        raise DomainError(f"person {participant.id} is not a participant")
    existing = await trajectory_of(session, participant.id)
    if existing is not None:
        return existing
    if coach_id is None:
        coach = await coach_of(session, participant.id)
        coach_id = coach.id if coach is not None else None
    months = await session.scalar(
        select(Organisation.trajectory_months).where(Organisation.id == participant.organisation_id)
    )
    row = Trajectory(
        participant_id=participant.id,
        coach_id=coach_id,
        started_on=started_on,
        planned_end_on=plus_months(started_on, months or 12),
        status=TrajectoryStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def set_start(session: AsyncSession, participant: Person, started_on: date, now: datetime) -> Trajectory:
    """Her coach sets the day she began (she began before she was on the bot): the planned end moves with it."""
    trajectory = await start_trajectory(session, participant, started_on, now)
    months = await session.scalar(
        select(Organisation.trajectory_months).where(Organisation.id == participant.organisation_id)
    )
    trajectory.started_on = started_on
    trajectory.planned_end_on = plus_months(started_on, months or 12)
    trajectory.updated_at = now
    return trajectory


async def end_trajectory(
    session: AsyncSession, participant: Person, ended_on: date, now: datetime, left_reason: str | None = None
) -> Trajectory:
    """Her trajectory ends: ``completed``, or ``left`` early with a reason (a code of ``LEFT_REASONS``)."""
    trajectory = await trajectory_of(session, participant.id)
    if trajectory is None:
        raise DomainError(f"participant {participant.id} has no trajectory")
    if left_reason is not None and left_reason not in LEFT_REASONS:
        raise DomainError(f"the reason must be one of {LEFT_REASONS_ALLOWED}")
    if ended_on < trajectory.started_on:
        raise DomainError("the end is before the start")
    trajectory.status = TrajectoryStatus.LEFT if left_reason is not None else TrajectoryStatus.COMPLETED
    trajectory.left_reason = left_reason
    trajectory.ended_on = ended_on
    trajectory.updated_at = now
    return trajectory


# -- the milestones ---


@dataclass(frozen=True)
class Step:
    """A milestone to record: what, on which day, and its details."""

    code: str
    on: date
    hours: float | None = None
    level: str | None = None
    contract: str | None = None
    note: str | None = None


def check(step: Step, today: date) -> None:
    """A ``DomainError`` naming what is wrong with a milestone to record (its field, in the words of a file)."""
    if step.code not in MILESTONES:
        raise DomainError(f"milestone: {step.code[:40]!r} is not one of {MILESTONES_ALLOWED}")
    if step.on > today + timedelta(days=1):
        raise DomainError("date: in the future")
    if step.on < EARLIEST:
        raise DomainError("date: before 2000")
    if step.hours is not None and step.code != "volunteer_hours":
        raise DomainError("hours: only for volunteer_hours")
    if step.code == "volunteer_hours" and (step.hours is None or not 0 < step.hours * 60 <= MAX_MINUTES):
        raise DomainError("hours: volunteer_hours needs a number of hours above 0 and at most 1000")
    if step.level is not None and step.code not in WITH_LEVEL:
        raise DomainError("level: only for a language course")
    if step.level is not None and step.level not in LEVELS:
        raise DomainError(f"level: one of {', '.join(LEVELS)}")
    if step.contract is not None and step.code != "paid_job":
        raise DomainError("contract: only for paid_job")
    if step.contract is not None and step.contract not in CONTRACTS:
        raise DomainError(f"contract: one of {CONTRACTS_ALLOWED}")
    if step.note is not None and len(step.note) > NOTE_LENGTH:
        raise DomainError(f"note: longer than {NOTE_LENGTH} characters")


async def record(
    session: AsyncSession,
    cipher: Cipher | None,
    participant: Person,
    step: Step,
    source: MilestoneSource,
    now: datetime,
    recorded_by_id: int | None = None,
) -> Milestone:
    """Record one milestone (her trajectory starts on that day when she had none). A note needs the cipher."""
    check(step, local(now, participant.timezone).date())
    note = " ".join((step.note or "").split()) or None
    if note is not None and cipher is None:
        raise DomainError("a note needs the encryption key (TRAMPOLINE_ENCRYPTION_KEYS)")
    await start_trajectory(session, participant, min(step.on, local(now, participant.timezone).date()), now)
    row = Milestone(
        participant_id=participant.id,
        code=step.code,
        achieved_on=step.on,
        minutes=round(step.hours * 60) if step.hours is not None else None,
        level=step.level,
        contract=step.contract,
        source=source,
        recorded_by_id=recorded_by_id,
        note_ciphertext=cipher.encrypt(note) if note is not None and cipher is not None else None,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def path(session: AsyncSession, participant_id: int) -> list[Milestone]:
    """Her milestones, in the order they happened."""
    rows = await session.scalars(
        select(Milestone)
        .where(Milestone.participant_id == participant_id)
        .order_by(Milestone.achieved_on, Milestone.id)
    )
    return list(rows)


async def has(session: AsyncSession, participant_id: int, code: str) -> bool:
    found = await session.scalar(
        select(Milestone.id).where(Milestone.participant_id == participant_id, Milestone.code == code).limit(1)
    )
    return found is not None


async def volunteer_minutes(session: AsyncSession, participant_id: int, until: datetime | None = None) -> int:
    """Her volunteer time: the shifts she attended plus the hours she or her coach reported."""
    shifts = await session.execute(
        select(VolunteerShift.starts_at, VolunteerShift.ends_at).where(
            VolunteerShift.participant_id == participant_id,
            VolunteerShift.status == ShiftStatus.ATTENDED,
            *([VolunteerShift.starts_at <= until] if until is not None else []),
        )
    )
    attended = sum(int((end - start).total_seconds() // 60) for start, end in shifts.all())
    reported = await session.scalar(
        select(func.coalesce(func.sum(Milestone.minutes), 0)).where(
            Milestone.participant_id == participant_id,
            Milestone.code == "volunteer_hours",
            *([Milestone.achieved_on <= until.date()] if until is not None else []),
        )
    )
    return attended + int(reported or 0)


async def shift_attended(session: AsyncSession, participant: Person, shift: VolunteerShift, now: datetime) -> bool:
    """Her attended shift: her first one becomes the ``first_shift`` milestone (recorded by the bot). True when
    it was her first."""
    if await has(session, participant.id, "first_shift"):
        return False
    await record(
        session, None, participant, Step("first_shift", local(shift.starts_at, participant.timezone).date()),
        MilestoneSource.BOT, now,
    )  # fmt: skip
    return True


# -- flow actions ---


async def trajectory_start(context: ActionContext) -> dict[str, Any]:
    """At the end of her onboarding: her year starts today (kept if an import or her coach set it before)."""
    if context.person.role is Role.PARTICIPANT:
        await start_trajectory(
            context.session, context.person, local(context.now, context.person.timezone).date(), context.now
        )
    return {}


def register(actions: ActionRegistry) -> None:
    """The flow actions of her year."""
    actions.add("trajectory.start", trajectory_start)
