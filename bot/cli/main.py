"""The ``trampoline`` command. Commands are thin: they read the settings, open the database and call a
service. Commands that create or list things take ``--json`` and then print exactly one JSON object on
stdout. Any error is one line on stderr (and ``{"error": ...}`` on stdout with ``--json``) and exit code 1.

Each module beside this one holds the commands of its groups; this one builds the top command and adds
every top-level command and every group, here and only here (importing a module adds nothing to ``cli``).
"""

from __future__ import annotations

import logging

import typer

from bot import __version__
from bot.cli import (
    certificate,
    coaching,
    database,
    keys,
    organisations,
    outbox,
    privacy,
    reports,
    service,
    shifts,
    texts,
    whatsapp,
    year,
)

# ``-h`` is help, like ``--help``, on every group and command (click passes it down to each command).
HELP = {"help_option_names": ["-h", "--help"]}

cli = typer.Typer(
    name="trampoline",
    context_settings=HELP,
    help="Trampoline: a coaching chatbot for participants, buddies and coaches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts are plain sentences: markdown mode joins a paragraph's lines (no break in mid-sentence in
    # the command list) and leaves brackets alone (rich markup would swallow "[voice]").
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trampoline {__version__}")
        raise typer.Exit()


@cli.callback()
def _top(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    pass


cli.command("run")(service.run)
cli.command("config")(service.show_config)
cli.command("chat")(service.chat)
certificate.register(cli)
privacy.register(cli, keys.keys_cli)  # export, forget, retention, keys rotate
reports.register(cli, organisations.people_cli)  # summary, report, people import
cli.add_typer(organisations.org_cli, name="org", context_settings=HELP)
cli.add_typer(organisations.invite_cli, name="invite", context_settings=HELP)
cli.add_typer(organisations.people_cli, name="people", context_settings=HELP)
cli.add_typer(database.db_cli, name="db", context_settings=HELP)
cli.add_typer(keys.keys_cli, name="keys", context_settings=HELP)
cli.add_typer(outbox.outbox_cli, name="outbox", context_settings=HELP)
cli.add_typer(texts.flows_cli, name="flows", context_settings=HELP)
cli.add_typer(texts.i18n_cli, name="i18n", context_settings=HELP)
cli.add_typer(whatsapp.whatsapp_cli, name="whatsapp", context_settings=HELP)
cli.add_typer(coaching.match_cli, name="match", context_settings=HELP)
cli.add_typer(shifts.shift_cli, name="shift", context_settings=HELP)
cli.add_typer(shifts.shift_cli, name="shifts", context_settings=HELP, hidden=True)  # its old name
cli.add_typer(year.steps_cli, name="steps", context_settings=HELP)
cli.add_typer(year.steps_cli, name="step", context_settings=HELP, hidden=True)  # `step add` reads well
cli.add_typer(year.trajectory_cli, name="trajectory", context_settings=HELP)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    cli()
