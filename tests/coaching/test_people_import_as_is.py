"""``trampoline people import`` takes the spreadsheet as the organisation has it (issue 20 §1): comma or
semicolon, a BOM or none, CRLF or LF, the labels the chat and the report print as well as the codes; a file
in another encoding gets one clear line; the same woman twice is refused unless ``--allow-duplicates``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.coaching.importing import HEADER, parse
from bot.core import csv_rows
from bot.people.directory import DomainError
from tests.support.cli import Trampoline

DATA = Path(__file__).resolve().parent.parent / "data"
COLUMNS = ",".join(HEADER)


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    return Trampoline(database_url)


def _setup(trampoline: Trampoline) -> tuple[int, int]:
    org = trampoline.json("org", "add", "Foyer")["id"]
    sara = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Sara")["person_id"]
    return org, sara


def _import(trampoline: Trampoline, path: Path, org: int, coach: int, *more: str) -> list[dict[str, object]]:
    made = trampoline.json("people", "import", str(path), "--org", str(org), "--coach", str(coach), *more)
    rows = made["participants"]
    assert isinstance(rows, list)
    return rows


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("people_excel_be.csv", [(2, "Amina"), (3, "Fatima"), (4, "Hawa B.")]),
        ("people_libreoffice.csv", [(2, "Amina"), (3, "Fatima")]),
        ("people_google_sheets.csv", [(2, "Amina"), (3, "Hawa, B.")]),
    ],
)
def test_a_real_spreadsheet_export_imports(
    trampoline: Trampoline, tmp_path: Path, name: str, expected: list[tuple[int, str]]
) -> None:
    org, sara = _setup(trampoline)
    path = tmp_path / name
    shutil.copy(DATA / name, path)
    rows = _import(trampoline, path, org, sara)
    assert [(r["line"], r["name"]) for r in rows] == expected


def test_the_belgian_excel_export_reads_its_labels_and_dutch_yes_and_no() -> None:
    content = csv_rows.decode((DATA / "people_excel_be.csv").read_bytes())
    rows = [row.model_dump() for _, row in parse(content)]
    assert rows[0] == {"name": "Amina", "locale": "ar", "age_group": "25_40", "children": True,
                       "single_parent": False, "schooling": "primary", "ever_paid_job": False}  # fmt: skip
    assert (rows[1]["age_group"], rows[1]["children"], rows[1]["ever_paid_job"]) == ("41_plus", False, True)
    assert rows[2]["age_group"] == "18_24"  # "18 - 24"


def test_labels_and_yes_no_in_three_languages_are_read_as_the_codes() -> None:
    rows = parse(
        COLUMNS + "\n"
        "A,,41 or older,JA,j,No school,NEE\n"
        "B,,25 - 40,Oui,non,Secondary school,Y\n"
        "C,,41 +,1,0,higher education,N\n"
    )
    assert [(r.age_group, r.children, r.single_parent, r.schooling, r.ever_paid_job) for _, r in rows] == [
        ("41_plus", True, True, "none", False),
        ("25_40", True, False, "secondary", True),
        ("41_plus", True, False, "higher", False),
    ]


def test_a_wrong_choice_lists_the_labels() -> None:
    with pytest.raises(DomainError) as raised:
        parse(COLUMNS + "\nA,,30-40,,,,\n")
    assert str(raised.value) == (
        "line 2, column age_group: '30-40' is not an age group, allowed: 18-24, 25-40, 41+ "
        "(or 18_24, 25_40, 41_plus) or empty"
    )
    with pytest.raises(DomainError) as raised:
        parse(COLUMNS + "\nA,,,,,university,\n")
    assert str(raised.value) == (
        "line 2, column schooling: 'university' is not a schooling level, allowed: No school, Primary school, "
        "Secondary school, Higher education (or none, primary, secondary, higher) or empty"
    )
    with pytest.raises(DomainError) as raised:
        parse(COLUMNS + "\nA,,,misschien,,,\n")
    assert str(raised.value).startswith("line 2, column children: 'misschien' is not yes or no, allowed: yes, no")
    assert "ja, nee" in str(raised.value) and "oui, non" in str(raised.value)


def test_a_semicolon_header_is_sniffed_and_a_semicolon_in_a_comma_file_is_kept() -> None:
    [(_, semicolon)] = parse(COLUMNS.replace(",", ";") + "\nHawa, B.;fr;;;;;\n")
    assert semicolon.name == "Hawa, B."
    [(_, comma)] = parse(COLUMNS + "\nHawa; B.,fr,,,,,\n")
    assert comma.name == "Hawa; B."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((COLUMNS + "\nAmina,,,,,,\n").encode("utf-16"), "the file is UTF-16: save it as CSV UTF-8"),
        ((COLUMNS + "\nAmina,,,,,,\n").encode("utf-16-le"), "the file is UTF-16: save it as CSV UTF-8"),
        (
            (COLUMNS + "\nHélène,,,,,,\n").encode("latin-1"),
            "the file is not UTF-8 (Latin-1 or Windows-1252?): save it as CSV UTF-8",
        ),
    ],
)
def test_a_file_in_another_encoding_gets_one_clear_line(
    trampoline: Trampoline, tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(csv_rows.EncodingError) as raised:
        csv_rows.decode(data)
    assert str(raised.value) == message
    org, sara = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_bytes(data)
    assert trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara)) == message
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []


def test_utf8_with_or_without_a_bom_decodes_to_the_same_text() -> None:
    text = COLUMNS + "\nHélène,,,,,,\n"
    assert csv_rows.decode(text.encode("utf-8")) == csv_rows.decode(("\ufeff" + text).encode("utf-8")) == text


def test_the_same_name_twice_in_the_file_is_refused_naming_both_lines(trampoline: Trampoline, tmp_path: Path) -> None:
    org, sara = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text(COLUMNS + "\nAmina,ar,,,,,\nFatima,,,,,,\n  amina ,,,,,,\n,nl,,,,,\n,nl,,,,,\n", encoding="utf-8")
    assert trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara)) == (
        "line 4, column name: the same name as line 2, allowed: each woman once (--allow-duplicates to import both)"
    )
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []
    rows = _import(trampoline, path, org, sara, "--allow-duplicates")
    assert [r["line"] for r in rows] == [2, 3, 4, 5, 6]  # rows without a name are never duplicates


def test_a_name_already_in_the_organisation_is_refused_naming_her_id(trampoline: Trampoline, tmp_path: Path) -> None:
    org, sara = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text(COLUMNS + "\nAmina,ar,,,,,\n", encoding="utf-8")
    [first] = _import(trampoline, path, org, sara)
    path.write_text(COLUMNS + "\nFatima,,,,,,\nAMINA,,,,,,\n", encoding="utf-8")
    assert trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara)) == (
        f"line 3, column name: the same name as person {first['person_id']} of this organisation, allowed: "
        "each woman once (--allow-duplicates to import both)"
    )
    assert len(trampoline.json("people", "list", "--role", "participant")["people"]) == 1
    # Another organisation may have its own Amina.
    other = trampoline.json("org", "add", "Elsewhere")["id"]
    mona = trampoline.json("invite", "create", "--role", "coach", "--org", str(other), "--name", "Mona")["person_id"]
    assert len(_import(trampoline, path, other, mona)) == 2
    assert len(_import(trampoline, path, org, sara, "--allow-duplicates")) == 2


def test_the_template_is_a_ready_file_that_imports(trampoline: Trampoline, tmp_path: Path) -> None:
    path = tmp_path / "template.csv"
    trampoline("people", "template", "--out", str(path))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + COLUMNS.encode() + b"\r\n")
    assert b";" not in data
    assert len(data.decode("utf-8-sig").splitlines()) == 3  # the header and two examples
    org, sara = _setup(trampoline)
    assert len(_import(trampoline, path, org, sara)) == 2
    printed = trampoline("people", "template").stdout
    assert printed.splitlines()[0] == COLUMNS


def test_the_import_help_shows_the_whole_header(trampoline: Trampoline) -> None:
    help_text = trampoline("people", "import", "--help").stdout
    assert COLUMNS in help_text
