"""``trampoline db``: the database schema."""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.cli.common import database_problem, fail, settings_or_fail
from bot.cli.keys import KEY_MADE, prepare_first_key
from bot.db.engine import Database
from bot.db.migrate import MigrationError, current_revision, head_revision, upgrade

db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration that has not been applied yet (creates the SQLite file, and its encryption key
    beside it, on first run)."""
    settings = settings_or_fail()
    made = prepare_first_key(settings)

    async def work() -> str | None:
        db = Database(settings.database_url)
        try:
            await upgrade(db)
            return await current_revision(db)
        finally:
            await db.dispose()

    try:
        revision = asyncio.run(work())
    except MigrationError as exc:
        fail(str(exc))
    except (OSError, OperationalError, DBAPIError) as exc:
        fail(database_problem(exc, settings.database_url))
    typer.echo(f"database is at revision {revision} (head {head_revision()})")
    if made is not None:
        typer.echo(KEY_MADE.format(made))
