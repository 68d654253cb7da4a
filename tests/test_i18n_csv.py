"""The spreadsheet round trip for volunteer translators: ``trampoline i18n export-csv`` / ``import-csv``."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.conversation.check import slots_by_msgid
from bot.conversation.review import MACHINE_DRAFTED, is_machine_drafted
from bot.conversation.wording import GenderedText
from bot.core.i18n import SUPPORTED_LOCALES
from bot.core.paths import project_root
from bot.translation.spreadsheet import COLUMNS, CsvError, catalog_path, entry_id, export_csv, import_csv
from tests.support.harness import conversations

FLOWS, _ = conversations()
SLOTS = slots_by_msgid(FLOWS)
TRANSLATED = [code for code in SUPPORTED_LOCALES if code != "en"]


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the shipped catalogs: the tests never touch the real ones."""
    copy = tmp_path / "locales"
    shutil.copytree(project_root() / "locales", copy)
    return copy


def trampoline(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def read_rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def write_rows(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> None:
    """As a spreadsheet program saves it: UTF-8 with a byte order mark, CRLF line ends."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def catalog(locales: Path, locale: str) -> Any:
    with catalog_path(locales, locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def row_for(rows: list[dict[str, str]], source: str, context: str = "") -> dict[str, str]:
    return next(row for row in rows if row["source"] == source and row["context"] == context)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_a_round_trip_without_edits_changes_nothing(locales: Path, tmp_path: Path, locale: str) -> None:
    po = catalog_path(locales, locale)
    before = po.read_bytes()
    sheet = tmp_path / f"{locale}.csv"
    rows = export_csv(po, sheet, locale, SLOTS)
    entries = [m for m in catalog(locales, locale) if m.id]
    plural = sum(1 for m in entries if not isinstance(m.id, str))
    assert rows == len(entries) - plural + plural * catalog(locales, locale).num_plurals
    result = import_csv(po, sheet, locale, SLOTS)
    assert (result.changed, result.reviewed) == (0, 0)
    assert po.read_bytes() == before
    # Saved again by a spreadsheet program (CRLF, semicolons as in a Belgian Excel): still nothing changes.
    write_rows(sheet, read_rows(sheet), delimiter=";")
    import_csv(po, sheet, locale, SLOTS)
    assert po.read_bytes() == before


def test_the_spreadsheet_opens_in_excel_and_explains_each_row(locales: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "ru.csv"
    trampoline("i18n", "export-csv", "ru", str(sheet), "--locales", str(locales))
    data = sheet.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark: Excel reads UTF-8
    rows = read_rows(sheet)
    assert list(rows[0]) == list(COLUMNS)
    assert all(re.fullmatch(r"t[0-9a-f]{8}(\[[0-2]\])?", row["id"]) for row in rows)  # never read as a number
    yes = row_for(rows, "Yes")
    assert yes["translation"] == "Да"
    assert yes["note"].startswith(MACHINE_DRAFTED) and "button: at most 18 characters" in yes["note"]
    assert "separated by |" in row_for(rows, "stop", "command")["note"]
    plural = [row for row in rows if row["id"].endswith(("[0]", "[1]", "[2]")) and "{steps_labels}" in row["source"]]
    assert [row["id"][-3:] for row in plural] == ["[0]", "[1]", "[2]"]
    assert "for 1, 21, 31" in plural[0]["note"] and "for 2, 3, 4, 22" in plural[1]["note"]
    assert "for 0, 5, 6" in plural[2]["note"]
    assert plural[0]["source"].endswith("step. Well done! 🌟")
    assert "keep {steps_labels} {steps_total}" in plural[0]["note"]
    explain = FLOWS.flow("help").step("explain").say
    assert isinstance(explain, GenderedText)  # it speaks of her coach (decision 0016)
    multiline = row_for(rows, explain.text)
    assert multiline["translation"].count("\n") == multiline["source"].count("\n") == 11


def test_an_edit_marked_reviewed_loses_the_machine_drafted_mark(locales: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "uk.csv"
    trampoline("i18n", "export-csv", "uk", str(sheet), "--locales", str(locales))
    rows = read_rows(sheet)
    row_for(rows, "Do you have children?").update(translation="Чи є у вас діти?", note="reviewed by Olena")
    row_for(rows, "No").update(note="Reviewed")  # checked, kept as it was
    row_for(rows, "Okay").update(translation="Так собі")  # changed, but not marked reviewed
    plural = [row for row in rows if "{steps_labels}" in row["source"]]
    plural[1]["translation"] = plural[1]["translation"].replace("Чудово!", "Молодець!")
    write_rows(sheet, rows)
    result = trampoline("i18n", "import-csv", "uk", str(sheet), "--locales", str(locales))
    assert "3 translations changed, 2 entries marked reviewed" in result.stdout
    after = catalog(locales, "uk")
    children, no, okay = after.get("Do you have children?"), after.get("No"), after.get("Okay")
    assert children.string == "Чи є у вас діти?" and not is_machine_drafted(children)
    assert no.string == "Ні" and not is_machine_drafted(no)
    assert okay.string == "Так собі" and is_machine_drafted(okay)
    forms = after.get(plural[1]["source"].replace("steps.", "step.")).string
    assert "Молодець!" in forms[1] and "Чудово!" in forms[0] and "Чудово!" in forms[2]
    untouched = [m for m in after if m.id and m.id not in ("Do you have children?", "No")]
    assert all(is_machine_drafted(m) for m in untouched)


def test_an_entry_id_is_stable_and_names_the_context(locales: Path) -> None:
    uk = catalog(locales, "uk")
    assert entry_id(uk.get("stop", context="command")) != entry_id(uk.get("Okay"))
    assert entry_id(uk.get("Okay")) == entry_id(catalog(locales, "ru").get("Okay"))


@pytest.mark.parametrize(
    ("source", "translation", "problem"),
    [
        ("Hello {name}! How are you this week?", "Вітаю! Як справи?", "the placeholders must be the same"),
        ("Hello {name}! How are you this week?", "Вітаю, {імʼя}!", "the placeholders must be the same"),
        ("Do you have children?", "Діти? {", "the placeholders must be the same"),
        ("Yes", "Так, звичайно, я згодна", "is 25 characters with its emoji, at most 20"),
        ("Working with children", "Робота з дітьми та підлітками", "at most 24"),
    ],
)
def test_a_bad_row_imports_nothing_and_names_the_row(
    locales: Path, tmp_path: Path, source: str, translation: str, problem: str
) -> None:
    sheet = tmp_path / "uk.csv"
    trampoline("i18n", "export-csv", "uk", str(sheet), "--locales", str(locales))
    rows = read_rows(sheet)
    row_for(rows, "Do you want to stop all messages from me?").update(translation="Зупинити все?", note="reviewed")
    bad = row_for(rows, source)
    bad.update(translation=translation)
    write_rows(sheet, rows)
    before = catalog_path(locales, "uk").read_bytes()
    result = trampoline("i18n", "import-csv", "uk", str(sheet), "--locales", str(locales), code=1)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: row {rows.index(bad) + 2}: ")
    assert problem in line and "nothing was imported" in line
    assert catalog_path(locales, "uk").read_bytes() == before  # the good row did not come in either


def test_an_unknown_id_is_refused(locales: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "tr.csv"
    export_csv(catalog_path(locales, "tr"), sheet, "tr", SLOTS)
    rows = read_rows(sheet)
    rows[4]["id"] = "tdeadbeef"
    plural = next(row for row in rows[5:] if row["id"].endswith("[1]"))  # a plural after the bad id
    plural["id"] = plural["id"].replace("[1]", "[2]")  # Turkish has two forms: [0] and [1]
    write_rows(sheet, rows)
    with pytest.raises(CsvError) as error:
        import_csv(catalog_path(locales, "tr"), sheet, "tr", SLOTS)
    message = str(error.value)
    assert message.startswith("row 6: unknown id 'tdeadbeef' (and 1 more problem)")


def test_a_file_that_is_not_utf8_is_refused_in_one_line(locales: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "fr.csv"
    sheet.write_bytes("id,context,source,translation,note\r\nabc,,Oui,Oui là-bas,\r\n".encode("cp1252"))
    result = trampoline("i18n", "import-csv", "fr", str(sheet), "--locales", str(locales), code=1)
    assert "CSV UTF-8" in result.stderr


def test_english_has_no_catalog_to_translate(tmp_path: Path) -> None:
    result = trampoline("i18n", "export-csv", "en", str(tmp_path / "en.csv"), code=1)
    assert "English is the source language" in result.stderr


def test_the_reviewed_column_marks_what_she_checked_and_i18n_status_counts_it(locales: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "ar.csv"
    trampoline("i18n", "export-csv", "ar", str(sheet), "--locales", str(locales))
    rows = read_rows(sheet)
    assert "reviewed" in rows[0] and not any(row["reviewed"] for row in rows)
    row_for(rows, "Do you have children?")["reviewed"] = "yes"
    row_for(rows, "No")["reviewed"] = "x"
    write_rows(sheet, rows)
    result = trampoline("i18n", "import-csv", "ar", str(sheet), "--locales", str(locales))
    assert "0 translations changed, 2 entries marked reviewed" in result.stdout
    after = catalog(locales, "ar")
    children = after.get("Do you have children?")
    assert not is_machine_drafted(children)
    assert any(re.fullmatch(r"reviewed sha1:[0-9a-f]{8}", c) for c in children.user_comments)
    # Exported again, the two rows say "yes"; the rest is empty.
    trampoline("i18n", "export-csv", "ar", str(sheet), "--locales", str(locales))
    assert sorted(row["source"] for row in read_rows(sheet) if row["reviewed"] == "yes") == [
        "Do you have children?",
        "No",
    ]
    status = json.loads(trampoline("i18n", "status", "--json", "--locales", str(locales)).stdout)
    ar = next(row for row in status["languages"] if row["locale"] == "ar")
    assert ar["reviewed"] == 2 and ar["stale"] == 0
    assert ar["machine_drafted"] == ar["entries"] - 2 and ar["translated"] == ar["entries"]


def test_a_review_in_poedit_is_stamped_with_the_hash_of_the_english(locales: Path) -> None:
    path = catalog_path(locales, "tr")
    with path.open("rb") as handle:
        tr = read_po(handle, locale="tr")
    tr.get("No").user_comments = []  # she deleted the machine-drafted comment in Poedit
    with path.open("wb") as handle:
        write_po(handle, tr, width=100, sort_by_file=True)
    assert (
        "tr: 1 entries marked reviewed" in trampoline("i18n", "mark-reviewed", "tr", "--locales", str(locales)).stdout
    )
    assert (
        "tr: 0 entries marked reviewed" in trampoline("i18n", "mark-reviewed", "tr", "--locales", str(locales)).stdout
    )
    status = json.loads(trampoline("i18n", "status", "--json", "--locales", str(locales)).stdout)
    assert next(row for row in status["languages"] if row["locale"] == "tr")["reviewed"] == 1
