"""``trampoline summary``, ``trampoline report`` and ``trampoline people import``: thin commands over
bot/coaching/summary.py and summary_text.py, report.py and report_render.py, and importing.py.
``bot/cli/main.py`` adds them (``register``)."""

from __future__ import annotations

import enum
from datetime import date
from pathlib import Path
from typing import Any

import typer

from bot.app import invite_terms, load_conversations
from bot.cli.common import (
    JsonOption,
    emit_json,
    fail,
    ngettext,
    read_import,
    run_with_db,
    settings_or_fail,
    write_template,
)
from bot.coaching import importing, report, report_render, summary, summary_text
from bot.coaching.texts import CoachTexts
from bot.conversation.flows import FlowError
from bot.core.clock import SystemClock
from bot.db.engine import Database
from bot.people.directory import DomainError

IMPORT_HELP = "A CSV file (UTF-8, comma or semicolon) with the header below."
# The header in the epilog, on a line of its own: in the argument's help, rich cut it at "schooli…".
IMPORT_EPILOG = (
    "The header:\n\n"
    + ",".join(importing.HEADER)
    + "\n\nAn optional last column, started: the day she began, like 01/09/2026 (empty or left out: today). "
    + "`trampoline people template` writes a file to fill in."
)


class SummaryFormat(enum.StrEnum):
    TEXT = "text"
    HTML = "html"


class ReportFormat(enum.StrEnum):
    HTML = "html"
    TEXT = "text"
    CSV = "csv"
    JSON = "json"


ReportLanguage = enum.StrEnum("ReportLanguage", {code: code for code in report_render.REPORT_LANGUAGES})  # type: ignore[misc]


def summary_command(
    coach: int = typer.Option(..., "--coach", help="The coach's id."),
    week: str | None = typer.Option(None, "--week", help="An ISO week like 2026-W48; default this week."),
    fmt: SummaryFormat = typer.Option(SummaryFormat.TEXT, "--format", help="text or html."),
) -> None:
    """Print a coach's weekly summary, in her language, as she gets it in the chat."""
    from bot.app import chart_fonts  # here, not at the top: this file's imports are shared with `report`

    settings = settings_or_fail()
    if week is not None:
        try:
            summary.week_monday(week)
        except ValueError as exc:
            fail(str(exc))
    try:
        flows, catalogs = load_conversations()
    except FlowError as exc:
        fail(str(exc))
    texts = CoachTexts(flows, catalogs)

    async def work(db: Database) -> str:
        async with db.reading() as session:
            found = await summary.collect(session, [coach], SystemClock().now(), week)
        if not found:
            raise DomainError(f"no coach with id {coach}")
        made = found[0]
        if fmt is SummaryFormat.HTML:
            return summary_text.render_html(texts, made, chart_fonts())
        return summary_text.render_text(texts, made)

    typer.echo(run_with_db(settings, False, work))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: a date is written like 2026-01-31, not {value!r}")


def report_command(
    org: int | None = typer.Option(None, "--org", help="Only this organisation; default all of them."),
    date_from: str | None = typer.Option(None, "--from", help="First day, like 2026-01-01."),
    date_to: str | None = typer.Option(None, "--to", help="Last day, like 2026-12-31; default today."),
    fmt: ReportFormat = typer.Option(ReportFormat.HTML, "--format", help="html (A4), text, csv or json."),
    lang: ReportLanguage | None = typer.Option(
        None, "--lang", help="nl, fr or en; default the organisation's language with --org, else en."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of printing."),
) -> None:
    """The programme report: counts and percentages without names or ids; cells of fewer than 5 women, and
    the cells that would reveal them, are suppressed. The demo organisation is left out unless --org names it."""
    settings = settings_or_fail(fmt is ReportFormat.JSON)
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if start is not None and end is not None and start > end:
        fail("--from is after --to")
    try:
        catalogs = load_conversations()[1]
    except FlowError as exc:
        fail(str(exc), fmt is ReportFormat.JSON)

    async def work(db: Database) -> str:
        async with db.reading() as session:
            made = await report.build_report(
                session, now=SystemClock().now(), organisation_id=org, period_from=start, period_to=end
            )
        language = report_render.language_for(made, lang.value if lang is not None else None)
        return report_render.render(made, fmt.value, catalogs.translations(language))

    rendered = run_with_db(settings, fmt is ReportFormat.JSON, work)
    if out is None:
        typer.echo(rendered, nl=not rendered.endswith("\n"))
        return
    try:
        out.write_text(rendered, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    typer.echo(f"report written to {out}", err=True)


def people_import(
    file: Path = typer.Argument(..., help=IMPORT_HELP),
    org: int = typer.Option(..., "--org", help="The organisation's id."),
    coach: int = typer.Option(..., "--coach", help="The coach whose caseload they join."),
    allow_duplicates: bool = typer.Option(
        False, "--allow-duplicates", help="Import a name that is twice in the file or already in the organisation."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Import participants as pending, each with an invite. A bad row imports nothing and is named."""
    settings = settings_or_fail(as_json)
    content = read_import(file, as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.transaction() as session:
            return await importing.import_participants(
                session,
                SystemClock(),
                invite_terms(settings),
                content,
                organisation_id=org,
                coach_id=coach,
                allow_duplicates=allow_duplicates,
            )

    created = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"participants": created})
        return
    for row in created:
        link = row["telegram_link"] or row["whatsapp_link"] or row["code"]
        typer.echo(f"line {row['line']}: person {row['person_id']} {row['name'] or ''} {link}".rstrip())
    typer.echo(ngettext("{count} participant imported", "{count} participants imported", len(created)), err=True)


def people_template(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of printing."),
) -> None:
    """A CSV file to fill in for `trampoline people import`: the header and two examples (UTF-8 with a BOM, so
    Excel opens it as UTF-8)."""
    write_template([importing.HEADER, *importing.EXAMPLES], out)


def register(cli: typer.Typer, people_cli: typer.Typer) -> None:
    cli.command("summary")(summary_command)
    cli.command("report")(report_command)
    people_cli.command("import", epilog=IMPORT_EPILOG)(people_import)
    people_cli.command("template")(people_template)
