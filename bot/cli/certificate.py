"""``trampoline certificate``: her certificate of volunteer work as a PDF, a thin command over
bot/coaching/certificate.py. ``bot/cli/main.py`` adds it."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.app import load_conversations
from bot.cli.common import fail, run_with_db, settings_or_fail
from bot.cli.organisations import StaffLanguage
from bot.coaching.certificate import Facts, certificate_facts, certificate_pdf
from bot.coaching.texts import CoachTexts
from bot.conversation.flows import FlowError
from bot.core.clock import SystemClock
from bot.db.engine import Database

SKILLS_LENGTH = 600


def certificate_command(
    person: int = typer.Option(..., "--person", metavar="ID", help="The participant's id (`trampoline people list`)."),
    out: Path = typer.Option(..., "--out", help="The PDF file to write.", dir_okay=False),
    lang: StaffLanguage | None = typer.Option(
        None, "--lang", help="The staff's language beside hers; default the organisation's (Dutch or French)."
    ),
    skills: str | None = typer.Option(
        None, "--skills", help="The tasks and skills you confirm, in your words (printed as written, not kept)."
    ),
) -> None:
    """Write her certificate of volunteer work, one A4 page for an employer: each place with its dates and
    hours, other volunteer work, the total, her coach and the date, in Dutch or French and in her language."""
    settings = settings_or_fail()
    if skills is not None and len(skills.strip()) > SKILLS_LENGTH:
        fail(f"--skills is at most {SKILLS_LENGTH} characters")
    try:
        flows, catalogs = load_conversations()
    except FlowError as exc:
        fail(str(exc))

    async def work(db: Database) -> Facts:
        async with db.reading() as session:
            return await certificate_facts(session, person, SystemClock().now())

    facts = run_with_db(settings, False, work)
    try:
        pdf = certificate_pdf(facts, CoachTexts(flows, catalogs), lang.value if lang else None, skills or None)
    except OSError:  # WeasyPrint could not load Pango
        fail("cannot lay out the certificate: it needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)")
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or type(exc).__name__}")
    typer.echo(f"person {person}: certificate written to {out}")


def register(cli: typer.Typer) -> None:
    cli.command("certificate")(certificate_command)
