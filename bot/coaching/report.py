"""The programme report for the foundation: figures like those in the programme's own report, across
organisations, without names or ids, as counts and percentages.

Small cells are suppressed: a cell counting 1 to 4 women is shown as "<5". Where cells add up to a total
that is shown (age groups, schooling, yes/no/unknown questions, organisations, still active or not), one
suppressed cell could be worked out from the others, so the smallest other cells are suppressed too until
at least two are hidden and together they hold 5 or more. A total under 5 hides its whole table. Cells of
lists where one woman can be in several (languages, obstacles, steps) do not add up to anything and need only
the first rule. A zero reveals nobody and is shown.

This module counts and suppresses (the tables); ``bot/coaching/report_render.py`` writes them as text, JSON,
CSV or HTML in nl, fr or en. Titles are English message ids (marked with ``N_`` for ``trampoline i18n
extract``); cell labels are stable keys (codes, values, organisation names) that the renderer names. Dari is
one language here: ``prs`` (a language she speaks) and ``fa_AF`` (her chat language) are both ``fa_AF``. The
demo organisation of ``trampoline chat`` is never counted unless asked for by ``--org`` (decision 0029).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.outcomes import outcome_groups
from bot.coaching.report_cells import MIN_CELL as MIN_CELL
from bot.coaching.report_cells import N_ as N_
from bot.coaching.report_cells import SUPPRESSED as SUPPRESSED
from bot.coaching.report_cells import Cell as Cell
from bot.coaching.report_cells import OutcomeGroup, Scope
from bot.coaching.report_cells import Table as Table
from bot.coaching.report_cells import suppress as suppress
from bot.core.i18n import LANGUAGE_ALIASES
from bot.core.timing import iso_week
from bot.db.models import (
    AnonymousCount,
    BuddyMatch,
    CheckIn,
    MatchStatus,
    Organisation,
    Person,
    Profile,
    Role,
    ShiftStatus,
    VolunteerShift,
    YearAnswer,
)
from bot.people.directory import DEMO_ORGANISATION, DomainError

RETENTION_MONTHS = (3, 6, 12)
RETENTION_TITLES = {
    3: N_("Still active after 3 months (of those who joined 3 or more months ago)"),
    6: N_("Still active after 6 months (of those who joined 6 or more months ago)"),
    12: N_("Still active after 12 months (of those who joined 12 or more months ago)"),
}
STEP_DIMENSIONS = ("coaching", "volunteer", "job", "buddy", "other")
# The obstacles the check-in offers (conversations/checkin.yaml), in its order.
OBSTACLES = (
    "language",
    "childcare",
    "time",
    "transport",
    "health",
    "housing",
    "papers",
    "money",
    "confidence",
    "other",
)


@dataclass
class Report:
    period_from: date | None
    period_to: date
    organisation_id: int | None
    tables: list[Table]
    first_day: date | None = None  # the day the first woman counted joined (an open start begins there)
    erased: int = 0  # women erased at their request or after the retention period
    organisation_locale: str | None = None  # the default language of the organisation asked for
    outcomes: list[OutcomeGroup] = field(default_factory=list)  # in total, then per organisation


# -- gathering the figures ---


def language_code(code: str) -> str:
    """One code per language: Dari is ``fa_AF`` whether she chose it to chat or named it as spoken (``prs``)."""
    return LANGUAGE_ALIASES.get(code, code)


def _yes_no(values: list[bool | None], yes: str, no: str) -> list[Cell]:
    counts = Counter(values)
    return [Cell(yes, counts[True]), Cell(no, counts[False]), Cell("unknown", counts[None])]


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)


async def build_report(
    session: AsyncSession,
    *,
    now: datetime,
    organisation_id: int | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> Report:
    """Women counted are participants who joined on or before the end of the period (imported and invited
    ones included: they are in the programme from that day); activity (steps, obstacles, shifts, matches)
    is counted within the period."""
    to_day = period_to or now.date()
    end = datetime.combine(to_day + timedelta(days=1), time(), UTC)
    organisation_locale = None
    if organisation_id is not None:
        organisation_locale = await session.scalar(
            select(Organisation.default_locale).where(Organisation.id == organisation_id)
        )
        if organisation_locale is None:
            raise DomainError(f"no organisation with id {organisation_id}")
    demo_id = None
    if organisation_id is None:
        demo_id = await session.scalar(select(Organisation.id).where(Organisation.name == DEMO_ORGANISATION))
    start = datetime.combine(period_from, time(), UTC) if period_from else None
    scope = Scope(end, start, organisation_id, demo_id)
    rows = await _women(session, scope)
    tables = [
        *await _intake_tables(session, rows),
        *await _checkin_tables(session, scope),
        await _shift_table(session, scope),
        await _match_table(session, scope),
        *await _retention_tables(session, scope, rows),
        *await _her_view_tables(session, scope),
    ]
    erased = await _erased(session, organisation_id, to_day, demo_id)
    names = {row[0]: row[1] for row in await session.execute(select(Organisation.id, Organisation.name))}
    outcomes = await outcome_groups(session, scope, to_day, names)
    first_day = min((r.created_at for r in rows), default=None)
    return Report(
        period_from,
        to_day,
        organisation_id,
        [suppress(t) for t in tables],
        first_day=first_day.date() if first_day is not None else None,
        erased=erased,
        organisation_locale=organisation_locale,
        outcomes=outcomes,
    )


async def _women(session: AsyncSession, scope: Scope) -> list[Any]:
    """One row per woman counted, with her intake answers; a woman without a profile row has every intake
    field unknown (null)."""
    query = (
        select(
            Person.id,
            Person.organisation_id,
            Person.locale,
            Person.created_at,
            Profile.age_group,
            Profile.single_parent,
            Profile.schooling,
            Profile.ever_paid_job,
            Profile.languages,
        )
        .outerjoin(Profile, Profile.person_id == Person.id)
        .where(Person.role == Role.PARTICIPANT, Person.created_at < scope.end)
    )
    if scope.organisation_id is not None:
        query = query.where(Person.organisation_id == scope.organisation_id)
    if scope.demo_id is not None:
        query = query.where(Person.organisation_id != scope.demo_id)
    return list((await (await session.connection()).execute(query)).all())


async def _intake_tables(session: AsyncSession, profiles: list[Any]) -> list[Table]:
    """Who the women are: how many, their organisations, and the onboarding intake."""
    total = len(profiles)
    organisations = Counter(p.organisation_id for p in profiles)
    names = {row[0]: row[1] for row in await session.execute(select(Organisation.id, Organisation.name))}
    ages = Counter(p.age_group for p in profiles)
    schooling = Counter(p.schooling for p in profiles)
    paid = [None if p.ever_paid_job is None else not p.ever_paid_job for p in profiles]
    chat_languages = Counter(language_code(p.locale) for p in profiles)
    spoken: Counter[str] = Counter()
    for p in profiles:
        spoken.update({language_code(code) for code in p.languages or []})
    return [
        Table("participants", N_("Participants coached"), [Cell("participants", total)]),
        Table(
            "organisations",
            N_("Organisations"),
            [Cell(names.get(org, "?"), n) for org, n in sorted(organisations.items())],
            total=total,
        ),
        Table(
            "age_group",
            N_("Age groups"),
            [Cell(label, ages[value]) for value, label in (("18_24", "18-24"), ("25_40", "25-40"), ("41_plus", "41+"))]
            + [Cell("unknown", ages[None])],
            total=total,
        ),
        Table(
            "single_parent",
            N_("Single mothers"),
            _yes_no([p.single_parent for p in profiles], "single mother", "not a single mother"),
            total=total,
        ),
        Table(
            "schooling",
            N_("Schooling"),
            [Cell(v, schooling[v]) for v in ("none", "primary", "secondary", "higher")]
            + [Cell("unknown", schooling[None])],
            total=total,
        ),
        Table(
            "never_paid_job", N_("Never had a paid job"), _yes_no(paid, "never had a paid job", "had a paid job"), total
        ),
        Table(
            "chat_language",
            N_("Language used with the bot"),
            [Cell(code, n) for code, n in sorted(chat_languages.items())],
            total=total,
        ),
        Table(
            "languages", N_("Languages spoken"), [Cell(code, n) for code, n in sorted(spoken.items(), key=_by_count)]
        ),
    ]


async def _checkin_tables(session: AsyncSession, scope: Scope) -> list[Table]:
    """Check-in figures, counted in the database: one row per (element, woman)."""
    week_from = iso_week(scope.start, "UTC") if scope.start else None
    week_to = iso_week(scope.end - timedelta(seconds=1), "UTC")
    elements = await _elements(session, scope, week_from, week_to)
    obstacles = {v: n for (kind, v), n in elements.items() if kind == "obstacles"}
    steps = {v: n for (kind, v), n in elements.items() if kind == "steps"}
    return [
        Table(
            "obstacles",
            N_("Most named obstacles (women who named them)"),
            [Cell(o, n) for o, (n, _) in sorted(obstacles.items(), key=lambda i: (-i[1][0], i[0])) if n > 0],
        ),
        Table(
            "steps",
            N_("Steps per dimension (women who took them; how many steps in brackets)"),
            [Cell(d, steps.get(d, (0, 0))[0], times=steps.get(d, (0, 0))[1]) for d in STEP_DIMENSIONS],
        ),
    ]


async def _shift_table(session: AsyncSession, scope: Scope) -> Table:
    query = scope.participants_only(
        select(
            func.count(VolunteerShift.id),
            func.count(func.distinct(VolunteerShift.participant_id)),
        ).where(VolunteerShift.status == ShiftStatus.ATTENDED, VolunteerShift.starts_at < scope.end),
        VolunteerShift.participant_id,
    )
    shifts, shift_women = (await session.execute(scope.from_start(query, VolunteerShift.starts_at))).one()
    return Table(
        "shifts",
        N_("Volunteer shifts attended"),
        # How many shifts only when the women who attended are shown: 3 shifts of "<5" women tells too much.
        [Cell("women who attended", shift_women, times=shifts if shift_women >= MIN_CELL else None)],
    )


async def _match_table(session: AsyncSession, scope: Scope) -> Table:
    query = scope.participants_only(
        select(BuddyMatch.status, func.count(func.distinct(BuddyMatch.participant_id))).where(
            BuddyMatch.participant_accepted_at.is_not(None),
            BuddyMatch.buddy_accepted_at.is_not(None),
            BuddyMatch.proposed_at < scope.end,
        ),
        BuddyMatch.participant_id,
    )
    query = scope.from_start(query, BuddyMatch.proposed_at).group_by(BuddyMatch.status)
    matches = {row[0]: row[1] for row in await session.execute(query)}
    return Table(
        "buddy_matches",
        N_("Buddy matches (women matched)"),
        [Cell("made", sum(matches.values())), Cell("still active", matches.get(MatchStatus.ACTIVE, 0))],
    )


async def _retention_tables(session: AsyncSession, scope: Scope, rows: list[Any]) -> list[Table]:
    """Of the women who joined at least 3, 6, 12 months before the end: who still checked in since."""
    last_checkin = {
        row[0]: row[1]
        for row in await session.execute(
            scope.participants_only(
                select(CheckIn.person_id, func.max(CheckIn.completed_at)).where(CheckIn.completed_at < scope.end),
                CheckIn.person_id,
            ).group_by(CheckIn.person_id)
        )
    }
    tables = []
    for months in RETENTION_MONTHS:
        marks = [(r[0], _add_months(r[3], months)) for r in rows]
        eligible = [(pid, mark) for pid, mark in marks if mark <= scope.end]
        active = sum(1 for pid, mark in eligible if (seen := last_checkin.get(pid)) is not None and seen >= mark)
        tables.append(
            Table(
                f"active_after_{months}",
                RETENTION_TITLES[months],
                [Cell("still active", active), Cell("no longer active", len(eligible) - active)],
                total=len(eligible),
            )
        )
    return tables


HELPED = ("her_coach", "buddy", "volunteering", "peers", "language_course")
NOW_DOING = ("work", "training", "volunteering", "none")
RECOMMEND = ("yes", "maybe", "no")


async def _her_view_tables(session: AsyncSession, scope: Scope) -> list[Table]:
    """Her own view of her year (issue 21 §7, ``year_answers``), anonymous: how many named each thing that
    helped or was hard (shares of the women who answered), whether they would tell a friend to join, and
    what they do three months after the end. Answers given in the report's period (or ever) until its end."""
    query = scope.participants_only(
        select(YearAnswer.kind, YearAnswer.helped, YearAnswer.hard, YearAnswer.recommend, YearAnswer.now_doing),
        YearAnswer.participant_id,
    ).where(YearAnswer.created_at < scope.end)
    answers = (await session.execute(scope.from_start(query, YearAnswer.created_at))).all()
    feedback = [a for a in answers if a.kind == "feedback"]
    after = [a for a in answers if a.kind == "after"]

    def named(values: tuple[str, ...], column: str) -> list[Cell]:
        prefix = "helped_" if column == "helped" else ""
        return [Cell(prefix + v, sum(1 for a in feedback if v in (getattr(a, column) or []))) for v in values]

    said = [a.recommend for a in feedback if a.recommend in RECOMMEND]
    return [
        Table("year_helped", N_("What helped most, in her own view (of the women who answered at the end)"),
              named(HELPED, "helped"), base=len(feedback)),
        Table("year_hard", N_("What was difficult, in her own view (of the women who answered at the end)"),
              named(tuple(o for o in OBSTACLES if o != "none"), "hard"), base=len(feedback)),
        Table("year_recommend", N_("Would tell a friend to join the programme"),
              [Cell(f"recommend_{v}", said.count(v)) for v in RECOMMEND], total=len(said)),
        Table("year_after", N_("Three months after the end, in her own words"),
              [Cell(f"now_{v}", sum(1 for a in after if a.now_doing == v)) for v in NOW_DOING], total=len(after)),
    ]  # fmt: skip


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


async def _elements(
    session: AsyncSession, scope: Scope, week_from: str | None, week_to: str
) -> dict[tuple[str, str], tuple[int, int]]:
    """For each known step dimension and obstacle: (women who named it, times it was named), keyed by
    ("steps" or "obstacles", value). One pass over the check-ins: each list is matched as JSON text
    against the check-in questions' values (unnesting millions of JSON arrays is several times slower),
    counted per woman first, then over the women."""
    wanted = [("steps", v) for v in STEP_DIMENSIONS] + [("obstacles", v) for v in OBSTACLES]
    # The values are this module's constants (checked to be plain words), written into the statement: as
    # bound parameters PostgreSQL plans the 30 patterns several times slower.
    assert all(value.isidentifier() for _, value in wanted)
    sums = ", ".join(
        f"SUM(CASE WHEN CAST(c.{kind} AS TEXT) LIKE '%\"{value}\"%' THEN 1 ELSE 0 END) AS n{i}"
        for i, (kind, value) in enumerate(wanted)
    )
    totals = ", ".join(f"SUM(CASE WHEN n{i} > 0 THEN 1 ELSE 0 END), COALESCE(SUM(n{i}), 0)" for i in range(len(wanted)))
    where = ["p.role = 'participant'", "p.created_at < :end", "c.completed_at IS NOT NULL", "c.week <= :week_to"]
    values: dict[str, Any] = {"end": scope.end, "week_to": week_to}
    if week_from is not None:
        where.append("c.week >= :week_from")
        values["week_from"] = week_from
    if scope.organisation_id is not None:
        where.append("p.organisation_id = :org")
        values["org"] = scope.organisation_id
    if scope.demo_id is not None:
        where.append("p.organisation_id != :demo")
        values["demo"] = scope.demo_id
    statement = text(
        f"SELECT {totals} FROM (SELECT c.person_id, {sums} FROM checkins AS c "  # noqa: S608 (constants only)
        f"JOIN people AS p ON p.id = c.person_id WHERE {' AND '.join(where)} GROUP BY c.person_id) AS per_woman"
    )
    row = (await session.execute(statement, values)).one()
    return {key: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, key in enumerate(wanted)}


async def _erased(session: AsyncSession, organisation_id: int | None, to_day: date, demo_id: int | None) -> int:
    query = select(func.coalesce(func.sum(AnonymousCount.count), 0)).where(
        AnonymousCount.metric == "erased",
        AnonymousCount.role == Role.PARTICIPANT.value,
        AnonymousCount.month <= to_day.strftime("%Y-%m"),
    )
    if organisation_id is not None:
        query = query.where(AnonymousCount.organisation_id == organisation_id)
    if demo_id is not None:
        query = query.where(AnonymousCount.organisation_id != demo_id)
    return int(await session.scalar(query) or 0)
