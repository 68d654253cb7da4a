"""What a coach created can be managed (issue 20, point 2): one ``shift`` group (add, import, list, cancel,
template), a shift cancelled by her coach is told to her in her language (English and Arabic, right to left)
with the reason and no reminder follows; ``shift list`` shows her name and human times in her time zone."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.coaching import shifts, shifts_csv
from bot.core.clock import FakeClock
from bot.core.timing import read_moment
from bot.db.engine import Database
from bot.db.models import Nudge, NudgeStatus, ShiftStatus, VolunteerShift
from bot.people.directory import DomainError
from tests.support.harness import TEST_KEY
from tests.support.programme import Programme

LOCALES = ["en", "ar"]
START = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Wednesday 14:00 in Brussels
END = START + timedelta(hours=3)
EVENING_BEFORE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


async def add(p: Programme, coach: int, participant: int, start: datetime = START, place: str = "Kringwinkel") -> int:
    async with p.db.transaction() as session:
        entry = shifts.ShiftInput(participant, place, "Rue Haute 5", start, start + timedelta(hours=3), "Els")
        return (await shifts.add_shift(session, coach, entry, p.clock.now())).id


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_shift_her_coach_cancels_is_told_in_her_language_and_never_reminded(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    amina = await p.participant("Amina", locale, coach)
    shift_id = await add(p, coach, amina)
    async with db.transaction() as session:
        cancelled = await shifts.cancel_by_coach(session, p.bot.service, coach, shift_id, "closed", clock.now())
    assert cancelled.status is ShiftStatus.CANCELLED and cancelled.cancel_reason == "coach:closed"
    await p.dispatch()
    told = p.new(amina)
    assert len(told) == 2, [m.text for m in told]
    assert "Kringwinkel" in told[0].text
    assert all(m.right_to_left is (locale == "ar") for m in told)
    if locale == "en":
        assert "will not take place" in told[0].text and "closed that day" in told[1].text
    else:
        assert "will not take place" not in told[0].text and "closed" not in told[1].text
    clock.set(EVENING_BEFORE)
    await p.tick()
    clock.set(START - timedelta(hours=2))
    await p.tick()
    clock.set(END + timedelta(hours=2))
    await p.tick()
    assert p.new(amina) == [] and await p.alerts() == []
    async with db.reading() as session:
        pending = await session.scalars(select(Nudge).where(Nudge.status == NudgeStatus.PENDING))
        assert list(pending) == []


async def test_only_her_own_coach_cancels_and_only_once_with_a_known_reason(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    sara, nadia = await p.coach("Sara"), await p.coach("Nadia")
    amina = await p.participant("Amina", "ti", sara)
    shift_id = await add(p, sara, amina)
    with pytest.raises(DomainError, match="caseload"):
        async with db.transaction() as session:
            await shifts.cancel_by_coach(session, p.bot.service, nadia, shift_id, "closed", clock.now())
    with pytest.raises(DomainError, match="closed, not-needed, moved, other"):
        async with db.transaction() as session:
            await shifts.cancel_by_coach(session, p.bot.service, sara, shift_id, "because", clock.now())
    async with db.transaction() as session:
        await shifts.cancel_by_coach(session, p.bot.service, sara, shift_id, "moved", clock.now())
    with pytest.raises(DomainError, match="already cancelled"):
        async with db.transaction() as session:
            await shifts.cancel_by_coach(session, p.bot.service, sara, shift_id, "other", clock.now())
    await p.dispatch()
    assert len(p.new(amina)) == 2  # told once, in Tigrinya


async def test_a_shift_that_has_started_cannot_be_cancelled(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    sara = await p.coach()
    amina = await p.participant("Amina", "en", sara)
    shift_id = await add(p, sara, amina)
    clock.set(START + timedelta(minutes=5))
    with pytest.raises(DomainError, match="has started"):
        async with db.transaction() as session:
            await shifts.cancel_by_coach(session, p.bot.service, sara, shift_id, "closed", clock.now())


async def test_the_list_is_hers_in_a_window_with_names_and_her_times(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    sara, nadia = await p.coach("Sara"), await p.coach("Nadia")
    amina, hiba = await p.participant("Amina", "en", sara), await p.participant("Hiba", "ar", sara)
    other = await p.participant("Lina", "en", nadia)
    first = await add(p, sara, amina)
    second = await add(p, sara, hiba, START + timedelta(days=7), "Oxfam")
    await add(p, nadia, other)
    async with db.reading() as session:
        everything = await shifts.listed(session, clock.now(), coach_id=sara)
        assert [s.id for s in everything] == [first, second]
        assert everything[0].participant_name == "Amina" and everything[0].timezone == "Europe/Brussels"
        only_hiba = await shifts.listed(session, clock.now(), coach_id=sara, participant_id=hiba)
        assert [s.id for s in only_hiba] == [second]
        first_week = await shifts.listed(session, clock.now(), coach_id=sara, until=date(2026, 11, 30))
        assert [s.id for s in first_week] == [first]
        later = await shifts.listed(session, clock.now(), coach_id=sara, since=date(2026, 11, 26))
        assert [s.id for s in later] == [second]
        with pytest.raises(DomainError, match="caseload"):
            await shifts.listed(session, clock.now(), coach_id=nadia, participant_id=amina)


def run(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {"TRAMPOLINE_DATABASE_URL": database_url, "TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_one_shift_group_with_every_command() -> None:
    code, out, _ = run("sqlite+aiosqlite://", "shift", "--help")
    assert code == 0
    for command in ("add", "import", "list", "cancel", "template"):
        assert f" {command} " in out, out
    code, out, _ = run("sqlite+aiosqlite://", "--help")
    assert " shift " in out and " shifts " not in out  # one group in the list
    code, out, _ = run("sqlite+aiosqlite://", "shift", "import", "--help")
    assert "participant_id,place,address,start,end,contact" in out.replace(" ", "").replace("\n", "").replace("│", "")


def test_the_template_imports_as_it_is_once_her_names_are_there(database_url: str, tmp_path: Path) -> None:
    template = tmp_path / "shifts.csv"
    code, _, err = run(database_url, "shift", "template", "--out", str(template))
    assert code == 0, err
    data = template.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == shifts_csv.HEADER and len(rows) == 3
    for row in rows[1:]:
        assert read_moment(row[3]) > datetime.now()  # a wall time, still to come
        assert not row[0].isdigit()  # a name, as a coordinator writes it

    async def her_names() -> None:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara = await p.coach()
            for row in rows[1:]:
                await p.participant(row[0], "en", sara)
        finally:
            await db.dispose()

    asyncio.run(her_names())
    code, out, err = run(database_url, "shift", "import", str(template))
    assert code == 0, err
    assert "2 shifts imported" in out
    code, out, _ = run(database_url, "shifts", "template")  # the old group name still works
    assert code == 0 and out.startswith(",".join(shifts_csv.HEADER))


def test_cli_list_and_cancel_as_a_coach_reads_them(database_url: str) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    async def people() -> tuple[int, int, int, int]:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara, nadia = await p.coach("Sara"), await p.coach("Nadia")
            amina = await p.participant("Amina", "ar", sara)
            return sara, nadia, amina, await add(p, sara, amina, soon)
        finally:
            await db.dispose()

    sara, nadia, amina, shift_id = asyncio.run(people())
    code, out, err = run(database_url, "shift", "list", "--coach", str(sara))
    assert code == 0, err
    assert "Amina" in out and "Kringwinkel" in out and "planned" in out
    assert soon.isoformat() not in out and "+00:00" not in out  # a human time, not a raw timestamp
    code, out, err = run(database_url, "shift", "list", "--person", str(amina), "--json")
    assert code == 0, err
    listed = json.loads(out)["shifts"]
    assert [s["id"] for s in listed] == [shift_id] and listed[0]["participant"] == "Amina"
    code, out, err = run(database_url, "shift", "list", "--from", "31/02/2027")
    assert code == 1 and "--from" in err and "12/12/2026" in err and "Traceback" not in err
    code, out, err = run(database_url, "shift", "cancel", str(shift_id), "--reason", "closed", "--coach", str(nadia))
    assert code == 1 and "caseload" in err
    code, out, err = run(database_url, "shift", "cancel", str(shift_id), "--reason", "whatever")
    assert code != 0 and "closed" in err and "Traceback" not in err
    code, out, err = run(database_url, "shift", "cancel", str(shift_id), "--reason", "not-needed")
    assert code == 0, err
    assert f"shift {shift_id} cancelled" in out and "told" in out
    code, out, err = run(database_url, "shift", "list", "--coach", str(sara))
    assert "cancelled" in out

    async def status() -> tuple[ShiftStatus, str | None]:
        db = Database(database_url)
        try:
            async with db.reading() as session:
                shift = await session.get(VolunteerShift, shift_id)
                assert shift is not None
                return shift.status, shift.cancel_reason
        finally:
            await db.dispose()

    assert asyncio.run(status()) == (ShiftStatus.CANCELLED, "coach:not-needed")


def test_a_belgian_excel_shifts_file_imports_as_it_is(database_url: str, tmp_path: Path) -> None:
    """Semicolons, a BOM, CRLF, "naam" over her names, the day first with "14u": as Excel in Belgium saves it."""
    data = (Path(__file__).parent.parent / "data" / "shifts_excel_be.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data and b"\r\n" in data

    async def her_names() -> tuple[int, int]:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara = await p.coach()
            return await p.participant("Amina", "ar", sara), await p.participant("Hiba", "en", sara)
        finally:
            await db.dispose()

    amina, hiba = asyncio.run(her_names())
    code, out, err = run(
        database_url, "shift", "import", str(Path(__file__).parent.parent / "data" / "shifts_excel_be.csv")
    )
    if datetime.now(UTC) > datetime(2027, 1, 12, tzinfo=UTC):  # the file's dates have passed: refused, by name
        assert code == 1 and "line 2, column start: in the past" in err
        return
    assert code == 0, err
    assert "2 shifts imported" in out
    code, out, _ = run(database_url, "shift", "list", "--json")
    listed = json.loads(out)["shifts"]
    assert [(s["participant_id"], s["start"]) for s in listed] == [
        (amina, "2027-01-12T13:00:00+00:00"),
        (hiba, "2027-01-19T08:30:00+00:00"),
    ]
    assert listed[0]["address"] == "Sint-Pietersnieuwstraat 5; 9000 Gent"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(data.decode("utf-8-sig").replace("Amina", "Amélie").encode("latin-1"))
    code, _, err = run(database_url, "shift", "import", str(latin1))
    assert code == 1 and "save it as CSV UTF-8" in err and "Traceback" not in err
