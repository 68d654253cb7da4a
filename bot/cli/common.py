"""What every ``trampoline`` command shares: the ``--json`` option, one-line errors, the settings, the
database opened for one piece of work (with the engine, for a command that tells someone something), the
service built for a command, plain tables."""

from __future__ import annotations

import asyncio
import enum
import io
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from babel.support import NullTranslations
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import App, build_app, conversation_service
from bot.conversation.flows import FlowError
from bot.conversation.review import review_shares
from bot.conversation.service import ConversationService
from bot.core import csv_rows, csv_safe, i18n
from bot.core.keys import load_cipher
from bot.core.settings import Settings, SettingsError, load_settings
from bot.db.engine import Database
from bot.db.migrate import is_current
from bot.db.sealing import UnsealedWrite
from bot.people.directory import DomainError

T = TypeVar("T")

JsonOption = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")


class Gender(enum.StrEnum):
    """How texts about a coach or buddy speak of her (decision 0016)."""

    FEMININE = "feminine"
    MASCULINE = "masculine"
    NEUTRAL = "neutral"


class InviteRole(enum.StrEnum):
    COACH = "coach"
    PARTICIPANT = "participant"
    BUDDY = "buddy"


def ngettext(singular: str, plural: str, count: int) -> str:
    """A count said right: ``ngettext("{count} shift imported", "{count} shifts imported", n)``. The command
    line speaks English, the message ids; the texts are collected into the catalog template like every other
    (``trampoline i18n extract`` reads ``ngettext`` calls), so a translated command line needs no new code."""
    return str(NullTranslations().ngettext(singular, plural, count)).format(count=count)


def when(iso: str | None, timezone: str) -> str:
    """A stored moment (as its JSON output writes it) as a person in Belgium reads it, day first and on a
    24-hour clock (British English, as the report's English), in ``timezone``; ``-`` for none."""
    return i18n.moment(datetime.fromisoformat(iso), "en_GB", timezone) if iso else "-"


def read_import(file: Path, as_json: bool = False) -> str:
    """The text of a spreadsheet to import (``bot/core/csv_rows.py``: UTF-8 with or without a BOM), or one
    line saying why it cannot be read (a UTF-16 or Latin-1 file says how to save it)."""
    try:
        return csv_rows.decode(file.read_bytes())
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", as_json)
    except csv_rows.EncodingError as exc:
        fail(str(exc), as_json)


def write_template(rows: Sequence[Sequence[str]], out: Path | None) -> None:
    """A file to fill in: printed, or written to ``out`` as UTF-8 with a BOM so that Excel opens it as UTF-8."""
    buffer = io.StringIO()
    csv_safe.writer(buffer).writerows(rows)
    if out is None:
        typer.echo(buffer.getvalue(), nl=False)
        return
    try:
        out.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    typer.echo(f"template written to {out}", err=True)


def fail(message: str, as_json: bool = False, code: int = 1) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": message}, ensure_ascii=False))
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_fail(as_json: bool = False) -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc), as_json)


def emit_json(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


def run_with_db(settings: Settings, as_json: bool, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the database, refuse to work on an outdated schema, run ``work``, close the database. Expected
    problems (a bad request, an unreachable database) become one line, not a traceback."""

    try:
        # Outbox payloads are sealed with the notes' keys; a command that never touches free text works
        # without them, and one that would write free text refuses (``UnsealedWrite``). Never makes a key.
        sealer = load_cipher(settings)
    except SettingsError:
        sealer = None

    async def main() -> T:
        db = Database(settings.database_url, sealer=sealer)
        try:
            if not await is_current(db):
                raise DomainError("the database schema is not up to date: run `trampoline db upgrade` first")
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        fail(str(exc), as_json)
    except UnsealedWrite:
        fail(str(load_cipher_error(settings)), as_json)
    except (OSError, OperationalError, DBAPIError) as exc:
        fail(database_problem(exc, settings.database_url), as_json)


MISSING_DATABASE = "3D000"  # PostgreSQL's invalid_catalog_name: the database does not exist


def database_problem(exc: BaseException, database_url: str) -> str:
    """The one line for a database that cannot be used: what to do when the database does not exist, else
    the kind of error. Names only the database, never the URL (it may hold a password)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if getattr(cause, "sqlstate", None) == MISSING_DATABASE:
            name = make_url(database_url).database
            return f'cannot use the database: database "{name}" does not exist (create it with createdb {name})'
        orig = getattr(cause, "orig", None)
        cause = orig if isinstance(orig, BaseException) else (cause.__cause__ or cause.__context__)
    return f"cannot use the database ({type(exc).__name__}); check TRAMPOLINE_DATABASE_URL"


def run_with_engine(
    settings: Settings, as_json: bool, work: Callable[[Database, ConversationService], Awaitable[T]]
) -> T:
    """``run_with_db`` for a command that starts a flow or tells someone something: with the conversation
    engine (``bot.app.conversation_service``), not the whole app (no adapters, web app, dispatcher or second
    database). What it says waits in the outbox for the running service to send."""
    try:
        # A command handles no inbound event, so it takes no row locks (they are the inbox's, on PostgreSQL).
        engine = conversation_service(settings, load_cipher(settings))
    except (FlowError, SettingsError) as exc:
        fail(str(exc), as_json)
    return run_with_db(settings, as_json, lambda db: work(db, engine))


def load_cipher_error(settings: Settings) -> str:
    try:
        load_cipher(settings)
    except SettingsError as exc:
        return str(exc)
    return "an outbox message with free text needs the encryption key"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        typer.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


def app_or_fail(settings: Settings, build: Callable[[Settings], App] = build_app) -> App:
    try:
        return build(settings)
    except (FlowError, SettingsError) as exc:
        fail(str(exc))


def log_review_state(app: App) -> None:
    """Once per language at start: whether its consent text is reviewed, and the share still unreviewed."""
    for share in review_shares(app.flows, app.catalogs):
        level = logging.INFO if share.consent_reviewed and share.reviewed == share.entries else logging.WARNING
        logging.getLogger("bot.core.i18n").log(level, share.log_line())
