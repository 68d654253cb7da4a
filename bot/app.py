"""The composition root: the one place that builds the database, the web app and (as later issues land)
the channels, the dispatcher and the scheduler from the settings. Tests call ``build_app`` with their own
settings and a fake clock; nothing else constructs infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from bot.channels.base import ChannelAdapter
from bot.channels.simulator import SimulatorChannel
from bot.clock import Clock, SystemClock
from bot.conversation.actions import actions
from bot.conversation.flows import Choice, FlowSet, Vocabulary, load_flows
from bot.conversation.profile import CONTEXT_NAMES, PROFILE_FIELDS, RECORD_FIELDS
from bot.conversation.service import REQUIRED_COMMANDS, REQUIRED_TEXTS, ConversationService
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Channel
from bot.i18n import AUTONYMS, Catalogs
from bot.inbox import Inbox
from bot.outbox import Dispatcher
from bot.paths import project_root
from bot.privacy.crypto import load_cipher
from bot.settings import Settings
from bot.web import create_web_app

log = logging.getLogger("trampoline")


def vocabulary() -> Vocabulary:
    """What the Python side offers to flows: actions, fields, texts and commands the engine needs."""
    return Vocabulary(
        actions=actions.outputs(),
        profile_fields=PROFILE_FIELDS,
        record_fields=RECORD_FIELDS,
        context_names=CONTEXT_NAMES,
        required_texts=REQUIRED_TEXTS,
        required_commands=REQUIRED_COMMANDS,
    )


def load_conversations() -> tuple[FlowSet, Catalogs]:
    """The flows and the catalogs; raises ``FlowError`` with one line when a flow file is broken."""
    root = project_root()
    catalogs = Catalogs(root / "locales")
    # She can choose every language that has a catalog, each named in its own script.
    languages = [Choice(value=code.lower(), label=AUTONYMS[code], translate=False) for code in catalogs.available()]
    return load_flows(root / "conversations", vocabulary(), {"languages": languages}), catalogs


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    web: FastAPI
    flows: FlowSet
    catalogs: Catalogs
    conversations: ConversationService
    inbox: Inbox
    dispatcher: Dispatcher
    simulator: SimulatorChannel
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Build everything from the settings. Raises ``FlowError`` or ``SettingsError`` (one line each)."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    flows, catalogs = load_conversations()
    conversations = ConversationService(
        flows, catalogs, actions, load_cipher(settings), lock_rows=db.backend == "postgresql"
    )
    simulator = SimulatorChannel(clock)
    adapters: dict[Channel, ChannelAdapter] = {Channel.SIMULATOR: simulator}
    return App(
        settings=settings,
        clock=clock,
        db=db,
        web=create_web_app(db),
        flows=flows,
        catalogs=catalogs,
        conversations=conversations,
        inbox=Inbox(db, conversations, clock),
        dispatcher=Dispatcher(db, adapters, clock),
        simulator=simulator,
    )


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: ``serve`` stops everything in order instead,
    and the process then exits 0 rather than re-raising the signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: App) -> None:
    """Run the service until SIGINT or SIGTERM: migrate, then serve HTTP (and, later, the channels,
    the dispatcher and the scheduler), then shut down cleanly."""
    settings = app.settings
    await upgrade(app.db)
    log.info("database %s is up to date", app.db.backend)
    log.info("%d flows loaded; languages: %s", len(app.flows.flows), ", ".join(app.catalogs.available()))
    _log_channels(settings)
    app.inbox.start()

    server = _Server(
        uvicorn.Config(
            app.web,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    loop = asyncio.get_running_loop()

    def request_stop(signum: int) -> None:
        if app.stopping.is_set():
            server.force_exit = True
            return
        log.info("received %s: shutting down", signal.Signals(signum).name)
        app.stopping.set()
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop, signum)
    log.info("serving on http://%s:%d (health: /healthz)", settings.host, settings.port)
    try:
        await server.serve()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await app.inbox.stop()
        await app.db.dispose()
        log.info("stopped")


def _log_channels(settings: Settings) -> None:
    if settings.telegram_enabled:
        log.info("channel telegram: configured (%s)", settings.telegram_mode)
    if settings.whatsapp_enabled:
        log.info("channel whatsapp: configured (webhook at /webhooks/whatsapp)")
    if not settings.telegram_enabled and not settings.whatsapp_enabled:
        log.info("no platform token set: only the local simulator channel is available")
