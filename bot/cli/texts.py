"""``trampoline flows`` and ``trampoline i18n``: checking the conversation flows and their catalogs, and the
translators' tools (the template, the catalogs, the review spreadsheet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.app import load_conversations
from bot.cli.common import JsonOption, emit_json, fail, print_table
from bot.conversation.check import LabelSlot, LocaleReport, coverage, slots_by_msgid, template_msgids
from bot.conversation.collisions import collisions, everyday_problems
from bot.conversation.flows import FlowError
from bot.conversation.review import MACHINE_DRAFTED
from bot.core.i18n import Catalogs, normalise_locale
from bot.core.paths import project_root
from bot.translation.extract import extract_catalog, update_catalogs, write_template
from bot.translation.spreadsheet import CsvError, catalog_path, export_csv, import_csv, stamp_reviewed

flows_cli = typer.Typer(help="The conversation flows in conversations/.", no_args_is_help=True)
i18n_cli = typer.Typer(help="Translations in locales/.", no_args_is_help=True)


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
