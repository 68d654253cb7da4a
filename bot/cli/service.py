"""``trampoline run``, ``config`` and ``chat``: the service itself, its settings, and a chat with it in the
terminal. ``bot/cli/main.py`` adds them to the top command."""

from __future__ import annotations

import asyncio
import logging
import sys

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import App, build_app, build_demo
from bot.cli.chat_terminal import Terminal
from bot.cli.common import JsonOption, app_or_fail, emit_json, fail, log_review_state, settings_or_fail
from bot.cli.keys import KEY_MADE, prepare_first_key
from bot.core.logs import configure_logging
from bot.db.migrate import MigrationError, upgrade
from bot.messaging.channel import OutboundMessage
from bot.people.directory import demo_invite
from bot.serve import ListenError, listen, serve


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


def chat(
    locale: str | None = typer.Option(None, help="Her phone's language, offered first (ar, nl, fr, en, ...)."),
    invite: str | None = typer.Option(
        None, help="An invite code, on the configured database; without one a demo participant, in var/demo.db."
    ),
) -> None:
    """Chat with the bot in this terminal, through the same inbox, engine and outbox as the platforms.

    Numbers choose buttons; several numbers ("1 3") answer a multiple-choice question; a line starting
    with [voice] sends a voice note. When stdin is not a terminal, each line is one answer and every bot
    message is printed, so a whole conversation can be piped in. Without --invite it plays in the demo
    database (demo.db beside the configured SQLite file), which no report or summary of real people counts.
    """
    settings = settings_or_fail()
    configure_logging("WARNING")
    made = prepare_first_key(settings)
    if made is not None:
        typer.echo(KEY_MADE.format(made), err=True)
    app = app_or_fail(settings, build_app if invite is not None else build_demo)
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

    terminal = Terminal(app.simulator.text_for)

    def show(_: str, message: OutboundMessage) -> None:
        last[:] = [message]
        for line in terminal.lines(message):
            typer.echo(line)

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
