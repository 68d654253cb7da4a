"""The outcomes of the programme report (issue 21, decision 0033): 60 women in two organisations whose years
started on known days, with shifts and milestones spread over that year, give outcome figures checked number
by number (at 6 and 12 months, volunteer hours, the path to paid work, reasons for leaving early), in total and
per organisation, small cells suppressed; the demo organisation is not counted; written in nl and fr."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.app import load_conversations
from bot.coaching import milestones
from bot.coaching.milestones import Step
from bot.coaching.report import Cell, Table, build_report, suppress
from bot.coaching.report_render import render
from bot.core.clock import FakeClock
from bot.core.timing import plus_months
from bot.db.engine import Database
from bot.db.models import MilestoneSource, Person, Role, ShiftStatus, VolunteerShift
from bot.people.directory import DEMO_ORGANISATION, add_organisation, create_invite
from tests.support.harness import Bot

A, B, C = date(2025, 10, 1), date(2026, 4, 1), date(2026, 8, 1)  # the report ends on 23 November 2026
# (cohort start, story, how many) per organisation; a story is what she did, months after her start:
# vtp: a 3-hour shift (1), 20 hours reported (3), training (4), a paid job (8); vt: a shift (1), 9 hours and a
# language course (2); vp: 10 hours (2), a paid job (5); v: a shift (1); o: an own activity (3);
# tv: training finished (1), then her first shift recorded by her coach (3); none: nothing recorded.
FOYER = [(A, "vtp", 6), (A, "vt", 3), (A, "vp", 2), (A, "o", 1), (B, "vt", 4), (B, "vp", 3), (B, "v", 3),
         (C, "v", 4), (C, "tv", 4)]  # fmt: skip
KAPAZA = [(A, "vtp", 2), (A, "vt", 4), (A, "vp", 2), (A, "v", 3), (A, "none", 1), (B, "v", 5), (B, "o", 3),
          (B, "none", 2), (C, "v", 2), (C, "o", 2), (C, "none", 4)]  # fmt: skip
# Who left early: Foyer's 6 vtp (found work), Kapaza's 4 vt of cohort A and its 1 "none" (moved), 2 of its
# cohort-A "v" (no contact any more).
LEFT = {
    ("Foyer", A, "vtp"): (6, date(2026, 7, 1), "found_work"),
    ("Kapaza", A, "vt"): (4, date(2026, 6, 1), "moved"),
    ("Kapaza", A, "none"): (1, date(2026, 6, 1), "moved"),
    ("Kapaza", A, "v"): (2, date(2026, 5, 1), "no_contact"),
}


def test_a_share_is_hidden_when_it_or_the_rest_of_its_base_is_under_five() -> None:
    cells = [Cell("a", 21), Cell("b", 13), Cell("c", 3), Cell("d", 0), Cell("e", 22)]
    table = suppress(Table("t", "t", cells, base=22))
    assert [c.shown() for c in table.cells] == [None, 13, None, 0, 22]  # 21 of 22 tells the 1 who did not


def test_a_median_is_hidden_only_with_a_base_under_five() -> None:
    shown = suppress(Table("h", "h", [Cell("median_hours", 3, measure=True)], base=5))
    hidden = [suppress(Table("h", "h", [Cell("median_hours", 30, measure=True)], base=n)) for n in (0, 4)]
    assert shown.cells[0].shown() == 3 and shown.percent(shown.cells[0]) is None
    assert [t.cells[0].shown() for t in hidden] == [None, None]


def _lang(code: str) -> Any:
    return load_conversations()[1].translations(code)


async def _shift(session: Any, person: Person, on: date, now: datetime) -> None:
    starts = datetime.combine(on, time(13), UTC)
    shift = VolunteerShift(
        participant_id=person.id, place="Kringwinkel", address="Rue Haute 5", starts_at=starts,
        ends_at=starts + timedelta(hours=3), status=ShiftStatus.ATTENDED, created_at=now,
    )  # fmt: skip
    session.add(shift)
    await session.flush()
    await milestones.shift_attended(session, person, shift, now)


async def _live(session: Any, person: Person, start: date, story: str, now: datetime) -> None:
    def on(months: int) -> date:
        return plus_months(start, months)

    async def step(code: str, months: int, **details: Any) -> None:
        await milestones.record(session, None, person, Step(code, on(months), **details), MilestoneSource.COACH, now)

    await milestones.start_trajectory(session, person, start, now)
    if story in ("vtp", "vt", "v"):
        await _shift(session, person, on(1), now)
    if story == "vtp":
        await step("volunteer_hours", 3, hours=20)
        await step("training_started", 4)
        await step("paid_job", 8, contract="part_time")
    if story == "vt":
        await step("volunteer_hours", 2, hours=9)
        await step("language_course_started", 2, level="A2")
    if story == "vp":
        await step("volunteer_hours", 2, hours=10)
        await step("paid_job", 5)
    if story == "o":
        await step("own_activity", 3)
    if story == "tv":
        await step("training_finished", 1)
        await step("first_shift", 3)


async def _programme(db: Database, clock: FakeClock) -> int:
    """The 60 women of Foyer and Kapaza, and 3 women of the demo organisation (who volunteered, then found a
    paid job); the demo's id."""
    bot = Bot(db, clock)
    now = clock.now()
    async with db.transaction() as session:
        demo = await add_organisation(session, clock, DEMO_ORGANISATION, locale="nl", timezone="Europe/Brussels")
        kapaza = await add_organisation(session, clock, "Kapaza", locale="fr", timezone="Europe/Brussels")
        foyer = await add_organisation(session, clock, "Foyer", locale="nl", timezone="Europe/Brussels")
        plan = [("Foyer", foyer.id, FOYER), ("Kapaza", kapaza.id, KAPAZA), (DEMO_ORGANISATION, demo.id, [(A, "vp", 3)])]
        for name, org, stories in plan:
            coach = await create_invite(
                session, clock, bot.invites, role=Role.COACH, organisation_id=org, name=f"Coach {name}"
            )
            for start, story, many in stories:
                left = LEFT.get((name, start, story))
                for n in range(many):
                    made = await create_invite(
                        session, clock, bot.invites, role=Role.PARTICIPANT, organisation_id=org,
                        coach_id=coach.person_id, name=f"{name} {story} {start} {n}", locale="ar",
                    )  # fmt: skip
                    person = await session.get(Person, made.person_id)
                    assert person is not None
                    await _live(session, person, start, story, now)
                    if left is not None and n < left[0]:
                        await milestones.end_trajectory(session, person, left[1], now, left[2])
    return demo.id


def _figures(table: dict[str, Any]) -> tuple[list[tuple[str, int | None]], int | None]:
    whole = table["base"] if "base" in table else table["total"]
    return [(row["label"], row["count"]) for row in table["rows"]], whole


OUTCOMES = ["volunteered", "in_training", "paid_job", "own_activity"]
TRANSITIONS = [
    "volunteering_then_training",
    "training_then_paid_job",
    "volunteering_training_paid_job",
    "volunteering_straight_to_paid_job",
]
REASONS = ["found_work", "moved", "health", "childcare", "no_contact", "other", "unknown"]


def _expected(six: list[int | None], twelve: list[int | None], hours: int, steps: list[int | None],
              reasons: list[int | None], bases: tuple[int, int, int, int, int]) -> dict[str, Any]:  # fmt: skip
    return {
        "outcomes_6": (list(zip(OUTCOMES, six, strict=True)), bases[0]),
        "outcomes_12": (list(zip(OUTCOMES, twelve, strict=True)), bases[1]),
        "volunteer_hours": ([("median_hours", hours)], bases[2]),
        "transitions": (list(zip(TRANSITIONS, steps, strict=True)), bases[3]),
        "left_early": (list(zip(REASONS, reasons, strict=True)), bases[4]),
    }


# None: suppressed. At 6 months, 21 of Foyer's 22 volunteered: the 21 would tell the 1 who did not.
EXPECTED = {
    None: _expected(
        [37, 19, 7, None], [None, 15, 12, None], 10, [19, 8, 8, 7], [6, None, 0, 0, None, 0, 0], (44, 24, 43, 60, 13)
    ),
    "Foyer": _expected(
        [None, 13, 5, None], [None, None, None, None], 12, [13, 6, 6, 5], [6, 0, 0, 0, 0, 0, 0], (22, 12, 25, 30, 6)
    ),
    "Kapaza": _expected(
        [16, 6, None, None],
        [None, 6, None, 0],
        3,
        [6, None, None, None],
        [0, None, 0, 0, None, 0, 0],
        (22, 12, 18, 30, 7),
    ),
}


async def test_a_constructed_cohort_gives_its_outcomes_number_by_number(db: Database, clock: FakeClock) -> None:
    demo = await _programme(db, clock)
    async with db.reading() as session:
        report = await build_report(session, now=clock.now())
        demo_report = await build_report(session, now=clock.now(), organisation_id=demo)
    written = json.loads(render(report, "json"))
    groups = written["outcomes"]
    assert [(g["organisation"], g["title"]) for g in groups] == [
        (None, "All organisations"),
        ("Foyer", "Foyer"),
        ("Kapaza", "Kapaza"),
    ]  # the demo organisation is not one of them, nor counted in the total
    for group in groups:
        figures = {t["key"]: _figures(t) for t in group["tables"]}
        assert figures == EXPECTED[group["organisation"]], group["organisation"]
    total = {t["key"]: t for t in groups[0]["tables"]}
    assert [row["percent"] for row in total["outcomes_6"]["rows"]] == [84.1, 43.2, 15.9, None]
    assert [row["percent"] for row in total["transitions"]["rows"]] == [31.7, 13.3, 13.3, 11.7]
    assert total["volunteer_hours"]["rows"][0]["percent"] is None
    assert total["left_early"]["total"] == 13
    # The demo organisation asked for by itself: 3 women, so every share and the median are hidden.
    [alone] = json.loads(render(demo_report, "json"))["outcomes"]
    assert alone["organisation"] == DEMO_ORGANISATION
    demo_figures = {t["key"]: _figures(t) for t in alone["tables"]}
    assert demo_figures["volunteer_hours"] == ([("median_hours", None)], None)
    assert demo_figures["outcomes_12"] == ([(label, None) for label in OUTCOMES], None)
    assert demo_figures["transitions"][0][3] == ("volunteering_straight_to_paid_job", None)

    words = {
        "nl": ("Resultaten", "Alle organisaties", "Heeft betaald werk", "Werk gevonden", "Mediaan vrijwilligersuren"),
        "fr": ("Résultats", "Toutes les organisations", "A un emploi rémunéré", "A trouvé du travail",
               "Heures de volontariat médianes"),
    }  # fmt: skip
    codes = ["paid_job", "own_activity", "found_work", "no_contact", "median_hours", "volunteering_then", "in_training"]
    for lang, texts in words.items():
        for fmt in ("html", "text", "csv"):
            out = render(report, fmt, _lang(lang))
            for text in texts:
                assert text in out, (lang, fmt, text)
            outcomes = out[out.index(texts[0]) :]  # the section (the report before it has a "never_paid_job")
            assert not [code for code in codes if code in outcomes], (lang, fmt)
            assert DEMO_ORGANISATION not in out
    text = render(report, "text", _lang("nl"))
    lines = [" ".join(line.replace("█", "").split()) for line in text.splitlines()]
    start = lines.index("Resultaten 6 maanden na de start (van de vrouwen die 6 of meer maanden geleden begonnen)")
    assert lines[start + 1 : start + 6] == [
        "Deed vrijwilligerswerk 37 84,1%",
        "In een cursus of opleiding 19 43,2%",
        "Heeft betaald werk 7 15,9%",
        "Heeft een eigen activiteit <5",
        "Getelde vrouwen 44",
    ]
    rows = list(csv.reader(io.StringIO(render(report, "csv", _lang("fr")).lstrip("\ufeff"))))
    assert ["Kapaza: Raisons d'un départ anticipé", "A déménagé", "<5", ""] in rows
    assert ["Foyer: Heures de volontariat (des femmes qui ont fait du volontariat)", "Heures de volontariat médianes",
            "12", ""] in rows  # fmt: skip
    assert ["Toutes les organisations: Raisons d'un départ anticipé", "A trouvé du travail", "6", "46.2"] in rows
