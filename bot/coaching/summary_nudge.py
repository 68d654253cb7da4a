"""The coach's weekly summary at her chosen time: ``plan_coach_summaries`` plans each active coach's next one
(her day and time from ``coach_settings``, Friday 15:00 by default), and the ``coach_summary`` nudge sends
it, the text and then the chart as a photo. ``bot/coaching/chat.py`` registers the nudge kind."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.chart import ChartFonts, photo, store_image
from bot.coaching.summary import collect
from bot.coaching.summary_text import render_chart, render_text
from bot.coaching.texts import texts_for
from bot.conversation.port import Engine
from bot.core import i18n
from bot.core.timing import at_local, iso_week, week_start
from bot.db.engine import Database
from bot.db.models import CoachSetting, Nudge, NudgeStatus, Person, PersonStatus, Role
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import NUDGE_PRIORITY, outbox_row
from bot.people.caseload import reachable_identity

DEFAULT_SUMMARY_WEEKDAY = 4  # Friday
DEFAULT_SUMMARY_TIME = time(15, 0)
SUMMARY_KIND = "coach_summary"
SUMMARY_LATE_GRACE = timedelta(hours=12)


async def plan_coach_summaries(db: Database, now: datetime) -> int:
    """Each active coach's next summary (this week's, or next week's once this week's moment has passed)."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(
                    Person.id,
                    Person.timezone,
                    Person.created_at,
                    CoachSetting.summary_weekday,
                    CoachSetting.summary_time,
                )
                .outerjoin(CoachSetting, CoachSetting.person_id == Person.id)
                .where(Person.role == Role.COACH, Person.status == PersonStatus.ACTIVE)
            )
        ).all()
        planned: list[dict[str, Any]] = []
        for coach_id, zone, joined, weekday, clock in rows:
            day = week_start(now, zone) + timedelta(days=DEFAULT_SUMMARY_WEEKDAY if weekday is None else weekday)
            due = at_local(day, clock or DEFAULT_SUMMARY_TIME, zone)
            if due < now - SUMMARY_LATE_GRACE:
                due = at_local(day + timedelta(days=7), clock or DEFAULT_SUMMARY_TIME, zone)
            if due < joined:
                continue
            planned.append(
                {
                    "key": f"{SUMMARY_KIND}:{coach_id}:{iso_week(due, zone)}",
                    "person_id": coach_id,
                    "kind": SUMMARY_KIND,
                    "due_at": due,
                    "status": NudgeStatus.PENDING,
                    "data": {"week": iso_week(due, zone)},
                    "created_at": now,
                }
            )
        if not planned:
            return 0
        keys = [row["key"] for row in planned]
        existing = set(await session.scalars(select(Nudge.key).where(Nudge.key.in_(keys))))
        planned = [row for row in planned if row["key"] not in existing]
        if planned:
            insert_ = pg_insert if db.backend == "postgresql" else sqlite_insert
            await session.execute(insert_(Nudge).on_conflict_do_nothing(index_elements=["key"]), planned)
        return len(planned)


async def send_summary(
    service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime, fonts: ChartFonts
) -> str:
    """The ``coach_summary`` nudge: her summary as text, then the chart as a photo (drawn with ``fonts``;
    ``bot/coaching/chat.py`` binds them when it registers the nudge)."""
    if person.role is not Role.COACH:
        return "not a coach"
    if now > nudge.due_at + SUMMARY_LATE_GRACE:
        return "no longer useful: a newer summary comes soon"
    identity = await reachable_identity(session, person.id)
    if identity is None:
        return "she has no channel the bot can write to"
    week = str(nudge.data.get("week") or iso_week(nudge.due_at, person.timezone))
    [made] = await collect(session, [person.id], now, week)
    texts = texts_for(service)
    rtl = i18n.is_right_to_left(person.locale)
    text = OutboundMessage(text=render_text(texts, made), locale=person.locale, right_to_left=rtl)
    image = store_image(render_chart(texts, made, fonts), service.images)
    picture = photo(image, texts.say("summary_chart_caption", person.locale), person.locale)
    for number, message in enumerate((text, picture)):
        session.add(
            outbox_row(
                f"nudge:{nudge.key}:{number}",
                message,
                now,
                person_id=person.id,
                identity=identity,
                kind="summary",
                priority=NUDGE_PRIORITY,
            )
        )
    return "started"
