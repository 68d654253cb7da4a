"""``trampoline shift ...``: one group for a placement's volunteer shifts (add, import, template, list, cancel),
thin commands over bot/coaching/shifts.py and shifts_csv.py. ``trampoline shifts`` is the same group under its
old name, hidden from the command list. With ``--coach`` every id is checked against HER caseload.
Times are shown in HER time zone, day first on a 24-hour clock."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from babel.dates import format_datetime

from bot.cli.common import (
    JsonOption,
    emit_json,
    fail,
    ngettext,
    print_table,
    read_import,
    run_with_db,
    run_with_engine,
    settings_or_fail,
    write_template,
)
from bot.coaching import shifts, shifts_csv
from bot.conversation.service import ConversationService
from bot.core.clock import SystemClock
from bot.core.timing import WRITTEN_EXAMPLE, read_day
from bot.db.engine import Database
from bot.people.caseload import coach_of, require_participant_of
from bot.people.directory import DomainError

shift_cli = typer.Typer(help="Volunteer shifts: add, import, list, cancel.", no_args_is_help=True)

IMPORT_EPILOG = (
    "The header:\n\n"
    + ",".join(shifts_csv.HEADER)
    + "\n\nThe first column may hold her name instead of her id. Dates day first: "
    + f"{WRITTEN_EXAMPLE}, 12-12-2026 14u. `trampoline shift template` writes a file to fill in."
)
REASONS = ", ".join(shifts.COACH_REASONS)


async def _acting_coach(session: Any, coach: int | None, participant: int) -> int:
    """The coach given, or else the participant's own coach."""
    if coach is not None:
        return coach
    own = await coach_of(session, participant)
    if own is None:
        raise DomainError(f"participant {participant} has no coach; pass --coach")
    return own.id


def span(starts: datetime, ends: datetime, timezone: str) -> str:
    """``Wed 25 Nov 2026, 14:00–17:00`` in her time zone (the end with its day when it is another day)."""
    zone = ZoneInfo(timezone)
    same_day = starts.astimezone(zone).date() == ends.astimezone(zone).date()
    end_format = "HH:mm" if same_day else "EEE d MMM y, HH:mm"
    return (
        f"{format_datetime(starts, 'EEE d MMM y, HH:mm', tzinfo=zone, locale='en_GB')}"
        f"–{format_datetime(ends, end_format, tzinfo=zone, locale='en_GB')}"
    )


@shift_cli.command("add")
def shift_add(
    participant: int = typer.Option(..., "--participant", help="The participant's id."),
    place: str = typer.Option(..., "--place", help="The name of the placement."),
    address: str = typer.Option(..., "--address", help="Its address."),
    start: str = typer.Option(..., "--start", help=f"Like {WRITTEN_EXAMPLE} (day first), in her time zone."),
    end: str = typer.Option(..., "--end", help=f"Like {WRITTEN_EXAMPLE} (day first), in her time zone."),
    contact: str | None = typer.Option(None, "--contact", help="Her contact person there."),
    coach: int | None = typer.Option(None, "--coach", help="The coach adding it; default the participant's coach."),
    as_json: bool = JsonOption,
) -> None:
    """Add a volunteer shift; she is reminded the evening before and two hours before."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any]:
        async with db.transaction() as session:
            coach_id = await _acting_coach(session, coach, participant)
            person = await require_participant_of(session, coach_id, participant)
            moments = []
            for option, value in (("--start", start), ("--end", end)):
                try:
                    moments.append(shifts.parse_moment(value, person.timezone))
                except ValueError as exc:
                    raise DomainError(f"{option}: {exc}") from None
            entry = shifts.ShiftInput(participant, place, address, moments[0], moments[1], contact)
            row = await shifts.add_shift(session, coach_id, entry, SystemClock().now())
            return {"id": row.id, "participant_id": participant, "start": row.starts_at.isoformat()}

    result = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"shift {result['id']} added")


@shift_cli.command("import", epilog=IMPORT_EPILOG)
def shift_import(
    file: Path = typer.Argument(..., help="A CSV file (UTF-8, comma or semicolon) with the header below."),
    coach: int | None = typer.Option(None, "--coach", help="Only participants of this coach's caseload."),
    as_json: bool = JsonOption,
) -> None:
    """Import shifts from a CSV file: every row, or none (the first bad row is named)."""
    settings = settings_or_fail(as_json)
    text = read_import(file, as_json)

    async def work(db: Database) -> list[int]:
        async with db.transaction() as session:
            return await shifts_csv.import_csv(session, text, SystemClock().now(), coach_id=coach)

    ids = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"imported": len(ids), "ids": ids})
    else:
        typer.echo(ngettext("{count} shift imported", "{count} shifts imported", len(ids)))


@shift_cli.command("template")
def shift_template(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of printing."),
) -> None:
    """A CSV file to fill in for `trampoline shift import`: the header and two examples a month ahead (UTF-8
    with a BOM, so Excel opens it as UTF-8). Put her name or her id in the first column."""
    write_template([shifts_csv.HEADER, *shifts_csv.examples(SystemClock().now().date())], out)


def _day(option: str, value: str | None, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return read_day(value)
    except ValueError as exc:
        fail(f"{option}: {exc}", as_json)


def _status(shift: shifts.ListedShift) -> str:
    if shift.cancel_reason is None:
        return shift.status.value
    reason = shift.cancel_reason.removeprefix("coach:")
    return f"{shift.status.value} ({'by her coach: ' if reason != shift.cancel_reason else 'by her: '}{reason})"


@shift_cli.command("list")
def shift_list(
    person: int | None = typer.Option(None, "--person", help="Only this participant's shifts."),
    since: str | None = typer.Option(None, "--from", help="From this day, like 12/12/2026; default today."),
    until: str | None = typer.Option(None, "--to", help="Up to this day (included), like 12/12/2026."),
    coach: int | None = typer.Option(None, "--coach", help="Only this coach's caseload."),
    as_json: bool = JsonOption,
) -> None:
    """The shifts from today on (or in a window), soonest first, with her name and her times."""
    first, last = _day("--from", since, as_json), _day("--to", until, as_json)
    if first is not None and last is not None and last < first:
        fail("--to is before --from", as_json)
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[shifts.ListedShift]:
        async with db.reading() as session:
            return await shifts.listed(
                session, SystemClock().now(), coach_id=coach, participant_id=person, since=first, until=last
            )

    found = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(
            {
                "shifts": [
                    {
                        "id": s.id,
                        "participant_id": s.participant_id,
                        "participant": s.participant_name,
                        "place": s.place,
                        "address": s.address,
                        "contact": s.contact,
                        "start": s.starts_at.isoformat(),
                        "end": s.ends_at.isoformat(),
                        "timezone": s.timezone,
                        "status": s.status.value,
                        "cancel_reason": s.cancel_reason,
                    }
                    for s in found
                ]
            }
        )
        return
    if not found:
        typer.echo("no shifts")
        return
    print_table(
        ["ID", "WHEN (her time)", "WHO", "PLACE", "STATUS"],
        [
            [s.id, span(s.starts_at, s.ends_at, s.timezone), f"{s.participant_name} ({s.participant_id})", s.place,
             _status(s)]
            for s in found
        ],
    )  # fmt: skip


@shift_cli.command("cancel")
def shift_cancel(
    shift_id: int = typer.Argument(..., help="The shift's id (see `trampoline shift list`)."),
    reason: str = typer.Option(..., "--reason", help=f"Why, told to her in her language: {REASONS}."),
    coach: int | None = typer.Option(None, "--coach", help="The coach cancelling it; default her own coach."),
    as_json: bool = JsonOption,
) -> None:
    """Cancel a shift that has not started: no reminder follows, and she is told which shift and why."""
    if reason not in shifts.COACH_REASONS:
        fail(f"--reason must be one of {REASONS}, not {reason[:40]!r}", as_json)
    settings = settings_or_fail(as_json)

    async def work(db: Database, engine: ConversationService) -> dict[str, Any]:
        async with db.transaction() as session:
            coach_id = coach
            if coach_id is None:
                participant = await shifts.participant_of_shift(session, shift_id)
                if participant is None:
                    raise DomainError(f"there is no shift {shift_id}")
                coach_id = await _acting_coach(session, None, participant)
            done = await shifts.cancel_by_coach(session, engine, coach_id, shift_id, reason, SystemClock().now())
            return {"id": done.id, "status": done.status.value, "cancel_reason": done.cancel_reason, "told": done.told}

    result = run_with_engine(settings, as_json, work)
    if as_json:
        emit_json(result)
        return
    told = {
        "started": "she is told in her language",
        "queued behind an open conversation": "she is told in her language when her open conversation ends",
    }.get(result["told"], f"she is not told: {result['told']}")
    typer.echo(f"shift {result['id']} cancelled; {told}")
