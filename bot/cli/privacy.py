"""The privacy commands of ``trampoline``: ``export``, ``forget``, ``retention`` and ``keys rotate``. Admin
actions on people's data happen only here, on the command line, and each is written to the audit log.

``bot/cli/main.py`` calls ``register``.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from bot.app import retention_policy
from bot.cli import common as base
from bot.conversation.service import ConversationService
from bot.core.clock import SystemClock
from bot.core.keys import load_cipher
from bot.core.settings import SettingsError
from bot.db.engine import Database
from bot.people.audit import record_access
from bot.privacy.erasure import Reason, erase_person
from bot.privacy.export import export_json, export_person
from bot.privacy.retention import apply as apply_retention
from bot.privacy.retention import plan
from bot.privacy.rotation import count_encrypted, rotate_all


def export(person: int = typer.Option(..., "--person", help="The person's id.")) -> None:
    """Print everything kept about one person as exactly one JSON object (what `mydata` sends her)."""
    settings = base.settings_or_fail(True)
    try:
        cipher = load_cipher(settings)
    except SettingsError as exc:
        base.fail(str(exc), True)

    async def work(db: Database) -> dict[str, Any] | None:
        now = SystemClock().now()
        async with db.transaction() as session:
            data = await export_person(session, person, cipher, now)
            if data is not None:
                record_access(session, None, "admin.export", person, now)
            return data

    data = base.run_with_db(settings, True, work)
    if data is None:
        base.fail(f"no person {person}", True)
    typer.echo(export_json(data))


def forget(
    person: int = typer.Option(..., "--person", help="The person's id."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: the erasure cannot be undone."),
    as_json: bool = base.JsonOption,
) -> None:
    """Erase everything about one person, as her `forget` command does: only anonymous counts and an
    erasure record without identifiers stay; a buddy matched with her is told the match ended."""
    if not yes:
        base.fail(f"this erases person {person} for good; add --yes to confirm", as_json)
    settings = base.settings_or_fail(as_json)

    async def work(db: Database, engine: ConversationService) -> bool:
        now = SystemClock().now()
        async with db.transaction() as session:
            done = await erase_person(session, person, now, reason=Reason.ADMIN, service=engine)
            if done:
                record_access(session, None, "admin.forget", None, now)
            return done

    done = base.run_with_engine(settings, as_json, work)
    if not done:
        base.fail(f"no person {person}", as_json)
    if as_json:
        base.emit_json({"erased": True})
    else:
        typer.echo(f"person {person} erased; only anonymous counts remain")


def retention(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be removed."),
    as_json: bool = base.JsonOption,
) -> None:
    """Apply the retention periods now (the service does it daily): old message records go, and people
    inactive for too long are erased. With --dry-run, show the counts only."""
    settings = base.settings_or_fail(as_json)
    policy = retention_policy(settings)

    async def count(db: Database) -> dict[str, int]:
        async with db.reading() as session:
            return (await plan(session, policy, SystemClock().now())).as_json()

    async def apply(db: Database, engine: ConversationService) -> dict[str, int]:
        return (await apply_retention(db, policy, SystemClock().now(), engine)).as_json()

    counts = base.run_with_db(settings, as_json, count) if dry_run else base.run_with_engine(settings, as_json, apply)
    if as_json:
        base.emit_json({"dry_run": dry_run, **counts})
        return
    verb = "would be removed" if dry_run else "removed"
    typer.echo(
        f"outbox messages older than {policy.messages_days} days: {counts['outbox_messages']} {verb}\n"
        f"inbound event keys older than {policy.messages_days} days: {counts['inbound_events']} {verb}\n"
        f"people inactive for {policy.inactive_months} months: {counts['people']} "
        f"{'would be erased' if dry_run else 'erased'}"
    )


def keys_rotate(as_json: bool = base.JsonOption) -> None:
    """Re-encrypt every encrypted value under the newest key (the first of TRAMPOLINE_ENCRYPTION_KEYS).
    Afterwards the older keys can be removed."""
    settings = base.settings_or_fail(as_json)
    try:
        cipher = load_cipher(settings)
    except SettingsError as exc:
        base.fail(str(exc), as_json)
    show = not as_json and sys.stderr.isatty()

    async def work(db: Database) -> dict[str, int]:
        if not show:
            report = await rotate_all(db, cipher)
            return {"rotated": report.rotated, "unreadable": report.unreadable}
        from rich.console import Console
        from rich.progress import Progress

        total = await count_encrypted(db)
        with Progress(console=Console(stderr=True)) as bar:
            task = bar.add_task("re-encrypting", total=total)
            report = await rotate_all(db, cipher, lambda done: bar.advance(task, done))
        return {"rotated": report.rotated, "unreadable": report.unreadable}

    result = base.run_with_db(settings, as_json, work)
    if as_json:
        base.emit_json(result)
        return
    typer.echo(f"{result['rotated']} values re-encrypted under the newest key")
    if result["unreadable"]:
        typer.echo(f"{result['unreadable']} values could not be read with any configured key", err=True)


def register(cli: typer.Typer, keys_cli: typer.Typer) -> None:
    cli.command("export")(export)
    cli.command("forget")(forget)
    cli.command("retention")(retention)
    keys_cli.command("rotate")(keys_rotate)
