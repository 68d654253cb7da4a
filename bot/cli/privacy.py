"""The privacy commands of ``trampoline``: ``export``, ``forget``, ``retention`` and ``keys rotate``. Admin
actions on people's data happen only here, on the command line, and each is written to the audit log.

``bot/cli/main.py`` calls ``register`` once it has defined its helpers.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import typer

from bot.app import retention_policy
from bot.cli import common as base
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


def register(cli: typer.Typer, keys_cli: typer.Typer) -> None:

    @cli.command("export")
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

    @cli.command("forget")
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
        app = base.app_or_fail(settings)

        async def work(db: Database) -> bool:
            now = SystemClock().now()
            async with db.transaction() as session:
                done = await erase_person(session, person, now, reason=Reason.ADMIN, service=app.conversations)
                if done:
                    record_access(session, None, "admin.forget", None, now)
                return done

        try:
            done = base.run_with_db(settings, as_json, work)
        finally:
            asyncio.run(app.db.dispose())
        if not done:
            base.fail(f"no person {person}", as_json)
        if as_json:
            base.emit_json({"erased": True})
        else:
            typer.echo(f"person {person} erased; only anonymous counts remain")

    @cli.command("retention")
    def retention(
        dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be removed."),
        as_json: bool = base.JsonOption,
    ) -> None:
        """Apply the retention periods now (the service does it daily): old message records go, and people
        inactive for too long are erased. With --dry-run, show the counts only."""
        settings = base.settings_or_fail(as_json)
        policy = retention_policy(settings)
        app = None if dry_run else base.app_or_fail(settings)

        async def work(db: Database) -> dict[str, int]:
            now = SystemClock().now()
            if dry_run:
                async with db.reading() as session:
                    return (await plan(session, policy, now)).as_json()
            assert app is not None
            return (await apply_retention(db, policy, now, app.conversations)).as_json()

        try:
            counts = base.run_with_db(settings, as_json, work)
        finally:
            if app is not None:
                asyncio.run(app.db.dispose())
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

    @keys_cli.command("rotate")
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
