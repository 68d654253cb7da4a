"""``trampoline people import``: a good file makes pending participants with invites in the coach's caseload;
any bad row imports nothing and names the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import Trampoline

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


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Amina,ar,25_40,yes,yes,primary,no\nFatima,xx-nope,,,,,\n", "line 3, field locale"),
        ("Amina,ar,30_40,,,,\n", "line 2, field age_group"),
        ("Amina,ar,,maybe,,,\n", "line 2, field children"),
        ("Amina,ar,,no,yes,,\n", "line 2, field single_parent"),
        ("Amina,ar,,,,university,\n", "line 2, field schooling"),
        ("Amina,ar,,,,,sometimes\n", "line 2, field ever_paid_job"),
        ("Amina,ar,,,,\n", "line 2: 6 fields, expected 7"),
    ],
)
def test_a_bad_row_imports_nothing_and_names_the_line_and_field(
    trampoline: Trampoline, tmp_path: Path, rows: str, message: str
) -> None:
    org, sara, _ = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    error = trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara))
    assert error.startswith(message)
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []


def test_a_wrong_header_or_a_stranger_coach_is_refused(trampoline: Trampoline, tmp_path: Path) -> None:
    org, sara, _ = _setup(trampoline)
    path = tmp_path / "women.csv"
    path.write_text("name,language\nAmina,ar\n", encoding="utf-8")
    assert trampoline.error("people", "import", str(path), "--org", str(org), "--coach", str(sara)).startswith(
        "line 1: the header must be"
    )
    path.write_text(HEADER + "Amina,ar,,,,,\n", encoding="utf-8")
    other = trampoline.json("org", "add", "Elsewhere")["id"]
    assert "no coach with id" in trampoline.error(
        "people", "import", str(path), "--org", str(other), "--coach", str(sara)
    )
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []
