"""The weekly summary a coach reads on Friday afternoon: who needs her first, then how everyone is doing,
then the caseload's totals, with a chart of the last eight weeks.

``collect`` gathers the figures for many coaches with a handful of queries (every one joined through the
coach's caseload, so a coach only ever sees her own women); ``bot/coaching/summary_text.py`` writes one
coach's summary in her language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.coaching.path import PathWeek, collect_path, weeks_by_coach
from bot.core.timing import iso_week, week_label
from bot.db.models import (
    Alert,
    BuddyMatch,
    ChannelIdentity,
    CheckIn,
    MatchStatus,
    Person,
    PersonStatus,
    Role,
)
from bot.people.caseload import caseloads

CHART_WEEKS = 8
SILENT_DAYS = 14
LOW_MOOD = 2
VERY_LOW_MOOD = 1  # one week of this is enough to tell her coach
BUDDY_STUCK_AFTER = timedelta(days=7)
NO_STEP = "none"
NO_OBSTACLE = "none"
MOOD_EMOJI = {1: "😢", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
# The order in which the attention list is read: someone who asked for her first, silence and low mood after.
ATTENTION_ORDER = (
    "contact_request",
    "stuck",
    "need_help",
    "cant_come",
    "very_low_mood",
    "silent",
    "low_mood",
    "no_path",  # no step and no shift for 8 weeks (decision 0036)
    "buddy_stuck",
)
ALERT_KINDS = frozenset({"contact_request", "stuck", "need_help", "cant_come"})
STEP_DIMENSIONS = ("coaching", "volunteer", "job", "buddy", "other")
CHUNK = 1000


def week_monday(label: str) -> date:
    """``2026-W48`` -> the Monday of that ISO week. Raises ``ValueError`` for anything else."""
    year, _, week = label.partition("-W")
    if not (year.isdigit() and week.isdigit() and len(year) == 4 and len(week) == 2):
        raise ValueError(f"a week is written like 2026-W48, not {label!r}")
    try:
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise ValueError(f"{label} is not a week of {year}") from None


def previous_weeks(label: str, count: int) -> list[str]:
    """``count`` ISO week labels ending with ``label``, oldest first."""
    monday = week_monday(label)
    return [week_label(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


@dataclass
class ParticipantWeek:
    id: int
    name: str | None  # None: invited without a name (summary_text names her by her invite)
    status: PersonStatus
    joined_at: datetime
    last_contact: datetime | None = None
    # Her two latest completed check-ins within the last eight weeks, newest first: (week, mood).
    checkins: list[tuple[str, int | None]] = field(default_factory=list)
    # The summary's own week in full, over every check-in she made that week: (steps, obstacles, the kind of
    # each note in order). She may check in more than once a week; nothing is dropped (decision 0015).
    current: tuple[list[str], list[str], list[str]] | None = None
    alerts: set[str] = field(default_factory=set)
    buddy_stuck: bool = False
    # The milestones new in the summary's week and whether her path has been quiet for 8 weeks (decision 0036).
    path: PathWeek = field(default_factory=PathWeek)

    def this_week(self, week: str) -> tuple[int | None, list[str], list[str], list[str]] | None:
        if self.current is None or not self.checkins or self.checkins[0][0] != week:
            return None
        return (self.checkins[0][1], *self.current)


@dataclass
class CoachSummary:
    coach_id: int
    coach_name: str
    locale: str
    timezone: str
    week: str
    as_of: datetime
    weeks: list[str]
    participants: list[ParticipantWeek]
    # Per week of the chart: (check-ins done, steps taken), counted in the database.
    weekly: dict[str, tuple[int, int]] = field(default_factory=dict)

    def attention(self) -> list[tuple[str, ParticipantWeek, dict[str, Any]]]:
        """What needs her, in reading order: one line per reason, women by name within a reason."""
        found: dict[str, list[tuple[ParticipantWeek, dict[str, Any]]]] = defaultdict(list)
        for p in sorted(self.participants, key=lambda p: ((p.name or "").casefold(), p.id)):
            for kind in ALERT_KINDS & p.alerts:
                found[kind].append((p, {}))
            if p.status is PersonStatus.ACTIVE:
                silent = (self.as_of - p.last_contact).days if p.last_contact is not None else None
                if silent is not None and silent >= SILENT_DAYS:
                    found["silent"].append((p, {"days": silent}))
            current = p.this_week(self.week)
            moods = [c[1] for c in p.checkins[:2]]
            if current is not None and current[0] is not None and current[0] <= VERY_LOW_MOOD:
                found["very_low_mood"].append((p, {}))  # one line for her: the more urgent reason
            elif len(moods) == 2 and all(m is not None and m <= LOW_MOOD for m in moods):
                found["low_mood"].append((p, {}))
            if p.path.quiet and p.status is PersonStatus.ACTIVE:
                found["no_path"].append((p, {}))
            if p.buddy_stuck:
                found["buddy_stuck"].append((p, {}))
        return [(kind, p, extra) for kind in ATTENTION_ORDER for p, extra in found[kind]]

    def chart_series(self) -> tuple[list[float], list[int]]:
        response: list[float] = []
        steps: list[int] = []
        for label in self.weeks:
            week_end = datetime.combine(week_monday(label) + timedelta(weeks=1), time(), ZoneInfo(self.timezone))
            present = [p for p in self.participants if p.joined_at < week_end]
            done, taken = self.weekly.get(label, (0, 0))
            response.append(min(1.0, done / len(present)) if present else 0.0)
            steps.append(taken)
        return response, steps

    def days(self) -> tuple[date, date]:
        """The Monday and the Sunday of the summary's week."""
        monday = week_monday(self.week)
        return monday, monday + timedelta(days=6)


async def collect(
    session: AsyncSession, coach_ids: Sequence[int], now: datetime, week: str | None = None
) -> list[CoachSummary]:
    """The summaries of ``coach_ids`` for ``week`` (default: this week in each coach's time zone), as they
    stand at ``now`` (or at the end of a past week)."""
    summaries: list[CoachSummary] = []
    for start in range(0, len(coach_ids), CHUNK):
        summaries += await _collect_chunk(session, list(coach_ids[start : start + CHUNK]), now, week)
    return summaries


People = dict[tuple[int, int], ParticipantWeek]  # (coach, participant) -> her week


async def _collect_chunk(
    session: AsyncSession, coach_ids: list[int], now: datetime, week: str | None
) -> list[CoachSummary]:
    coaches = list(
        await session.execute(
            select(Person.id, Person.display_name, Person.locale, Person.timezone).where(
                Person.id.in_(coach_ids), Person.role == Role.COACH
            )
        )
    )
    if not coaches:
        return []
    weeks_of: dict[int, str] = {c.id: week or iso_week(now, c.timezone) for c in coaches}
    all_weeks = sorted({w for label in set(weeks_of.values()) for w in previous_weeks(label, CHART_WEEKS)})
    starts = {c.id: _week_start(weeks_of[c.id], c.timezone) for c in coaches}
    # Her caseload: every later query joins through it, so nobody else's women can appear.
    caseload = caseloads([c.id for c in coaches])
    people = await _caseload_people(session, caseload)
    connection = await session.connection()
    weekly = await _weekly_totals(connection, caseload, all_weeks)
    await _add_recent_moods(connection, caseload, people, all_weeks, max(weeks_of.values()))
    await _add_this_week(connection, caseload, people, weeks_of)
    await _add_alerts(session, caseload, people, starts, now)
    await _add_stuck_buddies(session, caseload, people, now)
    for pair, path in (await collect_path(connection, caseload, list(people), weeks_by_coach(starts, now))).items():
        people[pair].path = path

    by_coach: dict[int, list[ParticipantWeek]] = defaultdict(list)
    for (coach_id, _), entry in people.items():
        by_coach[coach_id].append(entry)
    summaries = []
    for coach in coaches:
        label = weeks_of[coach.id]
        weeks = previous_weeks(label, CHART_WEEKS)
        as_of = min(now, starts[coach.id] + timedelta(weeks=1))
        mine = by_coach.get(coach.id, [])
        for p in mine:
            p.checkins = sorted((c for c in p.checkins if c[0] <= label), key=lambda c: c[0], reverse=True)
        summaries.append(
            CoachSummary(
                coach.id, coach.display_name or "", coach.locale, coach.timezone, label, as_of, weeks, mine,
                weekly.get(coach.id, {}),
            )
        )  # fmt: skip
    return summaries


async def _caseload_people(session: AsyncSession, caseload: Any) -> People:
    """Every woman of the caseloads, with when she last wrote."""
    people: People = {}
    rows = await session.execute(
        select(caseload.c.coach_id, Person.id, Person.display_name, Person.status, Person.created_at)
        .join(Person, Person.id == caseload.c.participant_id)
        .where(Person.role == Role.PARTICIPANT)
    )
    for coach_id, pid, name, status, created in rows:
        entry = ParticipantWeek(pid, name or None, status, created)
        people[(coach_id, pid)] = entry
    contacts = await session.execute(
        select(caseload.c.coach_id, ChannelIdentity.person_id, func.max(ChannelIdentity.last_inbound_at))
        .join(caseload, caseload.c.participant_id == ChannelIdentity.person_id)
        .group_by(caseload.c.coach_id, ChannelIdentity.person_id)
    )
    for coach_id, pid, last in contacts:
        if (coach_id, pid) in people:
            people[(coach_id, pid)].last_contact = last
    return people


async def _weekly_totals(
    connection: AsyncConnection, caseload: Any, all_weeks: list[str]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per coach and week of the chart: (check-ins done, steps taken), counted in the database."""
    step_count = func.coalesce(func.json_array_length(CheckIn.steps), 0) - case(
        (cast(CheckIn.steps, Text).like(f'%"{NO_STEP}"%'), 1), else_=0
    )
    weekly: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    totals = await connection.execute(
        select(caseload.c.coach_id, CheckIn.week, func.count(CheckIn.person_id.distinct()), func.sum(step_count))
        .join(caseload, caseload.c.participant_id == CheckIn.person_id)
        .where(CheckIn.week.in_(all_weeks), CheckIn.completed_at.is_not(None))
        .group_by(caseload.c.coach_id, CheckIn.week)
    )
    for coach_id, label, done_count, steps_taken in totals:
        weekly[coach_id][label] = (int(done_count), int(steps_taken or 0))
    return weekly


async def _add_recent_moods(
    connection: AsyncConnection, caseload: Any, people: People, all_weeks: list[str], last_week: str
) -> None:
    """Each week's LATEST mood (she may check in more than once a week), then her two newest weeks."""
    latest = (
        select(
            caseload.c.coach_id,
            CheckIn.person_id,
            CheckIn.week,
            CheckIn.mood,
            func.row_number()
            .over(
                partition_by=(caseload.c.coach_id, CheckIn.person_id, CheckIn.week),
                order_by=(CheckIn.completed_at.desc(), CheckIn.id.desc()),
            )
            .label("newest"),
        )
        .join(caseload, caseload.c.participant_id == CheckIn.person_id)
        .where(CheckIn.week.in_(all_weeks), CheckIn.week <= last_week, CheckIn.completed_at.is_not(None))
        .subquery()
    )
    weekly_moods = (
        select(
            latest.c.coach_id,
            latest.c.person_id,
            latest.c.week,
            latest.c.mood,
            func.row_number()
            .over(partition_by=(latest.c.coach_id, latest.c.person_id), order_by=latest.c.week.desc())
            .label("recent"),
        )
        .where(latest.c.newest == 1)
        .subquery()
    )
    moods = await connection.execute(
        select(weekly_moods.c.coach_id, weekly_moods.c.person_id, weekly_moods.c.week, weekly_moods.c.mood).where(
            weekly_moods.c.recent <= 2
        )
    )
    for coach_id, pid, label, mood in moods:
        seen = people.get((coach_id, pid))
        if seen is not None:
            seen.checkins.append((label, mood))


async def _add_this_week(connection: AsyncConnection, caseload: Any, people: People, weeks_of: dict[int, str]) -> None:
    """The summary's week in full: every step, obstacle and note kind of all her check-ins that week."""
    # A note she sent at a choice question is a record that holds only the note, never completed: only its
    # note counts (decision 0015).
    note_only = CheckIn.completed_at.is_(None) & CheckIn.note_kind.is_not(None) & CheckIn.mood.is_(None)
    current = await connection.execute(
        select(
            caseload.c.coach_id,
            CheckIn.person_id,
            CheckIn.week,
            CheckIn.steps,
            CheckIn.obstacles,
            CheckIn.note_kind,
            CheckIn.completed_at,
        )
        .join(caseload, caseload.c.participant_id == CheckIn.person_id)
        .where(CheckIn.week.in_(set(weeks_of.values())), CheckIn.completed_at.is_not(None) | note_only)
        .order_by(func.coalesce(CheckIn.completed_at, CheckIn.started_at), CheckIn.id)
    )
    for coach_id, pid, label, steps, obstacles, note_kind, completed in current:
        done = people.get((coach_id, pid))
        if done is not None and weeks_of[coach_id] == label:
            if completed is None:
                steps = obstacles = []
            so_far = done.current or ([], [], [])
            merged_steps = so_far[0] + [s for s in steps or [] if s not in so_far[0]]
            merged_obstacles = so_far[1] + [o for o in obstacles or [] if o not in so_far[1]]
            kinds = so_far[2] + ([note_kind] if note_kind is not None else [])
            done.current = (merged_steps, merged_obstacles, kinds)


async def _add_alerts(
    session: AsyncSession, caseload: Any, people: People, starts: dict[int, datetime], now: datetime
) -> None:
    """The alerts about her to her coach within the summary's week."""
    alerts = await session.execute(
        select(caseload.c.coach_id, Alert.participant_id, Alert.kind, Alert.created_at)
        .join(
            caseload,
            (caseload.c.participant_id == Alert.participant_id) & (caseload.c.coach_id == Alert.coach_id),
        )
        .where(Alert.created_at >= min(starts.values()), Alert.created_at <= now)
    )
    for coach_id, pid, kind, created in alerts:
        alerted = people.get((coach_id, pid))
        if alerted is not None and starts[coach_id] <= created < starts[coach_id] + timedelta(weeks=1):
            alerted.alerts.add(kind)


async def _add_stuck_buddies(session: AsyncSession, caseload: Any, people: People, now: datetime) -> None:
    """A buddy match proposed to her a week ago or more that nobody answered yet."""
    stuck = await session.execute(
        select(caseload.c.coach_id, BuddyMatch.participant_id)
        .join(caseload, caseload.c.participant_id == BuddyMatch.participant_id)
        .where(
            BuddyMatch.status == MatchStatus.PROPOSED,
            BuddyMatch.proposed_at <= now - BUDDY_STUCK_AFTER,
        )
    )
    for coach_id, pid in stuck:
        if (coach_id, pid) in people:
            people[(coach_id, pid)].buddy_stuck = True


def _week_start(label: str, timezone: str) -> datetime:
    return datetime.combine(week_monday(label), time(), ZoneInfo(timezone))
