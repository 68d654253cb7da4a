"""Volunteer shifts through the real engine, nudge runner and outbox, in English and Arabic (right to left):
reminders the evening before and two hours before, confirm, can't come with a reason (coach alerted), need
help, no answer; attendance afterwards with an encrypted note; CSV import all-or-nothing; caseload checks."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.coaching import shifts, shifts_csv
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Conversation, Nudge, ShiftStatus, VolunteerShift
from bot.people.directory import DomainError
from tests.support.harness import TEST_KEY
from tests.support.programme import Programme

LOCALES = ["en", "ar"]
# The fake clock starts on Monday 23 November 2026, 09:00 UTC (10:00 in Brussels).
START = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Wednesday 14:00 in Brussels
END = START + timedelta(hours=3)
EVENING_BEFORE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 18:00 in Brussels


async def add(p: Programme, coach: int, participant: int) -> int:
    async with p.db.transaction() as session:
        shift = await shifts.add_shift(
            session, coach, shifts.ShiftInput(participant, "Kringwinkel", "Rue Haute 5", START, END, "Els"),
            p.clock.now(),
        )  # fmt: skip
        return shift.id


async def shift_row(p: Programme, shift_id: int) -> VolunteerShift:
    async with p.db.reading() as session:
        shift = await session.get(VolunteerShift, shift_id)
        assert shift is not None
        return shift


async def reminded(p: Programme, locale: str) -> tuple[int, int, int]:
    coach = await p.coach()
    participant = await p.participant("Amina", locale, coach)
    shift_id = await add(p, coach, participant)
    p.clock.set(EVENING_BEFORE)
    await p.tick()
    return coach, participant, shift_id


@pytest.mark.parametrize("locale", LOCALES)
async def test_reminder_the_evening_before_and_she_confirms(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    _, participant, shift_id = await reminded(p, locale)
    reminder = p.new(participant)
    assert len(reminder) == 1 and "Kringwinkel" in reminder[0].text and "Rue Haute 5" in reminder[0].text
    assert len(reminder[0].buttons) == 3
    assert reminder[0].right_to_left is (locale == "ar")
    await p.phone(participant).press(1)  # I'll be there
    assert (await shift_row(p, shift_id)).status is ShiftStatus.CONFIRMED
    assert await p.alerts() == []


@pytest.mark.parametrize("locale", LOCALES)
async def test_she_cannot_come_and_says_why(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, shift_id = await reminded(p, locale)
    replies = await p.phone(participant).press(2)  # I can't come
    assert len(replies[-1].buttons) == 4  # childcare, illness, transport, other
    await p.phone(participant).press(3)  # transport
    await p.dispatch()
    shift = await shift_row(p, shift_id)
    assert (shift.status, shift.cancel_reason) == (ShiftStatus.CANCELLED, "transport")
    assert [a.kind for a in await p.alerts()] == ["cant_come"]
    assert any("cannot come" in m.text for m in p.phone(coach).inbox)
    # No more reminders and no "how did it go?" for a cancelled shift.
    p.new(participant)
    clock.set(END + timedelta(hours=2))
    await p.tick()
    assert p.new(participant) == []


@pytest.mark.parametrize("locale", LOCALES)
async def test_she_needs_help(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, shift_id = await reminded(p, locale)
    await p.phone(participant).press(3)
    await p.dispatch()
    assert [a.kind for a in await p.alerts()] == ["need_help"]
    assert any("needs help" in m.text for m in p.phone(coach).inbox)
    assert (await shift_row(p, shift_id)).status is ShiftStatus.PLANNED


@pytest.mark.parametrize("locale", LOCALES)
async def test_no_answer_reminded_again_coach_told_then_no_show(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    _, participant, shift_id = await reminded(p, locale)
    p.new(participant)
    clock.set(START - timedelta(hours=2))
    await p.tick()
    again = p.new(participant)
    assert len(again) == 1 and len(again[0].buttons) == 3
    clock.set(START)
    await p.tick()
    assert [a.kind for a in await p.alerts()] == ["shift_no_answer"]
    clock.set(END + timedelta(hours=1))
    await p.tick()
    asked = p.new(participant)
    assert any("Kringwinkel" in m.text for m in asked)
    await p.phone(participant).press(2)  # no, I did not go
    await p.phone(participant).press(1)  # skip the note
    assert (await shift_row(p, shift_id)).status is ShiftStatus.NO_SHOW


@pytest.mark.parametrize("locale", LOCALES)
async def test_after_the_shift_attendance_and_an_encrypted_note(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    _, participant, shift_id = await reminded(p, locale)
    await p.phone(participant).press(1)
    clock.set(END + timedelta(hours=1))
    await p.tick()
    await p.phone(participant).press(1)  # yes, I went
    await p.phone(participant).press(1)  # good
    await p.phone(participant).send("Nice people, I want to go again")
    shift = await shift_row(p, shift_id)
    assert (shift.status, shift.feedback) == (ShiftStatus.ATTENDED, "good")
    assert shift.note_ciphertext is not None and "Nice" not in shift.note_ciphertext
    assert p.bot.cipher.decrypt(shift.note_ciphertext) == "Nice people, I want to go again"
    async with db.reading() as session:
        states = [json.dumps(s) for s in await session.scalars(select(Conversation.state))]
    assert all("Nice people" not in s for s in states)


async def test_a_shift_that_started_is_not_reminded(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    participant = await p.participant("Amina", "en", coach)
    await add(p, coach, participant)
    clock.set(START + timedelta(minutes=5))  # the service was down during both reminders
    await p.tick()
    assert all("Reminder" not in m.text for m in p.new(participant))
    async with db.reading() as session:
        reasons = list(await session.scalars(select(Nudge.reason).where(Nudge.kind == "shift_reminder")))
    assert reasons == ["no longer useful: the shift has started"] * 2


async def test_a_coach_schedules_only_within_her_caseload(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    sara = await p.coach("Sara")
    nadia = await p.coach("Nadia")
    participant = await p.participant("Amina", "en", sara)
    with pytest.raises(DomainError, match="caseload"):
        await add(p, nadia, participant)
    with pytest.raises(DomainError, match="caseload"):
        async with db.transaction() as session:
            await shifts_csv.import_csv(session, csv_text([f"{participant},A,B,2026-12-01T09:00,2026-12-01T12:00,"]),
                                    clock.now(), coach_id=nadia)  # fmt: skip
    async with db.reading() as session:
        assert await session.scalar(select(func.count(VolunteerShift.id))) == 0


def csv_text(rows: list[str]) -> str:
    return "\n".join(["participant_id,place,address,start,end,contact", *rows]) + "\n"


WHEN = (
    "a date and time like 12/12/2026 14:00, 12-12-2026 14u, 2026-12-12 14h30 or 2026-12-12T14:00, the day first "
    "(in her time zone unless it has an offset), still to come"
)
AFTER = "a date and time like start, after start"
SOMEONE = (
    "the id of a participant, or her name (of the coach's caseload, with --coach); the column may be headed "
    "participant, participant_id or name"
)
NOT_A_MOMENT = "is not a date and time, write it as 12/12/2026 14:00"
PLACE = "the placement's name, at most 200 characters"
CONTACT = "empty or her contact person there, at most 200 characters"
TIMES = "2026-12-01T09:00,2026-12-01T12:00"
SIX = "6 values, one per column"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"Zoë,A,B,{TIMES},", f"line 3, column participant_id: no participant is called 'Zoë', allowed: {SOMEONE}"),
        (f"999,A,B,{TIMES},", f"line 3, column participant_id: 999 is not a participant, allowed: {SOMEONE}"),
        (f"{{p}},,B,{TIMES},", f"line 3, column place: empty, allowed: {PLACE}"),
        (f"{{p}},{'A' * 201},B,{TIMES},", f"line 3, column place: longer than 200 characters, allowed: {PLACE}"),
        (f"{{p}},A, ,{TIMES},", "line 3, column address: empty, allowed: its address, at most 300 characters"),
        (
            "{p},A,B,1 December,2026-12-01T12:00,",
            f"line 3, column start: '1 December' {NOT_A_MOMENT}, allowed: {WHEN}",
        ),
        ("{p},A,B,2026-11-20T09:00,2026-11-20T12:00,", f"line 3, column start: in the past, allowed: {WHEN}"),
        ("{p},A,B,2026-12-01T09:00,noon,", f"line 3, column end: 'noon' {NOT_A_MOMENT}, allowed: {AFTER}"),
        ("{p},A,B,2026-12-01T09:00,2026-12-01T09:00+01:00,", f"line 3, column end: not after start, allowed: {AFTER}"),
        (
            "{p},A,B,12/13/2026 14:00,2026-12-14T12:00,",
            f"line 3, column start: '12/13/2026 14:00' {NOT_A_MOMENT}, allowed: {WHEN}",
        ),
        (f"{{p}},A,B,{TIMES},{'E' * 201}", f"line 3, column contact: longer than 200 characters, allowed: {CONTACT}"),
        (f"{{p}},A,B,{TIMES},Els,extra", f"line 3, column 7: 7 values, allowed: {SIX}"),
        (f"{{p}},A,B,{TIMES}", f"line 3, column contact: missing (5 values), allowed: {SIX}"),
    ],
)
async def test_a_bad_value_in_any_column_imports_nothing_and_names_line_and_column(
    db: Database, clock: FakeClock, row: str, message: str
) -> None:
    p = Programme(db, clock)
    participant = await p.participant("Amina", "ar", await p.coach())
    good = f"{participant},Kringwinkel,Rue Haute 5,2026-12-02T09:00,2026-12-02T12:00,Els"
    with pytest.raises(DomainError) as raised:
        async with db.transaction() as session:
            await shifts_csv.import_csv(session, csv_text([good, row.replace("{p}", str(participant))]), clock.now())
    assert str(raised.value) == message
    async with db.reading() as session:
        assert await session.scalar(select(func.count(VolunteerShift.id))) == 0
        assert await session.scalar(select(func.count(Nudge.id))) == 0


async def test_a_shifts_file_without_rows_or_with_a_wrong_header_is_refused(db: Database, clock: FakeClock) -> None:
    header = "participant_id,place,address,start,end,contact"
    for text, message in [
        (
            header + "\n",
            "line 2, column participant_id: no shifts after the header, allowed: at least one row after the header",
        ),
        (
            "person,place\n1,A\n",
            "line 1, column participant_id: 'person' is not the header's participant_id, allowed: exactly the "
            f"header {header}",
        ),
    ]:
        with pytest.raises(DomainError) as raised:
            async with db.transaction() as session:
                await shifts_csv.import_csv(session, text, clock.now())
        assert str(raised.value) == message


async def test_csv_import_all_or_nothing(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    participant = await p.participant("Amina", "ar", coach)
    good = f"{participant},Kringwinkel,Rue Haute 5,2026-12-01T09:00,2026-12-01T12:00,Els"
    bad_end = f"{participant},Kringwinkel,Rue Haute 5,2026-12-02T09:00,2026-12-02T08:00,"
    with pytest.raises(DomainError) as raised:
        async with db.transaction() as session:
            await shifts_csv.import_csv(session, csv_text([good, bad_end]), clock.now())
    assert str(raised.value) == f"line 3, column end: not after start, allowed: {AFTER}"
    with pytest.raises(DomainError) as raised:
        async with db.transaction() as session:
            await shifts_csv.import_csv(session, csv_text([good.replace("2026-12-01T09:00", "tomorrow")]), clock.now())
    assert str(raised.value) == f"line 2, column start: 'tomorrow' {NOT_A_MOMENT}, allowed: {WHEN}"
    async with db.reading() as session:
        assert await session.scalar(select(func.count(VolunteerShift.id))) == 0
        assert await session.scalar(select(func.count(Nudge.id))) == 0
    async with db.transaction() as session:
        ids = await shifts_csv.import_csv(session, csv_text([good, good.replace("12-01", "12-08")]), clock.now())
    assert len(ids) == 2
    async with db.reading() as session:
        first = await session.get(VolunteerShift, ids[0])
        assert first is not None and first.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Brussels time


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-12-12 14:00", "2026-12-12 17:00"),
        ("12/12/2026 14:00", "12/12/2026 17u"),
        ("12-12-2026 14h", "12-12-2026 17h00"),
        ("12/12/2026 14u", "2026-12-12T17:00"),
    ],
)
async def test_a_shifts_file_as_a_spreadsheet_writes_dates_reads_the_day_first(
    db: Database, clock: FakeClock, start: str, end: str
) -> None:
    p = Programme(db, clock)
    participant = await p.participant("Amina", "en", await p.coach())
    async with db.transaction() as session:
        (shift_id,) = await shifts_csv.import_csv(session, csv_text([f"{participant},A,B,{start},{end},"]), clock.now())
    shift = await shift_row(p, shift_id)
    assert (shift.starts_at, shift.ends_at) == (
        datetime(2026, 12, 12, 13, 0, tzinfo=UTC),
        datetime(2026, 12, 12, 16, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("heading", ["participant", "participant_id", "name", "Name"])
async def test_a_shifts_file_may_name_her_instead_of_her_id(db: Database, clock: FakeClock, heading: str) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    amina = await p.participant("Amina", "en", coach)
    text = csv_text([f"amina ,A,B,{TIMES},", f"{amina},A,B,2026-12-02T09:00,2026-12-02T12:00,"])
    async with db.transaction() as session:
        ids = await shifts_csv.import_csv(session, text.replace("participant_id", heading, 1), clock.now(), coach)
    assert [(await shift_row(p, shift_id)).participant_id for shift_id in ids] == [amina, amina]


async def test_a_name_that_is_not_hers_or_is_two_womens_is_refused(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    sara, nadia = await p.coach("Sara"), await p.coach("Nadia")
    first, second = await p.participant("Amina", "en", sara), await p.participant("Amina", "ar", sara)
    await p.participant("Lina", "en", nadia)
    for text, coach, message in [
        (f"Amina,A,B,{TIMES},", None, f"'Amina' is {first} or {second}; write her id"),
        (f"Lina,A,B,{TIMES},", sara, "no participant of this coach's caseload is called 'Lina'"),
    ]:
        with pytest.raises(DomainError) as raised:
            async with db.transaction() as session:
                await shifts_csv.import_csv(
                    session, csv_text([text]).replace("participant_id", "name", 1), clock.now(), coach
                )
        assert str(raised.value) == f"line 2, column name: {message}, allowed: {SOMEONE}"
    async with db.transaction() as session:
        (shift_id,) = await shifts_csv.import_csv(session, csv_text([f"Lina,A,B,{TIMES},"]), clock.now(), nadia)
    assert (await shift_row(p, shift_id)).participant_id != first


async def test_csv_import_keeps_a_formula_and_flags_its_row_and_column(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    participant = await p.participant("Amina", "ar", coach)
    row = f'{participant},"=HYPERLINK(""http://evil.example"")",Rue Haute 5,2026-12-01T09:00,2026-12-01T12:00,Els'
    async with db.transaction() as session:
        (shift_id,) = await shifts_csv.import_csv(session, csv_text([row]), clock.now())
    async with db.reading() as session:
        shift = await session.get(VolunteerShift, shift_id)
        assert shift is not None and shift.place == '=HYPERLINK("http://evil.example")'  # verbatim
    assert [r.getMessage() for r in caplog.records if "formula" in r.getMessage()] == [
        "shifts import: row 2, column place: starts with '=', which a spreadsheet may run as a formula; kept as it is"
    ]


@pytest.mark.parametrize("locale", LOCALES)
async def test_shift_in_chat_for_her_own_participant(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    sara = await p.coach("Sara")
    nadia = await p.coach("Nadia")
    mine = await p.participant("Amina", locale, sara)
    await p.participant("Hana", locale, nadia)
    phone = p.phone(sara)
    replies = await phone.send("/shift")
    assert [b.label for b in replies[-1].buttons] == ["Amina"]
    await phone.press("Amina")
    await phone.send("Kringwinkel")
    await phone.send("Rue Haute 5")
    await phone.send("01/12/2026")
    await phone.send("09:00")
    await phone.send("12:00")
    replies = await phone.send("Els")
    assert "Done" in replies[-1].text
    async with db.reading() as session:
        shift = await session.scalar(select(VolunteerShift))
    assert shift is not None and shift.participant_id == mine and shift.place == "Kringwinkel"
    assert shift.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def run(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {"TRAMPOLINE_DATABASE_URL": database_url, "TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_with_another_coachs_ids(database_url: str, tmp_path: Path) -> None:
    async def people() -> tuple[int, int, int, int]:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara, nadia = await p.coach("Sara"), await p.coach("Nadia")
            return sara, nadia, await p.participant("Amina", "en", sara), await p.buddy("Lotte", "en")
        finally:
            await db.dispose()

    async def count_shifts() -> int:
        db = Database(database_url)
        try:
            async with db.reading() as session:
                return int(await session.scalar(select(func.count(VolunteerShift.id))) or 0)
        finally:
            await db.dispose()

    _, nadia, participant, buddy = asyncio.run(people())
    code, out, err = run(
        database_url, "match", "propose", "--participant", str(participant), "--buddy", str(buddy),
        "--coach", str(nadia), "--json",
    )  # fmt: skip
    assert code == 1 and out, err
    assert "caseload" in json.loads(out)["error"] and "caseload" in err
    code, out, err = run(
        database_url, "shift", "add", "--participant", str(participant), "--place", "A", "--address", "B",
        "--start", "2030-01-01T09:00", "--end", "2030-01-01T12:00", "--coach", str(nadia),
    )  # fmt: skip
    assert code == 1 and "caseload" in err
    code, out, err = run(
        database_url, "shift", "add", "--participant", str(participant), "--place", "A", "--address", "B",
        "--start", "2030-01-01T09:00", "--end", "2030-01-01T12:00", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert isinstance(json.loads(out)["id"], int)
    code, out, err = run(
        database_url, "match", "propose", "--participant", str(participant), "--buddy", str(buddy), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "proposed"
    bad = tmp_path / "shifts.csv"
    bad.write_text(csv_text([f"{participant},A,B,2030-01-02T09:00,2030-01-02T12:00,", f"{participant},,B,x,y,"]))
    code, out, err = run(database_url, "shifts", "import", str(bad))
    assert code == 1 and "line 3, column place: empty" in err
    assert asyncio.run(count_shifts()) == 1


def test_cli_match_end_by_her_coach_ends_it_once(database_url: str) -> None:
    async def people() -> tuple[int, int, int]:
        db = Database(database_url)
        try:
            p = Programme(db, FakeClock(datetime.now(UTC)))
            sara = await p.coach("Sara")
            return sara, await p.participant("Amina", "ar", sara), await p.buddy("Lotte", "en")
        finally:
            await db.dispose()

    sara, participant, buddy = asyncio.run(people())
    code, out, err = run(
        database_url, "match", "propose", "--participant", str(participant), "--buddy", str(buddy), "--json"
    )
    assert code == 0, err
    match = json.loads(out)["id"]
    code, out, err = run(database_url, "match", "end", "--match", str(match), "--coach", str(sara), "--json")
    assert code == 0, err
    assert json.loads(out) == {"id": match, "status": "ended"}
    code, out, err = run(database_url, "match", "end", "--match", str(match), "--coach", str(sara), "--json")
    assert code == 1
    assert "already ended" in json.loads(out)["error"] and "already ended" in err
