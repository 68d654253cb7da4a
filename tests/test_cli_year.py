"""The coordinator's command line for her year (issue 21): ``steps import`` reads a Belgian spreadsheet as it is,
every row or none with the line and column named; ``steps template``; ``step add`` and ``steps list`` (no note
unless asked); ``trajectory show``, ``set`` and ``end``; ``people import`` with an optional ``started`` column.
Every mistake is one line naming the option or the column, never a traceback."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.coaching import steps_csv
from bot.db.engine import Database
from bot.db.models import AuditEntry, Milestone
from tests.support.cli import Trampoline
from tests.support.harness import TEST_KEY

DATA = Path(__file__).resolve().parent / "data"
PEOPLE = "name,locale,age_group,children,single_parent,schooling,ever_paid_job"


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    trampoline = Trampoline(database_url)
    trampoline.env["TRAMPOLINE_ENCRYPTION_KEYS"] = TEST_KEY
    return trampoline


def _programme(trampoline: Trampoline, tmp_path: Path, *names: str) -> tuple[int, int, list[int]]:
    """An organisation, coaches Sara and Mona, and Sara's women imported by name."""
    org = trampoline.json("org", "add", "Foyer")["id"]
    sara = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Sara")["person_id"]
    mona = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Mona")["person_id"]
    women = tmp_path / "women.csv"
    women.write_text(PEOPLE + "\n" + "".join(f"{name},en,,,,,\n" for name in names), encoding="utf-8")
    made = trampoline.json("people", "import", str(women), "--org", str(org), "--coach", str(sara))["participants"]
    return sara, mona, [row["person_id"] for row in made]


def _steps(trampoline: Trampoline, person: int, *more: str) -> list[dict[str, object]]:
    listed = trampoline.json("steps", "list", "--person", str(person), *more)["steps"]
    assert isinstance(listed, list)
    return listed


def test_a_belgian_excel_steps_file_imports_as_it_is(trampoline: Trampoline, tmp_path: Path, database_url: str) -> None:
    """A BOM, semicolons, CRLF, "naam" over her names, the day first in three ways, Dutch labels in any case,
    "2,5" hours, and the optional level and contract columns."""
    data = (DATA / "steps_excel_be.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data and b"\r\n" in data and b"2,5" in data
    sara, _, (amina, hiba) = _programme(trampoline, tmp_path, "Amina", "Hiba")
    path = tmp_path / "steps.csv"
    shutil.copy(DATA / "steps_excel_be.csv", path)
    assert trampoline("steps", "import", str(path), "--coach", str(sara)).stdout.strip() == "4 milestones imported"
    hers = _steps(trampoline, amina)
    assert [(s["date"], s["milestone"], s["hours"], s["level"], s["source"]) for s in hers] == [
        ("2026-10-02", "language_course_started", None, "A2", "import"),
        ("2026-11-07", "volunteer_hours", 2.5, None, "import"),
    ]
    assert all("note" not in s for s in hers)  # never the note unless asked
    assert [(s["milestone"], s["contract"]) for s in _steps(trampoline, hiba)] == [
        ("cv_ready", None),
        ("paid_job", "social_economy"),
    ]
    shown = trampoline("steps", "list", "--person", str(amina)).stdout
    assert "07/11/2026" in shown and "⏱️ Volunteer hours" in shown and "2.5 h" in shown and "Sara" in shown
    assert "Kringwinkel" not in shown and "2026-11-07" not in shown
    noted = _steps(trampoline, amina, "--with-notes")
    assert [s["note"] for s in noted] == [None, "Kringwinkel, zaterdag"]
    assert trampoline.json("trajectory", "show", "--person", str(amina))["volunteer_hours"] == 2.5

    async def stored() -> tuple[list[str | None], list[str]]:
        db = Database(database_url)
        try:
            async with db.reading() as session:
                notes = list(await session.scalars(select(Milestone.note_ciphertext).order_by(Milestone.id)))
                actions = list(await session.scalars(select(AuditEntry.action)))
                return notes, actions
        finally:
            await db.dispose()

    notes, actions = asyncio.run(stored())
    assert notes[0] is not None and "Kringwinkel" not in notes[0]  # encrypted at rest
    assert actions.count("admin.read_milestone_notes") == 1  # reading the notes is in the access log


HEADER = "person_id,milestone,date,hours,note\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Amina,cv ready,01/12/2026,,\nAmina,job,01/12/2026,,\n",
         "line 3, column milestone: 'job' is not a milestone, allowed: a milestone"),
        ("Amina,cv_ready,01/12/2026,3,\n", "line 2, column hours: only for volunteer_hours, allowed: "),
        ("Amina,volunteer hours,01/12/2026,,\n", "line 2, column hours: volunteer_hours needs a number of hours"),
        ("Amina,volunteer_hours,01/12/2026,twee,\n", "line 2, column hours: 'twee' is not a number of hours"),
        ("Amina,cv_ready,31/02/2026,,\n", "line 2, column date: '31/02/2026' is not a date, write it as 12/12/2026"),
        ("Amina,cv_ready,12/31/2026,,\n", "line 2, column date: '12/31/2026' is not a date"),
        ("Amina,cv_ready,FUTURE,,\n", "line 2, column date: in the future"),
        ("Zahra,cv_ready,01/12/2026,,\n", "line 2, column person_id: no participant of this coach's caseload is "
         "called 'Zahra'"),
        ("Amina,cv_ready,01/12/2026,,\n\n2,cv_ready,01/12/2026,,\n", "line 4, column person_id: "),
    ],
)  # fmt: skip
def test_a_bad_row_imports_nothing_and_names_the_line_and_column(
    trampoline: Trampoline, tmp_path: Path, rows: str, message: str
) -> None:
    sara, _, (amina,) = _programme(trampoline, tmp_path, "Amina")
    path = tmp_path / "steps.csv"
    future = f"{date.today() + timedelta(days=3):%d/%m/%Y}"
    path.write_text(HEADER + rows.replace("FUTURE", future), encoding="utf-8")
    assert trampoline.error("steps", "import", str(path), "--coach", str(sara)).startswith(message)
    assert _steps(trampoline, amina) == []


def test_the_optional_columns_are_checked_and_a_wrong_header_is_named(trampoline: Trampoline, tmp_path: Path) -> None:
    sara, _, (amina,) = _programme(trampoline, tmp_path, "Amina")
    path = tmp_path / "steps.csv"
    path.write_text(HEADER.strip() + ",contract\nAmina,paid job,01/12/2026,,,full time\n", encoding="utf-8")
    assert trampoline("steps", "import", str(path)).stdout.strip() == "1 milestone imported"
    assert [s["contract"] for s in _steps(trampoline, amina)] == ["full_time"]
    for content, message in [
        (HEADER.strip() + ",contract\nAmina,cv_ready,01/12/2026,,,voltijds\n", "line 2, column contract: only for "),
        (HEADER.strip() + ",level\nAmina,paid_job,01/12/2026,,,B1\n", "line 2, column level: only for a language"),
        (HEADER.strip() + ",level\nAmina,Taalcursus afgerond,01/12/2026,,,D4\n", "line 2, column level: 'D4' is "),
        (HEADER.strip() + ",contract\nAmina,paid_job,01/12/2026,,,forever\n", "line 2, column contract: 'forever'"),
        ("person_id,step,date,hours,note\n", "line 1, column milestone: 'step' is not the header's milestone"),
        (HEADER.strip() + ",remarks\nAmina,cv_ready,01/12/2026,,,x\n", "line 1, column 6: a column past the last"),
    ]:
        path.write_text(content, encoding="utf-8")
        assert trampoline.error("steps", "import", str(path), "--coach", str(sara)).startswith(message), content
    assert len(_steps(trampoline, amina)) == 1


def test_her_name_must_be_one_and_a_note_needs_the_key(trampoline: Trampoline, tmp_path: Path) -> None:
    sara, mona, (first, second) = _programme(trampoline, tmp_path, "Amina", "Hawa")
    org = 1
    again = tmp_path / "again.csv"
    again.write_text(PEOPLE + "\nAmina,ar,,,,,\n", encoding="utf-8")
    [other] = trampoline.json(
        "people", "import", str(again), "--org", str(org), "--coach", str(mona), "--allow-duplicates"
    )["participants"]
    path = tmp_path / "steps.csv"
    path.write_text("name,milestone,date,hours,note\namina,cv_ready,01/12/2026,,\n", encoding="utf-8")
    assert trampoline.error("steps", "import", str(path)) == (
        f"line 2, column name: 'amina' is {first} or {other['person_id']}; write her id, allowed: "
        + steps_csv.StepRow.model_fields["person_id"].description
    )
    assert trampoline("steps", "import", str(path), "--coach", str(sara)).stdout.strip() == "1 milestone imported"
    path.write_text(f"participant,milestone,date,hours,note\n{second},cv_ready,01/12/2026,,her own words\n")
    keyless = Trampoline(trampoline.env["TRAMPOLINE_DATABASE_URL"])
    assert "line 2, column note: a note needs the encryption key" in keyless.error("steps", "import", str(path))
    assert "caseload" in trampoline.error("steps", "import", str(path), "--coach", str(mona))
    assert _steps(trampoline, second) == []


def test_the_template_is_a_ready_file_that_imports(trampoline: Trampoline, tmp_path: Path) -> None:
    out = tmp_path / "steps.csv"
    trampoline("steps", "template", "--out", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(steps_csv.HEADER).encode() + b"\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3 and all(not row[0].isdigit() for row in rows[1:])  # her name, as a coordinator writes it
    sara, _, _ = _programme(trampoline, tmp_path, *(row[0] for row in rows[1:]))
    assert trampoline("steps", "import", str(out), "--coach", str(sara)).stdout.strip() == "2 milestones imported"
    assert trampoline("steps", "template").stdout.splitlines()[0] == ",".join(steps_csv.HEADER)
    shown = trampoline("steps", "import", "--help").stdout.replace("│", "").replace(" ", "").replace("\n", "")
    assert ",".join(steps_csv.REQUIRED) in shown and "level,contract" in shown


NOT_A_DATE = "--date: '31/02/2027' is not a date, write it as 12/12/2026"


def test_step_add_and_every_mistake_in_one_line_naming_the_option(trampoline: Trampoline, tmp_path: Path) -> None:
    sara, mona, (amina,) = _programme(trampoline, tmp_path, "Amina")
    who = str(amina)
    added = trampoline.json("step", "add", "--person", who, "--milestone", "Vrijwilligersuren", "--hours", "2,5",
                            "--date", "1-12-2026", "--note", "in de Kringwinkel", "--coach", str(sara))  # fmt: skip
    assert (added["milestone"], added["date"], added["source"]) == ("volunteer_hours", "2026-12-01", "coach")
    done = trampoline("steps", "add", "--person", who, "--milestone", "EMPLOI REMUNERE", "--contract", "artikel 60")
    assert "💼 Paid job" in done.stdout
    listed = _steps(trampoline, amina, "--with-notes")
    assert [(s["source"], s["recorded_by"], s["note"]) for s in listed] == [
        ("coach", f"coach Sara ({sara})", "in de Kringwinkel"),
        ("import", "import", None),
    ]
    assert listed[1]["date"] == date.today().isoformat() or listed[1]["date"] > listed[0]["date"]
    future = f"{date.today() + timedelta(days=3):%d/%m/%Y}"
    for args, message in [
        (("--milestone", "cv ready", "--date", "31/02/2027"), NOT_A_DATE),
        (("--milestone", "job"), "--milestone: 'job' is not a milestone, allowed: first_shift, volunteer_hours"),
        (("--milestone", "cv klaar", "--hours", "3"), "--hours: only for volunteer_hours"),
        (("--milestone", "volunteer_hours", "--hours", "veel"), "--hours: 'veel' is not a number of hours"),
        (("--milestone", "volunteer_hours"), "--hours: volunteer_hours needs a number of hours"),
        (("--milestone", "taalcursus begonnen", "--level", "Z9"), "--level: 'Z9' is not a level"),
        (("--milestone", "paid_job", "--contract", "forever"), "--contract: 'forever' is not a contract kind"),
        (("--milestone", "cv_ready", "--date", future), f"--date: {future} is in the future"),
        (("--milestone", "cv_ready", "--coach", str(mona)), "caseload"),
    ]:
        assert message in trampoline.error("step", "add", "--person", who, *args), args
    cv = ("--milestone", "cv ready")
    assert "--person: 99 is not a participant" in trampoline.error("step", "add", "--person", "99", *cv)
    keyless = Trampoline(trampoline.env["TRAMPOLINE_DATABASE_URL"])
    assert keyless.error("step", "add", "--person", who, *cv, "--note", "x").startswith("--note: ")
    assert keyless.error("steps", "list", "--person", who, "--with-notes").startswith("--with-notes: ")
    assert "Paid job" in keyless("steps", "list", "--person", who).stdout  # the path needs no key
    assert len(_steps(trampoline, amina)) == 2


def test_her_trajectory_shown_set_and_ended(trampoline: Trampoline, tmp_path: Path) -> None:
    _, _, (amina, hawa) = _programme(trampoline, tmp_path, "Amina", "Hawa")
    who = str(amina)
    shown = trampoline.json("trajectory", "show", "--person", who)
    assert (shown["status"], shown["started_on"], shown["volunteer_hours"]) == ("active", date.today().isoformat(), 0)
    assert trampoline.json("trajectory", "set", "--person", who, "--started", "01/09/2026")["planned_end_on"] == (
        "2027-09-01"
    )
    human = trampoline("trajectory", "show", "--person", who).stdout
    assert "started:         01/09/2026" in human and "planned end:     01/09/2027" in human
    assert trampoline.error("trajectory", "set", "--person", who, "--started", "2026-02-30") == (
        "--started: '2026-02-30' is not a date, write it as 12/12/2026"
    )
    assert trampoline.error("trajectory", "end", "--person", who) == "give either --completed or --left REASON"
    assert trampoline.error("trajectory", "end", "--person", who, "--left", "bored").startswith(
        "--left: 'bored' is not a reason for leaving, allowed: found_work, moved, health, childcare, no_contact, other"
    )
    assert trampoline.error("trajectory", "end", "--person", who, "--completed", "--date", "01/08/2026").startswith(
        "--date: the end is before the start"
    )
    ended = trampoline.json("trajectory", "end", "--person", who, "--left", "Werk gevonden", "--date", "1/12/2026")
    assert (ended["status"], ended["left_reason"], ended["ended_on"]) == ("left", "found_work", "2026-12-01")
    assert "left on 01/12/2026 (found_work)" in trampoline("trajectory", "show", "--person", who).stdout
    done = trampoline("trajectory", "end", "--person", str(hawa), "--completed").stdout
    assert "completed" in done
    assert "--person: 99 is not a participant" in trampoline.error("trajectory", "show", "--person", "99")


def test_people_import_takes_the_day_she_began(trampoline: Trampoline, tmp_path: Path) -> None:
    org = trampoline.json("org", "add", "Foyer")["id"]
    sara = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Sara")["person_id"]
    path = tmp_path / "women.csv"
    future = f"{date.today() + timedelta(days=3):%d/%m/%Y}"
    path.write_text(f"{PEOPLE},started\nAmina,ar,,,,,,1/9/2026\nHawa,,,,,,,{future}\n", encoding="utf-8")
    args = ("people", "import", str(path), "--org", str(org), "--coach", str(sara))
    assert trampoline.error(*args).startswith("line 3, column started: in the future, allowed: empty (today)")
    assert trampoline.json("people", "list", "--role", "participant")["people"] == []
    path.write_text(f"{PEOPLE};started\n".replace(",", ";") + "Amina;ar;;;;;;1/9/2026\nHawa;;;;;;;\n")
    amina, hawa = (row["person_id"] for row in trampoline.json(*args)["participants"])
    started = trampoline.json("trajectory", "show", "--person", str(amina))
    assert (started["started_on"], started["planned_end_on"]) == ("2026-09-01", "2027-09-01")
    assert trampoline.json("trajectory", "show", "--person", str(hawa))["started_on"] == date.today().isoformat()
    path.write_text(f"{PEOPLE},started\nZahra,,,,,,,31/02/2026\n")
    assert trampoline.error(*args).startswith("line 2, column started: '31/02/2026' is not a date")
    assert "started" in trampoline("people", "import", "--help").stdout


def test_the_groups_are_listed_once() -> None:
    shown = Trampoline("sqlite+aiosqlite://")("--help").stdout
    assert " steps " in shown and " trajectory " in shown and " step " not in shown
    group = Trampoline("sqlite+aiosqlite://")("step", "--help").stdout
    for command in ("import", "template", "add", "list"):
        assert f" {command} " in group
