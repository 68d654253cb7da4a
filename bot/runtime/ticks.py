"""APScheduler 3.11 inside ``trampoline run``: it only fires short, idempotent ticks. The schedule itself is
SQL rows, so its in-memory job store loses nothing that matters on a restart, and a second process running
the same ticks finds the same rows (claimed with ``SKIP LOCKED`` on PostgreSQL).

Misfires are handled deliberately: ``misfire_grace_time=None`` (a late tick still runs) and ``coalesce``
(several missed runs become one); a tick missed while the service was down simply finds more due rows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.coaching.her_steps import plan_celebrations, plan_months
from bot.coaching.summary_nudge import plan_coach_summaries
from bot.coaching.year_feedback import plan_year_questions
from bot.core.clock import Clock
from bot.db.engine import Database
from bot.privacy.retention import RetentionPolicy
from bot.privacy.retention import apply as apply_retention
from bot.scheduling.planner import NudgeRunner, plan_checkins

log = logging.getLogger(__name__)

PLAN_EVERY_MINUTES = 10
DUE_EVERY_SECONDS = 30
RETAIN_EVERY_HOURS = 24


class Ticks:
    def __init__(
        self,
        db: Database,
        runner: NudgeRunner,
        clock: Clock,
        on_due: Callable[[], None],
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.on_due = on_due
        self.retention = retention  # None: the daily retention job is off

    async def retain(self) -> None:
        await _guarded("retention", self._retain)

    async def _retain(self) -> None:
        if self.retention is not None:
            await apply_retention(self.db, self.retention, self.clock.now(), self.runner.conversations)

    async def plan(self) -> None:
        await _guarded("plan", self._plan)

    async def due(self) -> None:
        await _guarded("due", self._due)

    async def _plan(self) -> None:
        planned = await plan_checkins(self.db, self.clock.now())
        if planned:
            log.info("planned %d check-in nudges", planned)
        summaries = await plan_coach_summaries(self.db, self.clock.now())
        if summaries:
            log.info("planned %d coach summaries", summaries)
        questions = await plan_year_questions(self.db, self.clock.now())
        if questions:
            log.info("planned %d questions about her year", questions)
        months = await plan_months(self.db, self.clock.now())
        if months:
            log.info("planned %d monthly questions about her steps", months)
        celebrations = await plan_celebrations(self.db, self.clock.now())
        if celebrations:
            log.info("planned %d celebrations", celebrations)

    async def _due(self) -> None:
        started = await self.runner.run_due(self.clock.now())
        if started:
            log.info("%d nudges came due", started)
            self.on_due()


async def _guarded(name: str, tick: Callable[[], Awaitable[None]]) -> None:
    try:
        await tick()
    except Exception as exc:  # the database may be away: the next tick tries again
        log.error("tick %s failed: %s", name, type(exc).__name__)


def start_scheduler(ticks: Ticks) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    )
    now = datetime.now(UTC)
    scheduler.add_job(ticks.plan, "interval", minutes=PLAN_EVERY_MINUTES, id="plan", next_run_time=now)
    scheduler.add_job(ticks.due, "interval", seconds=DUE_EVERY_SECONDS, id="due", next_run_time=now)
    scheduler.add_job(ticks.retain, "interval", hours=RETAIN_EVERY_HOURS, id="retention", next_run_time=now)
    scheduler.start()
    return scheduler
