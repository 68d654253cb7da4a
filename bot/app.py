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
from datetime import timedelta

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
from bot.outbox import ChannelRate, Dispatcher, DispatchPolicy
from bot.paths import project_root
from bot.privacy.crypto import load_cipher
from bot.scheduling.planner import NudgeRunner
from bot.scheduling.runner import Ticks, start_scheduler
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
    nudges: NudgeRunner
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
    dispatcher = Dispatcher(db, adapters, clock, dispatch_policy(settings))
    inbox = Inbox(db, conversations, clock)
    inbox.after_commit = dispatcher.wake.set
    return App(
        settings=settings,
        clock=clock,
        db=db,
        web=create_web_app(db),
        flows=flows,
        catalogs=catalogs,
        conversations=conversations,
        inbox=inbox,
        dispatcher=dispatcher,
        simulator=simulator,
        nudges=NudgeRunner(db, conversations, timedelta(hours=settings.checkin_reminder_hours)),
    )


def dispatch_policy(settings: Settings) -> DispatchPolicy:
    return DispatchPolicy(
        max_attempts=settings.max_send_attempts,
        max_nudges_per_day=settings.max_nudges_per_day,
        rates={
            Channel.TELEGRAM: ChannelRate(settings.rate_telegram, 1.0 / settings.rate_telegram_per_chat),
            Channel.WHATSAPP: ChannelRate(settings.rate_whatsapp, 1.0),
            Channel.SIMULATOR: ChannelRate(1000.0),
        },
    )


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: ``serve`` stops everything in order instead,
    and the process then exits 0 rather than re-raising the signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: App) -> None:
    """Run the service until SIGINT or SIGTERM: migrate, then serve HTTP, run the inbox worker, the outbox
    dispatcher and the scheduler's ticks; on a signal stop claiming, finish what is in flight, and exit."""
    settings = app.settings
    await upgrade(app.db)
    log.info("database %s is up to date", app.db.backend)
    log.info("%d flows loaded; languages: %s", len(app.flows.flows), ", ".join(app.catalogs.available()))
    _log_channels(settings)
    app.inbox.start()
    dispatching = asyncio.create_task(app.dispatcher.run(app.stopping), name="dispatcher")
    scheduler = start_scheduler(Ticks(app.db, app.nudges, app.clock, app.dispatcher.wake.set))

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
        # Stop claiming new work, let what is in flight finish, then close the database.
        scheduler.shutdown(wait=False)
        app.stopping.set()
        await dispatching
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
