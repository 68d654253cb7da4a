"""``trampoline steps ...`` and ``trampoline trajectory ...``: the coordinator's command line for her year
(issue 21), thin commands over bot/coaching/milestones.py and steps_csv.py. ``trampoline step`` is the same
group as ``steps`` (``step add`` reads well), hidden from the command list. Days are written and shown day
first (12/12/2026). A note is encrypted, so a command that writes or shows one needs the key; ``steps list``
shows notes only with ``--with-notes``, and that reading is written to the access log (decision 0032)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import (
    JsonOption,
    emit_json,
    fail,
    ngettext,
    print_table,
    read_import,
    run_with_db,
    settings_or_fail,
    write_template,
)
from bot.coaching import milestones, steps_csv
from bot.coaching.milestones import MILESTONES, Step
from bot.core.clock import SystemClock
from bot.core.crypto import Cipher
from bot.core.keys import load_cipher
from bot.core.settings import Settings, SettingsError
from bot.core.timing import WRITTEN_DAY_EXAMPLE, local, read_day
from bot.db.engine import Database
from bot.db.models import Milestone, MilestoneSource, Person, Role
from bot.people.audit import record_access
from bot.people.caseload import require_participant_of
from bot.people.directory import DomainError

steps_cli = typer.Typer(help="Her milestones: import, template, add, list.", no_args_is_help=True)
trajectory_cli = typer.Typer(help="Her year: show, set its start, end it.", no_args_is_help=True)

IMPORT_EPILOG = (
    "The header:\n\n"
    + ",".join(steps_csv.REQUIRED)
    + "\n\nand, if you like, the optional last columns "
    + ",".join(steps_csv.HEADER[len(steps_csv.REQUIRED) :])
    + " (a language course's level, a paid job's contract kind). The first column may hold her name instead of "
    + f"her id. Dates day first: {WRITTEN_DAY_EXAMPLE}; hours like 2,5. The milestone as its code or its Dutch, "
    + f"French or English label: {milestones.MILESTONES_ALLOWED}. `trampoline steps template` writes a file to "
    + "fill in."
)
# The field a milestone's check names, as the option that gives it.
OPTIONS = {"milestone": "--milestone", "date": "--date", "hours": "--hours", "level": "--level",
           "contract": "--contract", "note": "--note"}  # fmt: skip


def _cipher(settings: Settings) -> tuple[Cipher | None, str]:
    """The notes' keys, or None and the one line that says where they were expected."""
    try:
        return load_cipher(settings), ""
    except SettingsError as exc:
        return None, str(exc)


def _day(option: str, value: str | None, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return read_day(value)
    except ValueError as exc:
        fail(f"{option}: {exc}", as_json)


async def _participant(session: AsyncSession, person_id: int, coach: int | None = None) -> Person:
    """The participant ``--person`` names (of ``--coach``'s caseload, with one)."""
    if coach is not None:
        return await require_participant_of(session, coach, person_id)
    person = await session.get(Person, person_id)
    if person is None or person.role is not Role.PARTICIPANT:
        raise DomainError(f"--person: {person_id} is not a participant")
    return person


def _not_ahead(option: str, day: date, person: Person) -> None:
    today = local(SystemClock().now(), person.timezone).date()
    if day > today:
        raise DomainError(f"--{option}: {day:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})")


def _hours(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes / 60:g} h"


# -- steps ---


@steps_cli.command("import", epilog=IMPORT_EPILOG)
def steps_import(
    file: Path = typer.Argument(..., help="A CSV file (UTF-8, comma or semicolon) with the header below."),
    coach: int | None = typer.Option(None, "--coach", help="Only participants of this coach's caseload."),
    as_json: bool = JsonOption,
) -> None:
    """Import milestones from a CSV file: every row, or none (the first bad row is named)."""
    settings = settings_or_fail(as_json)
    text = read_import(file, as_json)
    cipher, _ = _cipher(settings)

    async def work(db: Database) -> list[steps_csv.Imported]:
        async with db.transaction() as session:
            return await steps_csv.import_csv(session, cipher, text, SystemClock().now(), coach_id=coach)

    done = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"imported": len(done), "ids": [d.milestone_id for d in done]})
    else:
        typer.echo(ngettext("{count} milestone imported", "{count} milestones imported", len(done)))


@steps_cli.command("template")
def steps_template(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of printing."),
) -> None:
    """A CSV file to fill in for `trampoline steps import`: the header and two examples (UTF-8 with a BOM, so
    Excel opens it as UTF-8). Put her name or her id in the first column."""
    write_template([steps_csv.HEADER, *steps_csv.examples(SystemClock().now().date())], out)


@steps_cli.command("add")
def step_add(
    person: int = typer.Option(..., "--person", help="The participant's id."),
    milestone: str = typer.Option(..., "--milestone", help="Its code or its Dutch, French or English label."),
    day: str | None = typer.Option(None, "--date", help="The day, like 12/12/2026; default today."),
    hours: str | None = typer.Option(None, "--hours", help="For volunteer_hours: the hours, like 2,5."),
    level: str | None = typer.Option(None, "--level", help="For a language course: A1 to C2."),
    contract: str | None = typer.Option(None, "--contract", help=f"For paid_job: {milestones.CONTRACTS_ALLOWED}."),
    note: str | None = typer.Option(None, "--note", help="A short note (encrypted), at most 300 characters."),
    coach: int | None = typer.Option(None, "--coach", help="The coach recording it, for her own caseload."),
    as_json: bool = JsonOption,
) -> None:
    """Record one milestone on her path (recorded by the coach with --coach, else as an import)."""
    try:
        code = milestones.milestone_code(milestone)
        level_code = milestones.level_code(level) if level else None
        contract_kind = milestones.contract_code(contract) if contract else None
    except ValueError as exc:
        option = "--milestone" if "milestone" in str(exc) else "--level" if "level" in str(exc) else "--contract"
        allowed = {"--milestone": milestones.MILESTONES_ALLOWED, "--contract": milestones.CONTRACTS_ALLOWED}
        fail(f"{option}: {exc}" + (f", allowed: {allowed[option]}" if option in allowed else ""), as_json)
    try:
        counted = steps_csv.read_hours(hours) if hours else None
    except ValueError as exc:
        fail(f"--hours: {exc}", as_json)
    on = _day("--date", day, as_json)
    settings = settings_or_fail(as_json)
    cipher, key_problem = _cipher(settings)
    if note and cipher is None:
        fail(f"--note: {key_problem}", as_json)

    async def work(db: Database) -> dict[str, Any]:
        async with db.transaction() as session:
            her = await _participant(session, person, coach)
            now = SystemClock().now()
            step = Step(code, on or local(now, her.timezone).date(), counted, level_code, contract_kind, note)
            try:
                _not_ahead("date", step.on, her)
                milestones.check(step, local(now, her.timezone).date())
            except DomainError as exc:
                field, _, problem = str(exc).partition(": ")
                raise DomainError(f"{OPTIONS[field]}: {problem}" if field in OPTIONS else str(exc)) from None
            source = MilestoneSource.COACH if coach is not None else MilestoneSource.IMPORT
            row = await milestones.record(session, cipher, her, step, source, now, coach)
            return {"id": row.id, "person_id": her.id, "milestone": row.code, "date": row.achieved_on.isoformat(),
                    "source": row.source.value}  # fmt: skip

    result = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(result)
    else:
        kind = MILESTONES[result["milestone"]]
        typer.echo(
            f"milestone {result['id']} recorded: {kind.emoji} {kind.en}, {date.fromisoformat(result['date']):%d/%m/%Y}"
        )


def _by(row: Milestone, names: dict[int, str | None]) -> str:
    if row.source is MilestoneSource.COACH and row.recorded_by_id is not None:
        return f"coach {names.get(row.recorded_by_id) or ''} ({row.recorded_by_id})".replace("  ", " ")
    if row.source is MilestoneSource.IMPORT and row.recorded_by_id is not None:
        return f"import by coach {names.get(row.recorded_by_id) or ''} ({row.recorded_by_id})".replace("  ", " ")
    return row.source.value


@steps_cli.command("list")
def steps_list(
    person: int = typer.Option(..., "--person", help="The participant's id."),
    with_notes: bool = typer.Option(
        False, "--with-notes", help="Show the notes too (needs the key; written to the access log)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Her path: each milestone with its day, what it was and who recorded it, oldest first; no notes unless
    --with-notes."""
    settings = settings_or_fail(as_json)
    cipher: Cipher | None = None
    if with_notes:
        cipher, key_problem = _cipher(settings)
        if cipher is None:
            fail(f"--with-notes: {key_problem}", as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.transaction() as session:
            await _participant(session, person)
            rows = await milestones.path(session, person)
            ids = {row.recorded_by_id for row in rows if row.recorded_by_id is not None}
            found = await session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
            names = {person_id: name for person_id, name in found.all()}
            if cipher is not None:
                record_access(session, None, "admin.read_milestone_notes", person, SystemClock().now())
            listed = []
            for row in rows:
                kind = MILESTONES.get(row.code, MILESTONES["other"])
                entry: dict[str, Any] = {
                    "id": row.id, "milestone": row.code, "emoji": kind.emoji, "label": kind.en,
                    "date": row.achieved_on.isoformat(), "hours": row.minutes / 60 if row.minutes else None,
                    "level": row.level, "contract": row.contract, "source": row.source.value,
                    "recorded_by_id": row.recorded_by_id, "recorded_by": _by(row, names),
                }  # fmt: skip
                if cipher is not None:
                    entry["note"] = cipher.decrypt(row.note_ciphertext) if row.note_ciphertext else None
                listed.append(entry)
            return listed

    listed = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"person_id": person, "steps": listed})
        return
    if not listed:
        typer.echo("no milestones yet")
        return
    headers = ["DATE", "MILESTONE", "DETAIL", "RECORDED BY", *(["NOTE"] if with_notes else [])]
    print_table(
        headers,
        [
            [f"{date.fromisoformat(s['date']):%d/%m/%Y}", f"{s['emoji']} {s['label']}",
             _hours(round(s["hours"] * 60) if s["hours"] else None) or s["level"] or s["contract"] or "",
             s["recorded_by"], *([s.get("note") or ""] if with_notes else [])]
            for s in listed
        ],
    )  # fmt: skip


# -- her trajectory ---


@trajectory_cli.command("show")
def trajectory_show(
    person: int = typer.Option(..., "--person", help="The participant's id."),
    as_json: bool = JsonOption,
) -> None:
    """Her year: when it started, when it is planned to end, its status and her volunteer hours so far."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any]:
        async with db.reading() as session:
            her = await _participant(session, person)
            trajectory = await milestones.trajectory_of(session, her.id)
            if trajectory is None:
                raise DomainError(f"--person: participant {person} has no trajectory yet")
            minutes = await milestones.volunteer_minutes(session, her.id)
            return {
                "person_id": her.id, "name": her.display_name, "started_on": trajectory.started_on.isoformat(),
                "planned_end_on": trajectory.planned_end_on.isoformat(), "status": trajectory.status.value,
                "ended_on": trajectory.ended_on.isoformat() if trajectory.ended_on else None,
                "left_reason": trajectory.left_reason, "coach_id": trajectory.coach_id,
                "volunteer_hours": round(minutes / 60, 2),
            }  # fmt: skip

    shown = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(shown)
        return
    status = shown["status"]
    if shown["ended_on"]:
        status += f" on {_shown(shown['ended_on'])}" + (f" ({shown['left_reason']})" if shown["left_reason"] else "")
    typer.echo(f"{shown['name'] or 'participant'} ({shown['person_id']})")
    typer.echo(f"  started:         {_shown(shown['started_on'])}")
    typer.echo(f"  planned end:     {_shown(shown['planned_end_on'])}")
    typer.echo(f"  status:          {status}")
    typer.echo(f"  volunteer hours: {shown['volunteer_hours']:g}")


def _shown(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d/%m/%Y}"


@trajectory_cli.command("set")
def trajectory_set(
    person: int = typer.Option(..., "--person", help="The participant's id."),
    started: str = typer.Option(..., "--started", help="The day she began, like 01/09/2026."),
    as_json: bool = JsonOption,
) -> None:
    """Set the day her year began (she began before she was on the bot); the planned end moves with it."""
    day = _day("--started", started, as_json)
    assert day is not None
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any]:
        async with db.transaction() as session:
            her = await _participant(session, person)
            _not_ahead("started", day, her)
            if day < milestones.EARLIEST:
                raise DomainError("--started: before 2000")
            trajectory = await milestones.set_start(session, her, day, SystemClock().now())
            if trajectory.ended_on is not None and trajectory.ended_on < day:
                raise DomainError(f"--started: after the day her year ended ({trajectory.ended_on:%d/%m/%Y})")
            return {"person_id": her.id, "started_on": day.isoformat(),
                    "planned_end_on": trajectory.planned_end_on.isoformat()}  # fmt: skip

    result = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(result)
    else:
        typer.echo(
            f"her year started on {_shown(result['started_on'])}; planned to end on {_shown(result['planned_end_on'])}"
        )


@trajectory_cli.command("end")
def trajectory_end(
    person: int = typer.Option(..., "--person", help="The participant's id."),
    completed: bool = typer.Option(False, "--completed", help="She completed her year."),
    left: str | None = typer.Option(
        None, "--left", help=f"She left early, and why: {milestones.LEFT_REASONS_ALLOWED} (or as written)."
    ),
    day: str | None = typer.Option(None, "--date", help="The day it ended, like 12/12/2026; default today."),
    as_json: bool = JsonOption,
) -> None:
    """End her year: --completed, or --left with a reason."""
    if completed == (left is not None):
        fail("give either --completed or --left REASON", as_json)
    reason = None
    if left is not None:
        try:
            reason = milestones.left_reason_code(left)
        except ValueError as exc:
            fail(f"--left: {exc}, allowed: {milestones.LEFT_REASONS_ALLOWED}", as_json)
    on = _day("--date", day, as_json)
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any]:
        async with db.transaction() as session:
            her = await _participant(session, person)
            now = SystemClock().now()
            ended = on or local(now, her.timezone).date()
            _not_ahead("date", ended, her)
            try:
                trajectory = await milestones.end_trajectory(session, her, ended, now, reason)
            except DomainError as exc:
                raise DomainError(f"--date: {exc}" if "start" in str(exc) else f"--person: {exc}") from None
            return {"person_id": her.id, "status": trajectory.status.value, "ended_on": ended.isoformat(),
                    "left_reason": trajectory.left_reason}  # fmt: skip

    result = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(result)
    else:
        why = f" ({result['left_reason']})" if result["left_reason"] else ""
        typer.echo(f"her year ended on {_shown(result['ended_on'])}: {result['status']}{why}")
