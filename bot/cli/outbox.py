"""``trampoline outbox``: what waits to be sent, the latest messages, and one message's delivery record (never
its text, nor where it goes)."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.common import JsonOption, emit_json, fail, print_table, run_with_db, settings_or_fail, when
from bot.core.clock import SystemClock
from bot.db.engine import Database
from bot.db.models import OutboxStatus
from bot.messaging.queries import outbox_entry, outbox_listed, outbox_status

STATUSES = ", ".join(status.value for status in OutboxStatus)

outbox_cli = typer.Typer(help="Messages waiting to be sent, and what happened to them.", no_args_is_help=True)


@outbox_cli.command("status")
def outbox_status_command(as_json: bool = JsonOption) -> None:
    """Counts by status and the oldest message still waiting."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any]:
        return await outbox_status(db, SystemClock().now())

    status = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(status)
        return
    print_table(["STATUS", "COUNT"], [[name, number] for name, number in status["counts"].items()])
    since = when(status["oldest_pending_due_at"], settings.timezone)
    typer.echo(f"due now: {status['due_now']}; oldest waiting since: {since}")


@outbox_cli.command("list")
def outbox_list(
    status: str | None = typer.Option(None, "--status", help=f"Only messages in this status: {STATUSES}."),
    limit: int = typer.Option(50, "--limit", help="At most this many messages."),
    as_json: bool = JsonOption,
) -> None:
    """The latest messages, newest first: what each is, for whom (her id) and when it was made, is due and
    was sent, in the programme's time zone. Never the text, a phone number or a chat id."""
    if status is not None and status not in {known.value for known in OutboxStatus}:
        fail(f"--status must be one of {STATUSES}, not {status[:40]!r}", as_json)
    if limit < 1:
        fail(f"--limit must be at least 1, not {limit}", as_json)
    settings = settings_or_fail(as_json)
    wanted = OutboxStatus(status) if status is not None else None

    async def work(db: Database) -> list[dict[str, Any]]:
        return await outbox_listed(db, wanted, limit)

    rows = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"messages": rows})
        return
    if not rows:
        typer.echo("no messages" if wanted is None else f"no {wanted.value} messages")
        return
    zone = settings.timezone
    print_table(
        ["ID", "STATUS", "KIND", "PERSON", "ATTEMPTS", "CREATED", "DUE", "SENT"],
        [
            [
                row["id"], row["status"], row["kind"], row["person_id"] or "-", row["attempts"],
                when(row["created_at"], zone), when(row["due_at"], zone), when(row["sent_at"], zone),
            ]
            for row in rows
        ],
    )  # fmt: skip


@outbox_cli.command("show")
def outbox_show(row_id: int = typer.Argument(..., help="The outbox row's id."), as_json: bool = JsonOption) -> None:
    """One message's delivery record: status, attempts, and every deferral or skip with its reason (never
    the message text)."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any] | None:
        return await outbox_entry(db, row_id)

    row = run_with_db(settings, as_json, work)
    if row is None:
        fail(f"no outbox row {row_id}", as_json)
    if as_json:
        emit_json(row)
        return
    for name, value in row.items():
        if name != "history":
            typer.echo(f"{name:20} {'' if value is None else value}")
    for entry in row["history"]:
        typer.echo(f"  {entry['at']}  {entry['event']:9} {entry['reason']}")
