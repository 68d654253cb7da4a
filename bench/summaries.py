"""Benchmark: every coach's weekly summary, and the programme report, on a year of data.

    python -m bench.summaries [--coaches 1000] [--participants 25] [--weeks 52]

- ``summaries_s``: seconds to gather and write (text and chart) the weekly summaries of all ``--coaches``
  coaches with ``--participants`` women each, ``--weeks`` weeks of check-ins and 10 milestones (and a few
  more, spread over her year) per woman, on PostgreSQL (``TRAMPOLINE_BENCH_POSTGRES_URL``, default the local
  server), in a database this benchmark creates and drops. Target: at most 10 s for 1,000 x 25 x 52.
- ``report_s``: seconds for the programme report (JSON) over the same data, its outcomes included (a
  trajectory per woman, a tenth left early). Target: at most 5 s.

The last line is ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from cryptography.fernet import Fernet as _Fernet
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.app import chart_fonts, load_conversations
from bot.coaching.milestones import MILESTONES
from bot.coaching.report import build_report
from bot.coaching.report_render import render
from bot.coaching.summary import collect
from bot.coaching.summary_text import render_chart, render_text
from bot.coaching.texts import CoachTexts
from bot.core.crypto import Cipher as _Cipher
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Person, Role

BENCH_SEALER = _Cipher([_Fernet.generate_key().decode()])  # the outbox is sealed, as in the service

POSTGRES = os.environ.get("TRAMPOLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # a Friday, 15:00 in Brussels: week 2026-W48
MILESTONE_CODES = tuple(MILESTONES)
MILESTONES_EACH = 10
CODES = ", ".join(f"'{code}'" for code in MILESTONE_CODES)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(make_url(POSTGRES).set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _fill(db: Database, coaches: int, per_coach: int, weeks: int) -> None:
    participants = coaches * per_coach
    statements = [
        "INSERT INTO organisations (name, default_locale, timezone, created_at) "
        "SELECT 'Org ' || n, 'nl', 'Europe/Brussels', TIMESTAMPTZ '2025-06-01' FROM generate_series(1, 10) AS n",
        # Coaches 1..C, then participants C+1..C+P.
        f"""INSERT INTO people (organisation_id, role, display_name, locale, timezone, status, quiet_start,
                quiet_end, created_at, updated_at)
            SELECT 1 + n % 10, 'coach', 'Coach ' || n, (ARRAY['nl','fr','en','ar'])[1 + n % 4], 'Europe/Brussels',
                'active', '21:00', '08:00', TIMESTAMPTZ '2025-06-01', TIMESTAMPTZ '2025-06-01'
            FROM generate_series(1, {coaches}) AS n""",
        f"""INSERT INTO people (organisation_id, role, display_name, locale, timezone, status, quiet_start,
                quiet_end, created_at, updated_at)
            SELECT 1 + (n / {per_coach}) % 10, 'participant', 'Woman ' || n,
                (ARRAY['ar','fa','ti','so','nl'])[1 + n % 5], 'Europe/Brussels',
                CASE WHEN n % 40 = 0 THEN 'invited' ELSE 'active' END, '21:00', '08:00',
                TIMESTAMPTZ '2025-11-01' + (n % 90) * INTERVAL '1 day', TIMESTAMPTZ '2025-11-01'
            FROM generate_series(0, {participants - 1}) AS n""",
        f"""INSERT INTO caseload (coach_id, participant_id, assigned_at)
            SELECT 1 + (p.id - {coaches} - 1) / {per_coach}, p.id, p.created_at FROM people AS p
            WHERE p.role = 'participant'""",
        """INSERT INTO profiles (person_id, age_group, has_children, single_parent, schooling, ever_paid_job,
                languages, interests, availability, updated_at)
            SELECT id, (ARRAY['18_24','25_40','25_40','41_plus'])[1 + id % 4], id % 2 = 0, id % 3 = 0,
                (ARRAY['none','primary','secondary','higher'])[1 + id % 4], id % 5 <> 0,
                CAST('["ar","fr"]' AS json), CAST('[]' AS json), CAST('[]' AS json), created_at
            FROM people WHERE role = 'participant'""",
        f"""INSERT INTO channel_identities (person_id, channel, external_id, last_inbound_at, created_at)
            SELECT id, 'telegram', 'tg' || id, TIMESTAMPTZ '{NOW.isoformat()}' - (id % 30) * INTERVAL '1 day',
                created_at
            FROM people WHERE status = 'active'""",
        f"""INSERT INTO checkins (person_id, week, mood, steps, obstacles, wants_contact, note_kind,
                started_at, completed_at)
            SELECT p.id, to_char(d.day, 'IYYY-"W"IW'), 1 + (p.id + w) % 5,
                CAST((ARRAY['["volunteer","job"]','["none"]','["coaching"]','["buddy","other"]'])[1 + (p.id + w) % 4]
                     AS json),
                CAST((ARRAY['["language","childcare"]','["none"]','["time"]','["language"]'])[1 + (p.id * w) % 4]
                     AS json),
                false, CASE WHEN (p.id + w) % 11 = 0 THEN 'voice' END, d.day, d.day
            FROM people AS p
            CROSS JOIN generate_series(0, {weeks - 1}) AS w
            CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '{NOW.isoformat()}' - w * INTERVAL '7 days' AS day) AS d
            WHERE p.role = 'participant' AND p.status = 'active' AND (p.id + w) % 7 <> 0""",
        # Ten milestones a woman (issue 21), one every five weeks back from now, the codes in turn.
        f"""INSERT INTO milestones (participant_id, code, achieved_on, minutes, source, created_at)
            SELECT m.id, m.code, m.day, CASE WHEN m.code = 'volunteer_hours' THEN 180 END, 'coach', m.day
            FROM (
                SELECT p.id, (ARRAY[{CODES}])[1 + (p.id + k) % {len(MILESTONE_CODES)}] AS code,
                    CAST(TIMESTAMPTZ '{NOW.isoformat()}' - k * INTERVAL '35 days' AS date) AS day
                FROM people AS p CROSS JOIN generate_series(0, {MILESTONES_EACH - 1}) AS k
                WHERE p.role = 'participant'
            ) AS m""",
        f"""INSERT INTO alerts (participant_id, coach_id, kind, created_at)
            SELECT c.participant_id, c.coach_id, (ARRAY['contact_request','need_help','cant_come'])[1 + c.id % 3],
                TIMESTAMPTZ '{NOW.isoformat()}' - INTERVAL '1 day'
            FROM caseload AS c WHERE c.id % 9 = 0""",
        # Her year: a trajectory from the day she joined (a tenth left early), and a few milestones on the way.
        """INSERT INTO trajectories (participant_id, started_on, planned_end_on, status, ended_on, left_reason,
                created_at, updated_at)
            SELECT id, CAST(created_at AS date), CAST(created_at + INTERVAL '1 year' AS date),
                CASE WHEN id % 10 = 0 THEN 'left' ELSE 'active' END,
                CASE WHEN id % 10 = 0 THEN CAST(created_at + INTERVAL '5 months' AS date) END,
                CASE WHEN id % 10 = 0 THEN (ARRAY['found_work','moved','health','no_contact'])[1 + id % 4] END,
                created_at, created_at
            FROM people WHERE role = 'participant'""",
        """INSERT INTO milestones (participant_id, code, achieved_on, minutes, source, created_at)
            SELECT p.id, m.code, CAST(p.created_at + m.after AS date),
                CASE WHEN m.code = 'volunteer_hours' THEN 60 * (1 + p.id % 40) END, 'coach', p.created_at
            FROM people AS p
            CROSS JOIN (VALUES ('first_shift', INTERVAL '1 month', 2), ('volunteer_hours', INTERVAL '2 months', 2),
                ('language_course_started', INTERVAL '3 months', 3), ('training_started', INTERVAL '5 months', 4),
                ('paid_job', INTERVAL '8 months', 5), ('own_activity', INTERVAL '9 months', 7))
                AS m(code, after, every)
            WHERE p.role = 'participant' AND p.id % m.every <> 0""",
        "ANALYZE",
    ]
    async with db.transaction() as session:
        for statement in statements[:-1]:
            await session.execute(text(statement))
    async with db.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("ANALYZE"))


async def bench(coaches: int, per_coach: int, weeks: int) -> dict[str, Any]:
    name = f"trampoline_bench_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES).set(drivername="postgresql+asyncpg", database=name).render_as_string(False)
    db = Database(url, sealer=BENCH_SEALER)
    try:
        await upgrade(db)
        filled = time.perf_counter()
        await _fill(db, coaches, per_coach, weeks)
        fill_s = time.perf_counter() - filled
        flows, catalogs = load_conversations()
        texts = CoachTexts(flows, catalogs)

        started = time.perf_counter()
        async with db.reading() as session:
            coach_ids = list(await session.scalars(select(Person.id).where(Person.role == Role.COACH)))
            summaries = await collect(session, coach_ids, NOW)
        collect_s = time.perf_counter() - started
        fonts = chart_fonts()
        written = [(render_text(texts, s), render_chart(texts, s, fonts)) for s in summaries]
        summaries_s = time.perf_counter() - started

        started = time.perf_counter()
        async with db.reading() as session:
            report = await build_report(session, now=NOW)
        rendered = render(report, "json")
        report_s = time.perf_counter() - started
        return {
            "summaries_s": round(summaries_s, 2),
            "summaries_queries_s": round(collect_s, 2),
            "report_s": round(report_s, 2),
            "coaches": len(summaries),
            "participants": sum(len(s.participants) for s in summaries),
            "milestones": coaches * per_coach * MILESTONES_EACH,
            "summary_chars_avg": sum(len(t) for t, _ in written) // max(len(written), 1),
            "chart_bytes_avg": sum(len(p) for _, p in written) // max(len(written), 1),
            "report_chars": len(rendered),
            "outcome_groups": len(report.outcomes),
            "fill_s": round(fill_s, 1),
        }
    finally:
        await db.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coaches", type=int, default=1000)
    parser.add_argument("--participants", type=int, default=25, help="women per coach")
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    result = await bench(args.coaches, args.participants, args.weeks)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
