"""Planning and starting nudges.

``plan_checkins`` puts each participant's next check-in nudge in the schedule, on her chosen day and time
in her time zone (this week's, or next week's once this week's has passed). Keys are unique per person and
ISO week, so planning again plans nothing twice; on PostgreSQL it is one set-based statement (see
docs/benchmarks.md for 100,000 participants), on SQLite a chunked loop (SQLite has no time zones).

``run_due`` starts what has come due: the check-in flow, then one reminder if it is still unanswered after a
set number of hours, then nothing more that week. A nudge that cannot or should not go is marked skipped
with the reason. A tick that was missed while the service was down simply finds more due rows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.port import Engine
from bot.conversation.service import ConversationService
from bot.core.timing import at_local, iso_week, week_start
from bot.db.engine import Database
from bot.db.models import CheckIn, Nudge, NudgeStatus, Person, PersonStatus, Role

log = logging.getLogger(__name__)

DEFAULT_CHECKIN_WEEKDAY = 0  # Monday, for participants who have not chosen
DEFAULT_CHECKIN_TIME = time(10, 0)
LATE_PLANNING_GRACE = timedelta(hours=12)  # a moment further in the past than this is not planned any more
PLAN_CHUNK = 5_000

# Each participant's next check-in moment: this week's, or next week's once this week's is more than the grace
# period ago. Planning every few minutes therefore keeps exactly one upcoming check-in per participant.
_PLAN_POSTGRES = text(
    """
    INSERT INTO nudges (key, person_id, kind, due_at, status, data, created_at)
    SELECT 'checkin:' || p.id || ':' || to_char(n.local_due, 'IYYY-"W"IW'),
           p.id, 'checkin', n.local_due AT TIME ZONE p.timezone, 'pending', '{}'::json, :now
    FROM people AS p
    CROSS JOIN LATERAL (
        SELECT date_trunc('week', CAST(:now AS timestamptz) AT TIME ZONE p.timezone)
               + make_interval(days => COALESCE(p.checkin_weekday, :weekday))
               + COALESCE(p.checkin_time, CAST(:clock AS time)) AS local_due
    ) AS t
    CROSS JOIN LATERAL (
        SELECT CASE WHEN t.local_due AT TIME ZONE p.timezone >= GREATEST(CAST(:earliest AS timestamptz), p.created_at)
                    THEN t.local_due ELSE t.local_due + interval '7 days' END AS local_due
    ) AS n
    WHERE p.role = 'participant'
      AND p.status IN ('active', 'paused')
      AND n.local_due AT TIME ZONE p.timezone >= p.created_at
    ON CONFLICT (key) DO NOTHING
    """
)


def checkin_key(person_id: int, week: str) -> str:
    return f"checkin:{person_id}:{week}"


async def plan_checkins(db: Database, now: datetime) -> int:
    """Plan each participant's next check-in nudge; return how many new ones were planned."""
    earliest = now - LATE_PLANNING_GRACE
    async with db.transaction() as session:
        if db.backend == "postgresql":
            result = await session.execute(
                _PLAN_POSTGRES,
                {
                    "now": now,
                    "weekday": DEFAULT_CHECKIN_WEEKDAY,
                    "clock": DEFAULT_CHECKIN_TIME,
                    "earliest": earliest,
                },
            )
            return int(getattr(result, "rowcount", 0) or 0)
        return await _plan_in_python(session, now, earliest)


async def _plan_in_python(session: AsyncSession, now: datetime, earliest: datetime) -> int:
    query = (
        select(Person.id, Person.timezone, Person.checkin_weekday, Person.checkin_time, Person.created_at)
        .where(Person.role == Role.PARTICIPANT, Person.status.in_([PersonStatus.ACTIVE, PersonStatus.PAUSED]))
        .order_by(Person.id)
    )
    planned = 0
    batch: list[dict[str, Any]] = []
    for person_id, timezone, weekday, clock, joined in (await session.execute(query)).all():
        day = week_start(now, timezone) + timedelta(days=DEFAULT_CHECKIN_WEEKDAY if weekday is None else weekday)
        due = at_local(day, clock or DEFAULT_CHECKIN_TIME, timezone)
        if due < earliest or due < joined:  # this week's moment passed, or came before she joined: next week's
            due = at_local(day + timedelta(days=7), clock or DEFAULT_CHECKIN_TIME, timezone)
        if due >= joined:  # never a check-in from before she joined
            batch.append(
                {
                    "key": checkin_key(person_id, iso_week(due, timezone)),
                    "person_id": person_id,
                    "kind": "checkin",
                    "due_at": due,
                    "status": NudgeStatus.PENDING,
                    "data": {},
                    "created_at": now,
                }
            )
        if len(batch) >= PLAN_CHUNK:
            planned += await _insert(session, batch)
            batch = []
    if batch:
        planned += await _insert(session, batch)
    return planned


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(insert_(Nudge).on_conflict_do_nothing(index_elements=["key"]), rows)
    return int(getattr(result, "rowcount", 0) or 0)


async def schedule_nudge(
    session: AsyncSession, person_id: int, kind: str, key: str, due_at: datetime, now: datetime, **data: Any
) -> None:
    """Put one nudge in the schedule (once: the key is unique)."""
    await _insert(
        session,
        [
            {
                "key": key,
                "person_id": person_id,
                "kind": kind,
                "due_at": due_at,
                "status": NudgeStatus.PENDING,
                "data": data,
                "created_at": now,
            }
        ],
    )


# A handler starts what is due and returns "started" or "reminded", or the reason it did not.
NudgeHandler = Callable[[Engine, AsyncSession, Person, Nudge, datetime], Awaitable[str]]


class NudgeKinds:
    """The nudge kinds that features add (buddy and shift reminders, the coach's summary), each with its
    handler. ``bot/app.py`` fills one and gives it to the ``NudgeRunner``; the check-in kinds are the
    runner's own."""

    def __init__(self) -> None:
        self._handlers: dict[str, NudgeHandler] = {}

    def add(self, kind: str, handler: NudgeHandler) -> None:
        if kind in self._handlers:
            raise ValueError(f"nudge kind {kind!r} is added twice")
        self._handlers[kind] = handler

    def get(self, kind: str) -> NudgeHandler | None:
        return self._handlers.get(kind)


class NudgeRunner:
    """Starts nudges that have come due, inside one transaction per batch."""

    def __init__(
        self,
        db: Database,
        conversations: ConversationService,
        reminder_after: timedelta = timedelta(hours=24),
        batch: int = 200,
        *,
        kinds: NudgeKinds,
    ) -> None:
        self.db = db
        self.conversations = conversations
        self.kinds = kinds
        self.reminder_after = reminder_after
        self.batch = batch

    async def run_due(self, now: datetime) -> int:
        done = 0
        while True:
            handled = await self._one_batch(now)
            done += handled
            if handled < self.batch:
                return done

    async def _one_batch(self, now: datetime) -> int:
        async with self.db.transaction() as session:
            query = (
                select(Nudge)
                .where(Nudge.status == NudgeStatus.PENDING, Nudge.due_at <= now)
                .order_by(Nudge.due_at, Nudge.id)
                .limit(self.batch)
            )
            if self.db.backend == "postgresql":
                query = query.with_for_update(skip_locked=True)
            nudges = list(await session.scalars(query))
            for nudge in nudges:
                try:
                    async with session.begin_nested():
                        reason = await self._start(session, nudge, now)
                except Exception:
                    log.exception("nudge %s failed", nudge.id)
                    reason = "failed: see the service log"
                    nudge.status = NudgeStatus.SKIPPED
                else:
                    nudge.status = NudgeStatus.DONE if reason in ("started", "reminded") else NudgeStatus.SKIPPED
                nudge.reason = reason
                nudge.done_at = now
            return len(nudges)

    async def _start(self, session: AsyncSession, nudge: Nudge, now: datetime) -> str:
        person = await session.get(Person, nudge.person_id)
        if person is None:
            return "she is no longer in the programme"
        if person.status is PersonStatus.STOPPED:
            return "she stopped all messages"
        if person.status is PersonStatus.PAUSED and (person.paused_until is None or person.paused_until > now):
            return "she paused her reminders"
        if person.status is PersonStatus.INVITED:
            return "she has not finished onboarding"
        if nudge.kind == "checkin":
            return await self._checkin(session, person, nudge, now)
        if nudge.kind == "checkin_reminder":
            return await self._checkin_reminder(session, person, nudge, now)
        handler = self.kinds.get(nudge.kind)
        if handler is not None:
            return await handler(self.conversations, session, person, nudge, now)
        return f"unknown kind {nudge.kind!r}"

    async def _checkin(self, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
        flow = self.conversations.flows.flow("checkin")
        stale_after = nudge.due_at + (flow.expires_after or timedelta(days=3))
        if now > stale_after:
            return "no longer useful: the check-in would already have closed"
        week = iso_week(nudge.due_at, person.timezone)
        if await _checkin_done(session, person.id, week):
            return "she already checked in this week"
        outcome = await self.conversations.start_scheduled(
            session, person, "checkin", key=f"nudge:{nudge.key}", now=now, stale_after=stale_after
        )
        if outcome == "started":
            await schedule_nudge(
                session,
                person.id,
                "checkin_reminder",
                f"checkin_reminder:{person.id}:{week}",
                now + self.reminder_after,
                now,
                week=week,
            )
        return outcome

    async def _checkin_reminder(self, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
        week = str(nudge.data.get("week", ""))
        if await _checkin_done(session, person.id, week):
            return "she already checked in this week"
        return await self.conversations.remind(session, person, "checkin", key=f"nudge:{nudge.key}", now=now)


async def _checkin_done(session: AsyncSession, person_id: int, week: str) -> bool:
    found = await session.scalar(
        select(CheckIn.id).where(
            CheckIn.person_id == person_id, CheckIn.week == week, CheckIn.completed_at.is_not(None)
        )
    )
    return found is not None
