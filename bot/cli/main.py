"""The ``trampoline`` command. Commands are thin: they read the settings, open the database and call a
service. Commands that create or list things take ``--json`` and then print exactly one JSON object on
stdout. Any error is one line on stderr (and ``{"error": ...}`` on stdout with ``--json``) and exit code 1.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
from pathlib import Path
from typing import Any

import typer
from cryptography.fernet import Fernet
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import KEY_MADE, App, ListenError, invite_terms, listen, load_conversations, prepare_first_key, serve
from bot.channels.whatsapp import TemplateError, load_templates
from bot.channels.whatsapp_templates import as_markdown, as_text, submissions
from bot.cli import coaching, privacy, reports
from bot.cli.common import (
    Gender,
    InviteRole,
    JsonOption,
    app_or_fail,
    emit_json,
    fail,
    log_review_state,
    print_table,
    run_with_db,
    settings_or_fail,
)
from bot.conversation.check import (
    MACHINE_DRAFTED,
    LabelSlot,
    LocaleReport,
    coverage,
    slots_by_msgid,
    template_msgids,
)
from bot.conversation.collisions import collisions, everyday_problems
from bot.conversation.flows import FlowError
from bot.core.clock import SystemClock
from bot.core.i18n import Catalogs, normalise_locale
from bot.core.keys import create_key_file, key_file_for
from bot.core.logs import configure_logging
from bot.core.paths import project_root
from bot.db.engine import Database
from bot.db.migrate import MigrationError, current_revision, head_revision, upgrade
from bot.db.models import Role
from bot.messaging.channel import OutboundMessage
from bot.messaging.queries import outbox_entry, outbox_status
from bot.people.directory import (
    add_organisation,
    create_invite,
    demo_invite,
    list_organisations,
    list_people,
)
from bot.translation.extract import extract_catalog, update_catalogs, write_template
from bot.translation.spreadsheet import CsvError, catalog_path, export_csv, import_csv, stamp_reviewed

cli = typer.Typer(
    name="trampoline",
    help="Trampoline: a coaching chatbot for participants, buddies and coaches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are plain sentences: markdown mode joins a paragraph's lines (no break in mid-sentence in
    # the command list) and leaves brackets alone (rich markup would swallow "[voice]").
    rich_markup_mode="markdown",
)
org_cli = typer.Typer(help="Organisations that run a coaching programme.", no_args_is_help=True)
invite_cli = typer.Typer(help="Invites for coaches, participants and buddies.", no_args_is_help=True)
people_cli = typer.Typer(help="People: participants, buddies, coaches.", no_args_is_help=True)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
keys_cli = typer.Typer(help="Encryption keys for data at rest.", no_args_is_help=True)
flows_cli = typer.Typer(help="The conversation flows in conversations/.", no_args_is_help=True)
i18n_cli = typer.Typer(help="Translations in locales/.", no_args_is_help=True)
whatsapp_cli = typer.Typer(help="WhatsApp: the message templates to submit to Meta.", no_args_is_help=True)
cli.add_typer(org_cli, name="org")
cli.add_typer(invite_cli, name="invite")
cli.add_typer(people_cli, name="people")
cli.add_typer(db_cli, name="db")
cli.add_typer(keys_cli, name="keys")
outbox_cli = typer.Typer(help="Messages waiting to be sent, and what happened to them.", no_args_is_help=True)
cli.add_typer(outbox_cli, name="outbox")
cli.add_typer(flows_cli, name="flows")
cli.add_typer(i18n_cli, name="i18n")
cli.add_typer(whatsapp_cli, name="whatsapp")


@cli.command()
def run() -> None:
    """Run the service: migrate the database, then serve the web app (health at /healthz) until stopped."""
    settings = settings_or_fail()
    configure_logging(settings.log_level, settings.log_format)
    try:
        listening = listen(settings.host, settings.port)
    except ListenError as exc:
        fail(str(exc), code=2)
    made = prepare_first_key(settings)
    if made is not None:
        logging.getLogger("bot.core.crypto").warning(KEY_MADE.format(made))
    app = app_or_fail(settings)
    log_review_state(app)
    try:
        asyncio.run(serve(app, listening))
    except MigrationError as exc:
        fail(str(exc))
    except (OperationalError, DBAPIError, ConnectionError) as exc:
        fail(f"cannot use the database ({type(exc).__name__}); check TRAMPOLINE_DATABASE_URL")


@cli.command("config")
def show_config(as_json: bool = JsonOption) -> None:
    """Print the effective configuration, secrets masked."""
    settings = settings_or_fail(as_json)
    shown = settings.effective()
    if as_json:
        emit_json(shown)
        return
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        typer.echo(f"{name.ljust(width)}  {'' if value is None else value}")


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
        fail(f"cannot use the database ({type(exc).__name__}); check TRAMPOLINE_DATABASE_URL")
    typer.echo(f"database is at revision {revision} (head {head_revision()})")
    if made is not None:
        typer.echo(KEY_MADE.format(made))


# -- organisations, invites, people ---


@org_cli.command("add")
def org_add(
    name: str = typer.Argument(..., help="The organisation's name."),
    region: str | None = typer.Option(None, help="Where it works, e.g. Antwerpen."),
    locale: str | None = typer.Option(None, help="Default language of its people (nl, fr, en, ar, ...)."),
    timezone: str | None = typer.Option(None, help="IANA time zone; default TRAMPOLINE_TIMEZONE."),
    as_json: bool = JsonOption,
) -> None:
    """Add an organisation."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> int:
        async with db.transaction() as session:
            organisation = await add_organisation(
                session,
                SystemClock(),
                name,
                region=region,
                locale=locale or settings.default_locale,
                timezone=timezone or settings.timezone,
            )
            return organisation.id

    organisation_id = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"id": organisation_id})
    else:
        typer.echo(f"organisation {organisation_id} added")


@org_cli.command("list")
def org_list(as_json: bool = JsonOption) -> None:
    """List the organisations."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.reading() as session:
            return [
                {
                    "id": o.id,
                    "name": o.name,
                    "region": o.region,
                    "locale": o.default_locale,
                    "timezone": o.timezone,
                    "created_at": o.created_at.isoformat(),
                }
                for o in await list_organisations(session)
            ]

    organisations = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"organisations": organisations})
    else:
        print_table(
            ["ID", "NAME", "REGION", "LOCALE", "TIMEZONE"],
            [[o["id"], o["name"], o["region"], o["locale"], o["timezone"]] for o in organisations],
        )


@invite_cli.command("create")
def invite_create(
    role: InviteRole = typer.Option(..., help="Who is invited."),
    org: int = typer.Option(..., "--org", help="The organisation's id."),
    coach: int | None = typer.Option(None, help="The coach's id (required for a participant)."),
    name: str | None = typer.Option(None, help="The name she is known by (she can change it)."),
    locale: str | None = typer.Option(None, help="Her language, if known; default the organisation's."),
    gender: Gender | None = typer.Option(
        None,
        help="For a coach or buddy: how texts about her speak of her. Unknown: neutral, she is asked in onboarding.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a pending person and a single-use invite with links for Telegram and WhatsApp."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> dict[str, Any]:
        async with db.transaction() as session:
            created = await create_invite(
                session,
                SystemClock(),
                invite_terms(settings),
                role=Role(role.value),
                organisation_id=org,
                coach_id=coach,
                name=name,
                locale=locale,
                gender=gender.value if gender is not None else None,
            )
            return created.as_json()

    invite = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(invite)
        return
    typer.echo(f"person {invite['person_id']} invited; code {invite['code']} (valid until {invite['expires_at']})")
    for label, key in (("Telegram", "telegram_link"), ("WhatsApp", "whatsapp_link")):
        if invite[key]:
            typer.echo(f"{label}: {invite[key]}")
    if settings.telegram_enabled and not settings.telegram_bot_username:
        typer.echo("note: set TELEGRAM_BOT_USERNAME to get a Telegram invite link", err=True)


@people_cli.command("list")
def people_list(
    org: int | None = typer.Option(None, "--org", help="Only this organisation."),
    role: Role | None = typer.Option(None, help="Only this role."),
    as_json: bool = JsonOption,
) -> None:
    """List people, with their role, status and language."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.reading() as session:
            return [
                {
                    "id": p.id,
                    "organisation_id": p.organisation_id,
                    "role": p.role.value,
                    "name": p.display_name,
                    "status": p.status.value,
                    "locale": p.locale,
                    "timezone": p.timezone,
                }
                for p in await list_people(session, organisation_id=org, role=role)
            ]

    people = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"people": people})
    else:
        print_table(
            ["ID", "ORG", "ROLE", "NAME", "STATUS", "LOCALE"],
            [[p["id"], p["organisation_id"], p["role"], p["name"], p["status"], p["locale"]] for p in people],
        )


# -- conversations ---


@cli.command()
def chat(
    locale: str | None = typer.Option(None, help="Her phone's language, offered first (ar, nl, fr, en, ...)."),
    invite: str | None = typer.Option(None, help="An invite code; without one a demo participant is made."),
) -> None:
    """Chat with the bot in this terminal, through the same inbox, engine and outbox as the platforms.

    Numbers choose buttons; several numbers ("1 3") answer a multiple-choice question; a line starting
    with [voice] sends a voice note. When stdin is not a terminal, each line is one answer and every bot
    message is printed, so a whole conversation can be piped in.
    """
    settings = settings_or_fail()
    configure_logging("WARNING")
    made = prepare_first_key(settings)
    if made is not None:
        typer.echo(KEY_MADE.format(made), err=True)
    app = app_or_fail(settings)
    try:
        asyncio.run(_chat(app, locale, invite))
    except (OperationalError, DBAPIError, OSError) as exc:
        fail(f"cannot use the database ({type(exc).__name__}); check TRAMPOLINE_DATABASE_URL")


async def _chat(app: App, locale: str | None, code: str | None) -> None:
    await upgrade(app.db)
    if code is None:
        async with app.db.transaction() as session:
            code = await demo_invite(
                session, app.clock, app.invites, None, default_locale=app.default_locale, timezone=app.timezone
            )
    phone = f"terminal-{code}"
    last: list[OutboundMessage] = []

    def show(_: str, message: OutboundMessage) -> None:
        last[:] = [message]
        typer.echo(f"\nbot: {message.text}")
        for number, button in enumerate(message.buttons, start=1):
            typer.echo(f"  {number}. {button.label}")

    app.simulator.listeners.append(show)

    async def say(line: str) -> None:
        if line.startswith("[voice]"):
            event = app.simulator.media(phone, "voice", f"terminal-voice-{line[7:].strip() or 'note'}")
        else:
            buttons = last[0].buttons if last else ()
            chosen = line.strip()
            if chosen.isdigit() and 1 <= int(chosen) <= len(buttons) and not last[0].multiple:
                event = app.simulator.press(phone, buttons[int(chosen) - 1].id)
            else:
                event = app.simulator.text(phone, line, language_hint=locale)
        await app.inbox.process([event])
        await app.dispatcher.dispatch_due()

    await say(f"/start {code}")
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = await asyncio.to_thread(input, "\n> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        if not interactive:
            if not line:
                break
            line = line.rstrip("\n")
            typer.echo(f"\n> {line}")
        if line.strip():
            await say(line)
    await app.db.dispose()


@flows_cli.command("check")
def flows_check(
    locales: Path | None = typer.Option(
        None, "--locales", help="Check the catalogs in this folder instead of locales/.", show_default=False
    ),
) -> None:
    """Check every flow, action and field they name, and each language's catalog (missing texts,
    placeholders that differ, button labels too long for WhatsApp, the plural rule, command words, and
    command words that are also a choice, a button or an everyday answer of locales/LANG/everyday.txt)
    and how far it is reviewed. Exits non-zero on any problem."""
    try:
        flows, catalogs = load_conversations()
    except FlowError as exc:
        fail(str(exc))
    if locales is not None:
        if not locales.is_dir():
            fail(f"{locales}: no such folder")
        catalogs = Catalogs(locales)
    typer.echo(f"{len(flows.flows)} flows: {', '.join(sorted(flows.flows))}")
    failed = False
    for report in coverage(flows, catalogs, template_msgids(extract_catalog(project_root()))):
        if not report.shipped:
            typer.echo(f"{report.locale:6} not translated yet")
            continue
        percent = 100 * report.translated // max(report.total, 1)
        typer.echo(f"{report.locale:6} {report.translated}/{report.total} ({percent}%)")
        if report.review is not None:
            status = report.review_note if report.review == "reviewed" else report.review
            if report.review == "unknown":
                status = f"unknown ({report.review_note})"
            typer.echo(f"       review: {status}; {report.machine_drafted} entries still marked {MACHINE_DRAFTED}")
        for msgid in report.stale[:20]:
            typer.echo(f"       stale review (the English changed since): {msgid!r}")
        for problem in report.problems[:20]:
            typer.echo(f"       {problem}")
        if len(report.problems) > 20:
            typer.echo(f"       ... and {len(report.problems) - 20} more")
        failed = failed or not report.ok
    folder = locales if locales is not None else project_root() / "locales"
    found = collisions(flows, catalogs, folder)
    for collision in found:
        typer.echo(f"collision: {collision}")
    for problem in everyday_problems(catalogs, folder):
        typer.echo(f"everyday answers: {problem}")
        failed = True
    if found:
        typer.echo(f"{len(found)} command words are also ordinary answers: choose other words (docs/translating.md)")
        failed = True
    if failed:
        fail(
            "some catalogs are incomplete, have placeholder errors, over-long button labels, wrong plural forms "
            "or command words that are ordinary answers"
        )


@i18n_cli.command("extract")
def i18n_extract() -> None:
    """Collect every text from the flows and the code into locales/messages.pot."""
    path, count = write_template(project_root())
    typer.echo(f"{count} texts written to {path}")


def review_counts(report: LocaleReport) -> dict[str, Any]:
    """One language's review state, as ``i18n status`` and the metrics show it."""
    return {
        "locale": report.locale,
        "entries": report.total,
        "translated": report.translated,
        "reviewed": report.reviewed,
        "machine_drafted": report.machine_drafted,
        "stale": len(report.stale),
    }


@i18n_cli.command("status")
def i18n_status(
    locales: Path | None = typer.Option(
        None, "--locales", help="The catalogs folder to use instead of locales/.", show_default=False
    ),
    as_json: bool = JsonOption,
) -> None:
    """Per language: the texts the bot says, how many are translated, reviewed by a person, still
    machine-drafted, and stale (reviewed, but the English changed since)."""
    try:
        flows, catalogs = load_conversations()
    except FlowError as exc:
        fail(str(exc), as_json)
    if locales is not None:
        catalogs = Catalogs(locales)
    reports = coverage(flows, catalogs, template_msgids(extract_catalog(project_root())))
    rows = [review_counts(report) for report in reports if report.shipped and report.locale != "en"]
    if as_json:
        emit_json({"languages": rows})
        return
    headers = ["LANGUAGE", "ENTRIES", "TRANSLATED", "REVIEWED", "MACHINE-DRAFTED", "STALE"]
    print_table(headers, [list(row.values()) for row in rows])


@i18n_cli.command("update")
def i18n_update() -> None:
    """Bring every catalog in locales/ up to date with the texts (new ones arrive untranslated)."""
    for locale, untranslated in update_catalogs(project_root()):
        typer.echo(f"{locale:6} {untranslated} untranslated")


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
    typer.echo(f"due now: {status['due_now']}; oldest waiting since: {status['oldest_pending_due_at'] or '-'}")


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


def _catalog_locale(locale: str) -> str:
    try:
        code = normalise_locale(locale)
    except ValueError as exc:
        fail(str(exc))
    if code == "en":
        fail("English is the source language (the message ids); choose another locale")
    return code


def _label_slots() -> dict[str, list[LabelSlot]]:
    try:
        flows, _ = load_conversations()
    except FlowError as exc:
        fail(str(exc))
    return slots_by_msgid(flows)


@i18n_cli.command("export-csv")
def i18n_export_csv(
    locale: str = typer.Argument(..., help="The language, e.g. ar, fa_AF, uk."),
    file: Path = typer.Argument(..., help="The spreadsheet to write (.csv, UTF-8)."),
    locales: Path | None = typer.Option(
        None, "--locales", help="The catalogs folder to use instead of locales/.", show_default=False
    ),
) -> None:
    """Write one language's catalog as a spreadsheet for translators (see docs/translating.md)."""
    code = _catalog_locale(locale)
    try:
        count = export_csv(catalog_path(locales or project_root() / "locales", code), file, code, _label_slots())
    except (CsvError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"{count} rows written to {file}")


@i18n_cli.command("import-csv")
def i18n_import_csv(
    locale: str = typer.Argument(..., help="The language, e.g. ar, fa_AF, uk."),
    file: Path = typer.Argument(..., help="The spreadsheet made by export-csv, with translations filled in."),
    locales: Path | None = typer.Option(
        None, "--locales", help="The catalogs folder to use instead of locales/.", show_default=False
    ),
) -> None:
    """Bring a translator's spreadsheet into the catalog. Every row is checked first; when one is wrong,
    nothing is imported. A note that starts with "reviewed" removes the machine-drafted mark."""
    code = _catalog_locale(locale)
    try:
        result = import_csv(catalog_path(locales or project_root() / "locales", code), file, code, _label_slots())
    except (CsvError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"{code}: {result.changed} translations changed, {result.reviewed} entries marked reviewed")


class TemplateFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@whatsapp_cli.command("templates")
def whatsapp_templates(
    locale: str | None = typer.Option(
        None, "--locale", help="Only this language: our locale (fa_AF) or Meta's code (prs_AF).", show_default=False
    ),
    output: TemplateFormat = typer.Option(TemplateFormat.text, "--format", help="text, json, or markdown."),
) -> None:
    """Print each template as a coordinator pastes it into Meta's template manager: name, category,
    language code, and the body with example values. The markdown is docs/whatsapp-templates.md."""
    try:
        templates = load_templates(project_root() / "conversations" / "_whatsapp_templates.yaml")
        _, catalogs = load_conversations()
    except (TemplateError, FlowError) as exc:
        fail(str(exc), output is TemplateFormat.json)
    items = submissions(templates, lambda text, code: catalogs.translations(code).gettext(text), locale)
    if not items:
        fail(f"no template language for {locale!r}; see languages: in conversations/_whatsapp_templates.yaml")
    if output is TemplateFormat.json:
        emit_json({"templates": [item.as_dict() for item in items]})
    else:
        typer.echo(as_markdown(items) if output is TemplateFormat.markdown else as_text(items), nl=False)


@i18n_cli.command("mark-reviewed")
def i18n_mark_reviewed(
    locale: str = typer.Argument(..., help="The language, e.g. ar, fa_AF, uk."),
    locales: Path | None = typer.Option(
        None, "--locales", help="The catalogs folder to use instead of locales/.", show_default=False
    ),
) -> None:
    """After a review in Poedit: every translated text whose machine-drafted comment the reviewer deleted
    gets the reviewed mark with the hash of its English (see docs/translating.md)."""
    code = _catalog_locale(locale)
    try:
        stamped = stamp_reviewed(catalog_path(locales or project_root() / "locales", code), code)
    except (CsvError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"{code}: {stamped} entries marked reviewed")


@keys_cli.command("generate")
def keys_generate(
    write: bool = typer.Option(
        False, "--write", help="Write the key to the key file beside the SQLite database instead of printing it."
    ),
) -> None:
    """Print a new encryption key for TRAMPOLINE_ENCRYPTION_KEYS (put the newest key first). With --write,
    make the first key file of an embedded SQLite database (it never replaces one)."""
    if not write:
        typer.echo(Fernet.generate_key().decode())
        return
    settings = settings_or_fail()
    key_file = key_file_for(settings)
    if key_file is None:
        fail(
            "--write is for the embedded SQLite database; with TRAMPOLINE_ENCRYPTION_KEYS or PostgreSQL, "
            "put the printed key in TRAMPOLINE_ENCRYPTION_KEYS"
        )
    if key_file.exists():
        fail(f"{key_file} already holds a key; to change keys see `trampoline keys rotate`")
    create_key_file(key_file)
    typer.echo(f"a new encryption key is in {key_file}: back it up with the database")


# The commands of the other modules, added here and only here.
privacy.register(cli, keys_cli)  # export, forget, retention, keys rotate
reports.register(cli, people_cli)  # summary, report, people import
cli.add_typer(coaching.match_cli, name="match")
cli.add_typer(coaching.shift_cli, name="shift")
cli.add_typer(coaching.shifts_cli, name="shifts")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    cli()
