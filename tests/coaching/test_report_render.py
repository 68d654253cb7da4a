"""The programme report written out for a reader: in nl, fr or en, languages by name (Dari one way), the
period written out, counts said right, and as text in a terminal; the ``report`` command's formats and
languages; and a report on a programme's own data (no demo) with the right figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app import load_conversations
from bot.coaching.report import Cell, Report, Table, build_report, suppress
from bot.coaching.report_render import LABELS, render
from bot.core.clock import FakeClock
from bot.core.i18n import Language
from bot.core.paths import project_root
from bot.db.engine import Database
from bot.db.models import CheckIn, Profile, Role
from bot.people.directory import DEMO_ORGANISATION, add_organisation, create_invite
from bot.translation.extract import extract_catalog
from tests.support.cli import Trampoline
from tests.support.harness import Bot
from tests.support.report import sample_report


def _lang(code: str) -> Language:
    return load_conversations()[1].translations(code)


TITLES = {
    "nl": ("Programmarapport", "Scholing", "Middelbare school"),
    "fr": ("Rapport du programme", "Scolarité", "École secondaire"),
    "en": ("Programme report", "Schooling", "Secondary school"),
}


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
@pytest.mark.parametrize("fmt", ["html", "text", "csv"])
def test_titles_and_labels_are_in_the_report_language(lang: str, fmt: str) -> None:
    written = render(sample_report(), fmt, _lang(lang))
    for text in TITLES[lang][1:] if fmt == "csv" else TITLES[lang]:
        assert text in written, (text, written[:400])
    if fmt == "html":
        assert f'<html lang="{lang}"' in written


@pytest.mark.parametrize(
    ("lang", "period"),
    [
        ("en", "1 January – 31 December 2026"),
        ("nl", "1 januari – 31 december 2026"),
        ("fr", "1 janvier – 31 décembre 2026"),
    ],
)
def test_the_period_is_written_out_with_its_start(lang: str, period: str) -> None:
    for fmt in ("html", "text"):
        written = render(sample_report(), fmt, _lang(lang))
        assert period in written
        assert "2026-12-31" not in written and "…" not in written


@pytest.mark.parametrize(
    ("lang", "period"),
    [
        ("en", "3 March – 31 December 2026 (from the first record)"),
        ("nl", "3 maart – 31 december 2026 (vanaf de eerste gegevens)"),
        ("fr", "3 mars – 31 décembre 2026 (depuis les premières données)"),
    ],
)
def test_an_open_start_begins_with_the_first_record(lang: str, period: str) -> None:
    written = render(sample_report(period_from=None, first_day=date(2026, 3, 3)), "text", _lang(lang))
    assert period in written


def test_a_report_with_nobody_yet_says_until_when() -> None:
    report = Report(None, date(2026, 12, 31), None, [])
    assert "Until 31 December 2026" in render(report, "text", _lang("en"))
    assert "Tot 31 december 2026" in render(report, "text", _lang("nl"))


@pytest.mark.parametrize(
    ("lang", "once", "often", "none"),
    [
        ("en", "Coaching (1 step)", "Volunteer work (30 steps)", "Something else (0 steps)"),
        ("nl", "Coaching (1 stap)", "Vrijwilligerswerk (30 stappen)", "Iets anders (0 stappen)"),
        ("fr", "Coaching (1 étape)", "Volontariat (30 étapes)", "Autre chose (0 étape)"),
    ],
)
def test_steps_are_counted_in_words_said_right(lang: str, once: str, often: str, none: str) -> None:
    steps = Table(
        "steps",
        "Steps per dimension (women who took them; how many steps in brackets)",
        [Cell("coaching", 1, times=1), Cell("volunteer", 12, times=30), Cell("other", 0, times=0)],
    )
    report = Report(date(2026, 1, 1), date(2026, 12, 31), None, [steps])
    for fmt in ("html", "text", "csv"):
        written = render(report, fmt, _lang(lang))
        assert once in written and often in written and none in written
        assert "(1 steps)" not in written


def test_the_steps_of_a_suppressed_cell_are_not_said() -> None:
    written = render(sample_report(), "text", _lang("en"))
    assert re.search(r"^  A job step +<5$", written, re.MULTILINE), written
    assert "(2 steps)" not in written


@pytest.mark.parametrize(("lang", "dari", "arabic"), [("en", "Dari", "Arabic"), ("nl", "Dari", "Arabisch")])
def test_languages_are_named_not_coded(lang: str, dari: str, arabic: str) -> None:
    written = render(sample_report(), "text", _lang(lang))
    assert re.search(rf"^  {dari} +9 ", written, re.MULTILINE)
    assert re.search(rf"^  {arabic} +9 ", written, re.MULTILINE)
    assert "fa_AF" not in written


def test_the_text_report_has_aligned_columns_and_block_bars_but_none_for_a_suppressed_cell() -> None:
    written = render(sample_report(), "text", _lang("en"))
    lines = written.splitlines()
    start = lines.index("Schooling")
    rows = lines[start + 1 : start + 7]
    assert [row.split()[0] for row in rows] == ["No", "Primary", "Secondary", "Higher", "Unknown", "Total"]
    # The counts end in one column.
    ends = {row.index(count) + len(count) for row, count in zip(rows, ["<5", "<5", "7", "6", "0", "18"], strict=True)}
    assert len(ends) == 1, rows
    assert "█" not in rows[0] and "█" not in rows[1] and "█" not in rows[4]
    assert rows[2].count("█") > rows[3].count("█") > 0
    assert "38.9%" in rows[2]


async def test_dari_is_one_row_whether_chosen_to_chat_or_named_as_spoken(db: Database) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    bot = Bot(db, clock)
    coach = await bot.coach("Sara")
    org = await bot.organisation()
    async with db.transaction() as session:
        for n, (locale, spoken) in enumerate([("fa_AF", ["prs"])] * 5 + [("fa_AF", ["prs", "fa_AF"]), ("ar", ["ar"])]):
            made = await create_invite(
                session, clock, bot.invites, role=Role.PARTICIPANT, organisation_id=org, coach_id=coach,
                name=f"Woman{n}", locale=locale,
            )  # fmt: skip
            session.add(
                Profile(
                    person_id=made.person_id, languages=spoken, interests=[], availability=[], updated_at=clock.now()
                )
            )
    async with db.reading() as session:
        report = await build_report(session, now=datetime(2026, 6, 1, tzinfo=UTC))
    tables = {t.key: t for t in report.tables}
    assert [(c.label, c.count) for c in tables["chat_language"].cells] == [("ar", 1), ("fa_AF", 6)]
    assert [(c.label, c.count) for c in tables["languages"].cells] == [("fa_AF", 6), ("ar", 1)]
    for lang in ("en", "fr"):
        written = render(report, "text", _lang(lang))
        assert written.count("Dari") + written.count("dari") == 2  # once in each table
        assert "prs" not in written and "fa_AF" not in written and "Persian" not in written


def test_the_suppression_rule_is_said_in_the_report_language() -> None:
    report = Report(None, date(2026, 6, 1), None, [suppress(Table("t", "Schooling", [Cell("none", 2)], total=2))])
    assert "fewer than 5 women" in render(report, "html", _lang("en"))
    assert "minder dan 5 vrouwen" in render(report, "html", _lang("nl"))
    assert "moins de 5 femmes" in render(report, "html", _lang("fr"))


# -- the command ---


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    return Trampoline(database_url)


def test_the_report_command_writes_html_by_default_and_text_and_csv_when_asked(
    trampoline: Trampoline, tmp_path: Path
) -> None:
    assert trampoline("report").stdout.startswith("<!doctype html>")
    text = trampoline("report", "--format", "text").stdout
    assert text.startswith("Programme report\n")
    assert trampoline("report", "--format", "csv").stdout.startswith("\ufefftable,row,count,percent")
    out = tmp_path / "report.html"
    trampoline("report", "--out", str(out), "--lang", "fr")
    assert "Rapport du programme" in out.read_text(encoding="utf-8")


def test_the_report_speaks_the_organisation_language_unless_told(trampoline: Trampoline) -> None:
    org = trampoline.json("org", "add", "Foyer", "--locale", "fr")["id"]
    assert trampoline("report", "--org", str(org), "--format", "text").stdout.startswith("Rapport du programme\n")
    text = trampoline("report", "--org", str(org), "--format", "text", "--lang", "nl").stdout
    assert text.startswith("Programmarapport\n")
    # An organisation that speaks another language gets English, the report's other language.
    other = trampoline.json("org", "add", "Kapaza", "--locale", "ar")["id"]
    assert trampoline("report", "--org", str(other), "--format", "text").stdout.startswith("Programme report\n")


def test_the_report_command_refuses_a_language_or_organisation_it_does_not_have(trampoline: Trampoline) -> None:
    assert "--lang" in trampoline("report", "--lang", "ar", code=2).stderr
    assert trampoline.error("report", "--org", "99") == "no organisation with id 99"


async def test_a_programme_without_the_demo_shows_its_own_figures(db: Database) -> None:
    """Seven women of a real organisation, and two who tried ``trampoline chat`` in the demo organisation:
    the report counts the seven, with the figures they gave."""
    clock = FakeClock(datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    bot = Bot(db, clock)
    coach = await bot.coach("Sara")
    org = await bot.organisation()
    async with db.transaction() as session:
        demo = await add_organisation(session, clock, DEMO_ORGANISATION, locale="nl", timezone="Europe/Brussels")
        demo_coach = await create_invite(
            session, clock, bot.invites, role=Role.COACH, organisation_id=demo.id, name="Coach Demo"
        )
        for n in range(9):
            in_demo = n >= 7
            made = await create_invite(
                session, clock, bot.invites, role=Role.PARTICIPANT,
                organisation_id=demo.id if in_demo else org,
                coach_id=demo_coach.person_id if in_demo else coach, name=f"W{n}", locale="ti" if n < 5 else "nl",
            )  # fmt: skip
            session.add(
                Profile(
                    person_id=made.person_id,
                    schooling="secondary" if n < 6 else "higher",
                    languages=["ti"],
                    interests=[],
                    availability=[],
                    updated_at=clock.now(),
                )
            )
            session.add(
                CheckIn(
                    person_id=made.person_id, week="2026-W06", mood=4, steps=["coaching"] if n < 1 else ["job"],
                    obstacles=["childcare"], started_at=clock.now(), completed_at=clock.now(),
                )
            )  # fmt: skip
    async with db.reading() as session:
        report = await build_report(session, now=datetime(2026, 6, 1, tzinfo=UTC))
    written = render(report, "text", _lang("nl"))
    lines = [" ".join(line.replace("█", "").split()) for line in written.splitlines()]
    assert "1 februari – 1 juni 2026 (vanaf de eerste gegevens)" not in written  # joined on 2 February
    assert "2 februari – 1 juni 2026 (vanaf de eerste gegevens)" in written
    assert "Vrouwen 7" in lines
    assert DEMO_ORGANISATION not in written
    schooling = lines[lines.index("Scholing") + 1 :][:6]
    assert schooling == [
        "Geen school 0 0,0%",
        "Lagere school 0 0,0%",
        "Middelbare school <5",  # 6, but it would reveal the 1 with higher education
        "Hoger onderwijs <5",
        "Onbekend 0 0,0%",
        "Totaal 7",
    ]
    assert "Tigrinya 7" in lines
    assert "Kinderopvang 7" in lines
    assert "Stap naar werk (6 stappen) 6" in lines
    assert "Coaching <5" in lines  # one step would say how many women


def test_every_label_the_report_borrows_from_the_flows_is_in_the_catalogs() -> None:
    template = {message.id for message in extract_catalog(project_root()) if isinstance(message.id, str)}
    assert set(LABELS.values()) - template == set()
    nl = _lang("nl")
    assert all(nl.gettext(label) != label for label in LABELS.values() if label != "Coaching")
