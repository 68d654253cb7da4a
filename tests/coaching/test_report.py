"""The programme report: counts and percentages without names; small cells suppressed, and the cells that
would reveal them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.coaching.report import Cell, Table, build_report, suppress
from bot.coaching.report_render import render
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import CheckIn, Person, Profile, Role
from bot.people.directory import create_invite
from tests.support.harness import Bot


def _shown(table: Table) -> list[int | None]:
    return [c.shown() for c in suppress(table).cells]


def test_a_small_cell_is_hidden_and_so_is_the_smallest_cell_that_would_reveal_it() -> None:
    table = Table("t", "t", [Cell("a", 10), Cell("b", 3), Cell("c", 12)], total=25)
    assert _shown(table) == [None, None, 12]


def test_hidden_cells_that_together_are_still_under_five_take_one_more() -> None:
    table = Table("t", "t", [Cell("a", 10), Cell("b", 2), Cell("c", 1), Cell("d", 12)], total=25)
    assert _shown(table) == [None, None, None, 12]


def test_zeros_are_shown_and_never_used_to_hide_a_cell() -> None:
    table = Table("t", "t", [Cell("a", 0), Cell("b", 4), Cell("c", 20)], total=24)
    assert _shown(table) == [0, None, None]


def test_a_total_under_five_hides_the_whole_table() -> None:
    table = Table("t", "t", [Cell("a", 3), Cell("b", 1)], total=4)
    assert _shown(table) == [None, None]


def test_cells_that_do_not_add_up_to_a_total_need_only_the_first_rule() -> None:
    table = Table("t", "t", [Cell("ar", 7), Cell("fr", 2), Cell("nl", 9)])
    assert _shown(table) == [7, None, 9]


def test_nothing_to_hide_hides_nothing() -> None:
    table = Table("t", "t", [Cell("a", 5), Cell("b", 0), Cell("c", 6)], total=11)
    assert _shown(table) == [5, 0, 6]


async def test_the_report_counts_the_programme_without_names(db: Database) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    bot = Bot(db, clock)
    coach = await bot.coach("Sara")
    org = await bot.organisation()
    async with db.transaction() as session:
        for n in range(7):
            made = await create_invite(
                session,
                clock,
                bot.invites,
                role=Role.PARTICIPANT,
                organisation_id=org,
                coach_id=coach,
                name=f"Woman{n}",
                locale="ar" if n < 6 else "fr",
            )
            session.add(
                Profile(
                    person_id=made.person_id,
                    age_group="25_40" if n < 5 else "41_plus",
                    single_parent=n < 3,
                    schooling="primary",
                    ever_paid_job=n >= 6,
                    languages=["ar", "fr"] if n < 6 else ["fr"],
                    interests=[],
                    availability=[],
                    updated_at=clock.now(),
                )
            )
            # Every one of them checks in in early January; five of them again in May (after 3 months).
            session.add(
                CheckIn(
                    person_id=made.person_id,
                    week="2026-W02",
                    mood=3,
                    steps=["volunteer", "job"] if n < 5 else ["none"],
                    obstacles=["language", "childcare"] if n < 6 else ["none"],
                    started_at=clock.now(),
                    completed_at=clock.now(),
                )
            )
            if n < 5:
                session.add(
                    CheckIn(
                        person_id=made.person_id,
                        week="2026-W19",
                        mood=4,
                        steps=["volunteer"],
                        obstacles=["time"],
                        started_at=datetime(2026, 5, 6, tzinfo=UTC),
                        completed_at=datetime(2026, 5, 6, tzinfo=UTC),
                    )
                )
        names = [p.display_name for p in await session.scalars(select(Person).where(Person.role == Role.PARTICIPANT))]
    async with db.reading() as session:
        report = await build_report(session, now=datetime(2026, 6, 1, tzinfo=UTC))
    tables = {t.key: t for t in report.tables}
    assert tables["participants"].cells[0].shown() == 7
    assert [(c.label, c.shown()) for c in tables["age_group"].cells] == [
        ("18-24", 0),
        ("25-40", None),  # 5, but it would reveal the 2 women over 40
        ("41+", None),
        ("unknown", 0),
    ]
    assert [c.shown() for c in tables["single_parent"].cells] == [None, None, 0]  # 3 and 4
    assert [c.shown() for c in tables["schooling"].cells] == [0, 7, 0, 0, 0]
    assert [c.shown() for c in tables["never_paid_job"].cells] == [None, None, 0]  # 6 and 1
    assert [(c.label, c.shown()) for c in tables["chat_language"].cells] == [("ar", None), ("fr", None)]
    assert [(c.label, c.shown()) for c in tables["languages"].cells] == [("fr", 7), ("ar", 6)]
    assert [(c.label, c.shown()) for c in tables["obstacles"].cells][:2] == [("childcare", 6), ("language", 6)]
    assert tables["steps"].cells[1].label == "volunteer" and tables["steps"].cells[1].shown() == 5
    assert tables["steps"].cells[1].times == 10
    assert tables["active_after_3"].total == 7
    assert [c.shown() for c in tables["active_after_3"].cells] == [None, None]  # 5 and 2: the 5 would reveal the 2
    assert tables["active_after_6"].total == 0

    as_json = render(report, "json")
    as_csv = render(report, "csv")
    as_html = render(report, "html")
    for output in (as_json, as_csv, as_html):
        assert not any(name and name in output for name in names)
    assert json.loads(as_json)["tables"][0]["rows"][0]["count"] == 7
    rows = list(csv.reader(io.StringIO(as_csv.lstrip("\ufeff"))))
    assert rows[0] == ["table", "row", "count", "percent"]
    assert ["Age groups", "41 or older", "<5", ""] in rows  # the label she chose at onboarding
    assert "<svg" in as_html and "@page{size:A4" in as_html
