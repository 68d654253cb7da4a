"""Her voice at the end of her year (issue 21 §7, lesson 8 of the brief): in the last month of her trajectory
a short feedback conversation (``year_feedback``: what helped most, what was hard, would she recommend it to a
friend, her own words), and three months after the end one question, how she is now (``year_after``: work,
training, volunteering, none). The answers are kept in ``year_answers``, her words encrypted; her answer of
three months after updates her path (work records a paid job, training a training started).

``plan_year_questions`` puts both in the schedule for every woman with an open or recent trajectory (the
ticks call it, like the check-ins' planning); the nudges respect her quiet hours and come once (their key is
unique, and it names her planned end, so a moved start plans anew and the old one does nothing).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import her_steps, milestones
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.port import Engine
from bot.conversation.profile import MAX_NOTE_LENGTH, clean_text
from bot.core.timing import at_local, local, plus_months
from bot.db.engine import Database
from bot.db.models import (
    MilestoneSource,
    Nudge,
    Person,
    PersonStatus,
    Trajectory,
    TrajectoryStatus,
    YearAnswer,
)
from bot.scheduling.planner import NudgeKinds, schedule_nudge

FEEDBACK_FLOW, AFTER_FLOW = "year_feedback", "year_after"
FEEDBACK_BEFORE_END = timedelta(days=30)  # "in the last month of her trajectory"
AFTER_MONTHS = 3
ASK_AT = time(18, 0)  # when she has no check-in time: early evening, her time
STALE_AFTER = timedelta(days=14)
MAX_MOVES = 3  # a week later each time, then asked anyway (the last month has four weeks)
HELPED = frozenset({"her_coach", "buddy", "volunteering", "peers", "language_course"})
HARD = frozenset(
    {"language", "childcare", "time", "transport", "health", "housing", "papers", "money", "confidence", "other"}
)
RECOMMEND = frozenset({"yes", "maybe", "no"})
NOW_DOING = frozenset({"work", "training", "volunteering", "none"})
NOW_MILESTONE = {"work": "paid_job", "training": "training_started"}


def _moments(trajectory: Trajectory, person: Person) -> tuple[datetime, datetime]:
    """When to ask for her feedback, and how she is three months after the end."""
    at = person.checkin_time or ASK_AT
    end = trajectory.ended_on or trajectory.planned_end_on
    feedback_day = max(trajectory.planned_end_on - FEEDBACK_BEFORE_END, trajectory.started_on)
    return at_local(feedback_day, at, person.timezone), at_local(plus_months(end, AFTER_MONTHS), at, person.timezone)


async def plan_year_questions(db: Database, now: datetime) -> int:
    """Schedule the feedback (for an active trajectory) and the question of three months after (for any
    trajectory) of every woman who has not stopped; what is planned already is left alone."""
    planned = 0
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(Trajectory, Person)
                .join(Person, Person.id == Trajectory.participant_id)
                .where(Person.status != PersonStatus.STOPPED)
            )
        ).all()
        keys = set(await session.scalars(select(Nudge.key).where(Nudge.kind.in_((FEEDBACK_FLOW, AFTER_FLOW)))))
        for trajectory, person in rows:
            feedback_at, after_at = _moments(trajectory, person)
            end = (trajectory.ended_on or trajectory.planned_end_on).isoformat()
            wanted = [(AFTER_FLOW, f"{AFTER_FLOW}:{person.id}:{end}", after_at)]
            if trajectory.status is TrajectoryStatus.ACTIVE:
                wanted.append(
                    (FEEDBACK_FLOW, f"{FEEDBACK_FLOW}:{person.id}:{trajectory.planned_end_on.isoformat()}", feedback_at)
                )
            for kind, key, due in wanted:
                if key not in keys:
                    await schedule_nudge(session, person.id, kind, key, max(due, now), now, end=end)
                    planned += 1
    return planned


async def _current(session: AsyncSession, person: Person, nudge: Nudge) -> Trajectory | None:
    """Her trajectory, if the nudge is still about it (its end did not move since it was planned)."""
    trajectory = await milestones.trajectory_of(session, person.id)
    if trajectory is None:
        return None
    end = (trajectory.ended_on or trajectory.planned_end_on).isoformat()
    if nudge.kind == FEEDBACK_FLOW:
        end = trajectory.planned_end_on.isoformat()
    return trajectory if nudge.data.get("end") == end else None


async def _answered(session: AsyncSession, person_id: int, kind: str) -> bool:
    found = await session.scalar(
        select(YearAnswer.id).where(YearAnswer.participant_id == person_id, YearAnswer.kind == kind)
    )
    return found is not None


async def _on_feedback(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    trajectory = await _current(session, person, nudge)
    if trajectory is None or trajectory.status is not TrajectoryStatus.ACTIVE:
        return "no longer useful: her trajectory moved or ended"
    if await _answered(session, person.id, "feedback"):
        return "she answered already"
    if await her_steps.followup_this_week(session, person, now) or await her_steps.month_asked_this_week(
        session, person, now
    ):  # never more than one extra question a week: a week later
        moved = int(nudge.data.get("moves", 0)) + 1
        if moved <= MAX_MOVES:
            key = f"{nudge.key.split(':moved')[0]}:moved{moved}"
            data = {"end": nudge.data.get("end"), "moves": moved}
            await schedule_nudge(session, person.id, FEEDBACK_FLOW, key, now + timedelta(weeks=1), now, **data)
            return "moved a week on: she had another extra question this week"
    return await service.start_scheduled(
        session, person, FEEDBACK_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=now + STALE_AFTER
    )


async def _on_after(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    if await _current(session, person, nudge) is None:
        return "no longer useful: her trajectory moved"
    if await _answered(session, person.id, "after"):
        return "she answered already"
    return await service.start_scheduled(
        session, person, AFTER_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=now + STALE_AFTER
    )


def _codes(value: Any, allowed: frozenset[str]) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if str(v) in allowed]


async def save_feedback(context: ActionContext) -> dict[str, Any]:
    """Her feedback (``var.helped``, ``var.hard``, ``var.recommend``, ``var.words``): once; her words leave
    the conversation state and are kept encrypted."""
    variables = context.state.get("vars", {})
    words = variables.pop("words", None)
    if await _answered(context.session, context.person.id, "feedback"):
        return {}
    row = YearAnswer(
        participant_id=context.person.id,
        kind="feedback",
        helped=_codes(variables.get("helped", []), HELPED),
        hard=_codes(variables.get("hard", []), HARD),
        recommend=str(variables.get("recommend")) if variables.get("recommend") in RECOMMEND else None,
        created_at=context.now,
    )
    if isinstance(words, dict) and words.get("text"):
        cleaned = clean_text(str(words["text"]), MAX_NOTE_LENGTH)
        if cleaned:
            row.words_ciphertext, row.words_kind = context.service.cipher.encrypt(cleaned), "text"
    elif isinstance(words, dict) and words.get("media"):
        row.words_ciphertext = context.service.cipher.encrypt(f"{words['media']}:{words.get('ref', '')}")
        row.words_kind = str(words["media"])[:16]
    context.session.add(row)
    return {}


async def save_after(context: ActionContext) -> dict[str, Any]:
    """How she is now (``var.now``): kept once; work and training are recorded on her path too."""
    now_doing = str(context.state.get("vars", {}).get("now", ""))
    if now_doing not in NOW_DOING or await _answered(context.session, context.person.id, "after"):
        return {}
    context.session.add(
        YearAnswer(participant_id=context.person.id, kind="after", now_doing=now_doing, created_at=context.now)
    )
    code = NOW_MILESTONE.get(now_doing)
    if code is not None:
        today: date = local(context.now, context.person.timezone).date()
        await milestones.record(
            context.session, None, context.person, milestones.Step(code, today), MilestoneSource.HER, context.now
        )
    return {}


def register(actions: ActionRegistry, nudges: NudgeKinds) -> None:
    """The flow actions and nudge kinds of her feedback on her year."""
    actions.add("year.save_feedback", save_feedback)
    actions.add("year.save_after", save_after)
    nudges.add(FEEDBACK_FLOW, _on_feedback)
    nudges.add(AFTER_FLOW, _on_after)
