"""``trampoline people import``: a good file makes pending participants with invites in the coach's caseload;
any bad row imports nothing and names the line and the column, always as
``line N, column C: what is wrong, allowed: what is allowed``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.coaching.importing import ParticipantRow, parse
from bot.core import csv_rows
from bot.people.directory import DomainError
from tests.support.cli import Trampoline

HEADER = "name,locale,age_group,children,single_parent,schooling,ever_paid_job\n"


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    return Trampoline(database_url)


def _setup(trampoline: Trampoline) -> tuple[int, int, int]:
    org = trampoline.json("org", "add", "Foyer")["id"]
    sara = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Sara")["person_id"]
    mona = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Mona")["person_id"]
    return org, sara, mona


def test_a_good_file_makes_pending_participants_with_invites(trampoline: Trampoline, tmp_path: Path) -> None:
    org, sara, _ = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text(
        "\ufeff" + HEADER + 'Amina,ar,25_40,yes,yes,primary,no\nFatima,,,,,,\n"Hawa, B.",fr,41_plus,no,,higher,yes\n',
        encoding="utf-8",
    )
    made = trampoline.json("people", "import", str(path), "--org", str(org), "--coach", str(sara))
    rows = made["participants"]
    assert [(r["line"], r["name"]) for r in rows] == [(2, "Amina"), (3, "Fatima"), (4, "Hawa, B.")]
    assert all(len(r["code"]) == 12 for r in rows)
    people = trampoline.json("people", "list", "--org", str(org), "--role", "participant")["people"]
    assert [(p["name"], p["status"], p["locale"]) for p in people] == [
        ("Amina", "invited", "ar"),
        ("Fatima", "invited", "nl"),
        ("Hawa, B.", "invited", "fr"),
    ]
    # In her caseload as "not yet on the bot", and counted in the programme from today.
    summary = trampoline("summary", "--coach", str(sara)).stdout
    assert summary.count("✉️") == 3
    report = json.loads(trampoline("report", "--format", "json").stdout)
    [coached] = [t for t in report["tables"] if t["key"] == "participants"]
    assert coached["rows"] == [{"label": "participants", "count": None, "percent": None}]  # 3: fewer than 5


YES_NO = "yes, no (or ja, nee, oui, non, y, j, n, true, false, 1, 0, in any case) or empty"
LANGUAGES = "empty or a language the bot knows: nl, fr, en, ar, tr, fa_AF, ps, ti, so, uk, ru"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "Amina,ar,25_40,yes,yes,primary,no\nFatima,xx-nope,,,,,\n",
            f"line 3, column locale: 'xx-nope' is not a language the bot knows, allowed: {LANGUAGES}",
        ),
        (
            "Amina,ar,30_40,,,,\n",
            "line 2, column age_group: '30_40' is not an age group, allowed: 18-24, 25-40, 41+ (or 18_24, 25_40, "
            "41_plus) or empty",
        ),
        ("Amina,ar,,maybe,,,\n", f"line 2, column children: 'maybe' is not yes or no, allowed: {YES_NO}"),
        (
            "Amina,ar,,no,yes,,\n",
            f"line 2, column single_parent: yes, but children is no, allowed: {YES_NO}; not yes when children is no",
        ),
        (
            "Amina,ar,,,,university,\n",
            "line 2, column schooling: 'university' is not a schooling level, allowed: No school, Primary school, "
            "Secondary school, Higher education (or none, primary, secondary, higher) or empty",
        ),
        (
            "Amina,ar,,,,,sometimes\n",
            f"line 2, column ever_paid_job: 'sometimes' is not yes or no, allowed: {YES_NO}",
        ),
        (
            "Amina,ar,,,,\n",
            "line 2, column ever_paid_job: missing (6 values), allowed: 7 values, one per column",
        ),
    ],
)
def test_a_bad_row_imports_nothing_and_names_the_line_and_column(
    trampoline: Trampoline, tmp_path: Path, rows: str, message: str
) -> None:
    org, sara, _ = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    error = trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara))
    assert error == message
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "A" * 101 + ",ar,,,,,\n",
            "line 2, column name: longer than 100 characters, allowed: empty or a name of at most 100 characters",
        ),
        ("Amina,ar,,,,,,\n", "line 2, column 8: 8 values, allowed: 7 values, one per column"),
        # A quoted line break: the bad row is on line 4 of the file, the second row of participants.
        ('"Amina\nB.",ar,,,,,\nFatima,,41,,,,\n', "line 4, column age_group: '41' is not an age group"),
        ("Amina,ar,,,,,\n\nFatima,,,,,primary,y\n,,,,,,\nHawa,nl,,,,,misschien\n", "line 6, column ever_paid_job: "),
        ("\n\n", "line 4, column name: no participants after the header, allowed: at least one row after the header"),
    ],
)
def test_every_error_names_the_line_of_the_file_and_the_column(rows: str, message: str) -> None:
    with pytest.raises(DomainError) as raised:
        parse(HEADER + rows)
    assert str(raised.value).startswith(message)
    assert re.fullmatch(r"line \d+, column [a-z_0-9]+: [^\n]+, allowed: [^\n]+", str(raised.value))


def test_an_empty_file_or_a_wrong_header_says_what_the_first_line_must_be() -> None:
    columns = HEADER.strip()
    for content, message in [
        ("", f"line 1, column name: the file is empty, allowed: a first line with the header {columns}"),
        (
            "name,locale,age,children\n",
            f"line 1, column age_group: 'age' is not the header's age_group, allowed: exactly the header {columns}",
        ),
        (
            HEADER.strip() + ",notes\n",
            f"line 1, column 8: a column past the last, allowed: exactly the header {columns}",
        ),
    ]:
        with pytest.raises(DomainError) as raised:
            parse(content)
        assert str(raised.value) == message


def test_a_file_with_more_rows_than_allowed_is_refused_at_the_first_row_too_many() -> None:
    with pytest.raises(csv_rows.RowError) as raised:
        csv_rows.read(
            HEADER + "A,,,,,,\n\nB,,,,,,\nC,,,,,,\n", ParticipantRow, what="test", rows_called="women", max_rows=2
        )
    assert str(raised.value) == "line 5, column name: more than 2 women, allowed: at most 2 in one file; split it"


def test_the_accepted_values_are_those_of_the_intake() -> None:
    rows = parse(HEADER + "  Amina   B. ,AR,18_24,Y,TRUE,none,0\n,fa-af,,1,n,,False\n")
    assert [(line, row.model_dump()) for line, row in rows] == [
        (2, {"name": "Amina B.", "locale": "ar", "age_group": "18_24", "children": True, "single_parent": True,
             "schooling": "none", "ever_paid_job": False}),
        (3, {"name": None, "locale": "fa_AF", "age_group": None, "children": True, "single_parent": False,
             "schooling": None, "ever_paid_job": False}),
    ]  # fmt: skip


def test_a_wrong_header_or_a_stranger_coach_is_refused(trampoline: Trampoline, tmp_path: Path) -> None:
    org, sara, _ = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text("name,language\nAmina,ar\n", encoding="utf-8")
    assert trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara)) == (
        "line 1, column locale: 'language' is not the header's locale, allowed: exactly the header " + HEADER.strip()
    )
    path.write_text(HEADER + "Amina,ar,,,,,\n", encoding="utf-8")
    other = trampoline.json("org", "add", "Elsewhere")["id"]
    assert "no coach with id" in trampoline.error(
        "people", "import", str(path), "--org", str(other), "--coach", str(sara)
    )
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []
