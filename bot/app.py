"""The composition root: the one place that builds the database, the web app and (as later issues land)
the channels, the dispatcher and the scheduler from the settings. Tests call ``build_app`` with their own
settings and a fake clock; nothing else constructs infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import secrets
import signal
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.channels import telegram as telegram_links
from bot.channels import whatsapp as whatsapp_links
from bot.channels.simulator import SimulatorChannel
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel, TokenRejected
from bot.channels.whatsapp import TemplateError, WhatsAppChannel, load_templates
from bot.coaching import buddies, shifts
from bot.coaching import chat as coaching_chat
from bot.conversation import actions as engine_actions
from bot.conversation.actions import ActionRegistry
from bot.conversation.check import review_shares
from bot.conversation.flows import Choice, FlowError, FlowSet, Vocabulary, load_flows
from bot.conversation.profile import CONTEXT_NAMES, PROFILE_FIELDS, RECORD_FIELDS
from bot.conversation.service import REQUIRED_COMMANDS, REQUIRED_TEXTS, ConversationService
from bot.core.channel import Channel
from bot.core.clock import Clock, OffsetClock, SystemClock
from bot.core.i18n import AUTONYMS, Catalogs
from bot.core.keys import create_key_file, key_file_for, load_cipher
from bot.core.paths import project_root
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Role, ServiceSetting
from bot.messaging.channel import ChannelAdapter
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate
from bot.messaging.receipts import record_statuses
from bot.people.directory import InviteTerms
from bot.privacy import actions as privacy_actions
from bot.privacy.retention import RetentionPolicy
from bot.runtime.inbox import Inbox
from bot.runtime.metrics import Metrics
from bot.runtime.ticks import Ticks, start_scheduler
from bot.scheduling.planner import NudgeKinds, NudgeRunner
from bot.web.asgi import create_web_app
from bot.web.simulator import mount_simulator

log = logging.getLogger("trampoline")


@dataclass(frozen=True)
class Features:
    """Every flow action and every nudge kind of the features, added here and only here."""

    actions: ActionRegistry
    nudges: NudgeKinds


def features() -> Features:
    actions, nudges = ActionRegistry(), NudgeKinds()
    engine_actions.register(actions)  # consent, onboarding, check-in, her coach, pause, resume, stop
    privacy_actions.register(actions)  # privacy.export, privacy.forget
    buddies.register(actions, nudges)  # match.*, buddy.*, the match reminders
    shifts.register(actions, nudges)  # shift.*, the shift reminders
    coaching_chat.register(actions, nudges)  # coaching.*, the coach's weekly summary
    return Features(actions, nudges)


def invite_terms(settings: Settings) -> InviteTerms:
    """How invites are made with these settings: their validity, and a link per configured channel (the
    Telegram link needs the bot's username)."""

    def links(code: str) -> dict[str, str | None]:
        telegram = whatsapp = None
        if settings.telegram_enabled and settings.telegram_bot_username:
            telegram = telegram_links.invite_link(settings.telegram_bot_username, code)
        if settings.whatsapp_enabled and settings.whatsapp_phone_number:
            whatsapp = whatsapp_links.invite_link(settings.whatsapp_phone_number, code)
        return {Channel.TELEGRAM.value: telegram, Channel.WHATSAPP.value: whatsapp}

    return InviteTerms(valid_days=settings.invite_valid_days, links=links)


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(settings.retention_messages_days, settings.retention_inactive_months)


def image_directory() -> Path:
    """Charts and QR codes, referred to from outbox rows by absolute path (see decision 0009)."""
    return Path.cwd() / "var" / "images"


def vocabulary(actions: ActionRegistry | None = None) -> Vocabulary:
    """What the Python side offers to flows: actions, fields, texts and commands the engine needs."""
    actions = actions or features().actions
    return Vocabulary(
        actions=actions.outputs(),
        profile_fields=PROFILE_FIELDS,
        record_fields=RECORD_FIELDS,
        context_names=CONTEXT_NAMES,
        required_texts=REQUIRED_TEXTS,
        required_commands=REQUIRED_COMMANDS,
    )


def load_conversations(
    actions: ActionRegistry | None = None, directory: Path | None = None
) -> tuple[FlowSet, Catalogs]:
    """The flows (of ``conversations/``, or ``directory``) and the catalogs; raises ``FlowError`` with one
    line when a flow file is broken."""
    root = project_root()
    catalogs = Catalogs(root / "locales")
    # She can choose every language that has a catalog, each named in its own script.
    languages = [Choice(value=code.lower(), label=AUTONYMS[code], translate=False) for code in catalogs.available()]
    flows = load_flows(directory or root / "conversations", vocabulary(actions), {"languages": languages})
    return flows, catalogs


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
    telegram: TelegramChannel | None = None
    whatsapp: WhatsAppChannel | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def invites(self) -> InviteTerms:
        return invite_terms(self.settings)

    @property
    def default_locale(self) -> str:
        return self.settings.default_locale

    @property
    def timezone(self) -> str:
        return self.settings.timezone


def prepare_first_key(settings: Settings) -> Path | None:
    """A new embedded database gets its first encryption key here, and only here (``db upgrade``, ``run`` and
    ``chat``, which migrate): the file path when one was made. An existing database without its key is left
    alone, so ``load_cipher`` refuses in one line instead of making a key that cannot read her notes."""
    key_file = key_file_for(settings)
    if key_file is None or key_file.exists() or settings.sqlite_path is None:
        return None
    if not sqlite_is_new(settings.sqlite_path):
        return None
    create_key_file(key_file)
    return key_file


KEY_MADE = "created an encryption key in {}; back it up with the database, or set TRAMPOLINE_ENCRYPTION_KEYS"


def sqlite_is_new(path: Path) -> bool:
    """No file yet, or a file with no tables (SQLite makes an empty file on first connect)."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return int(tables[0]) == 0


def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Build everything from the settings. Raises ``FlowError`` or ``SettingsError`` (one line each)."""
    # The simulator's clock control moves the clock forward; a service with real people never jumps in time.
    clock = clock or (OffsetClock() if settings.simulator_enabled else SystemClock())
    cipher = load_cipher(settings)
    db = Database(settings.database_url, sealer=cipher)
    wired = features()
    flows, catalogs = load_conversations(wired.actions)
    conversations = ConversationService(
        flows,
        catalogs,
        wired.actions,
        cipher,
        images=image_directory(),
        invites=invite_terms(settings),
        lock_rows=db.backend == "postgresql",
    )
    simulator = SimulatorChannel(clock)
    adapters: dict[Channel, ChannelAdapter] = {Channel.SIMULATOR: simulator}
    telegram = telegram_channel(settings, clock, flows, catalogs)
    if telegram is not None:
        adapters[Channel.TELEGRAM] = telegram
    whatsapp = whatsapp_channel(settings, clock, flows, conversations)
    if whatsapp is not None:
        adapters[Channel.WHATSAPP] = whatsapp
    dispatcher = Dispatcher(db, adapters, clock, dispatch_policy(settings))
    inbox = Inbox(db, conversations, clock)
    inbox.after_commit = dispatcher.wake.set
    app = App(
        settings=settings,
        clock=clock,
        db=db,
        web=create_web_app(
            db,
            submit=inbox.submit,
            telegram=telegram,
            metrics=Metrics(db, clock, inbox, {s.locale: s.ratio for s in review_shares(flows, catalogs)}).render,
            whatsapp=whatsapp,
            statuses=lambda statuses: record_statuses(db, Channel.WHATSAPP, statuses, clock.now()),
        ),
        flows=flows,
        catalogs=catalogs,
        conversations=conversations,
        inbox=inbox,
        dispatcher=dispatcher,
        simulator=simulator,
        nudges=NudgeRunner(db, conversations, timedelta(hours=settings.checkin_reminder_hours), kinds=wired.nudges),
        telegram=telegram,
        whatsapp=whatsapp,
    )
    if settings.simulator_enabled:
        mount_simulator(app)
    return app


def whatsapp_channel(
    settings: Settings, clock: Clock, flows: FlowSet, conversations: ConversationService
) -> WhatsAppChannel | None:
    """The WhatsApp adapter when WhatsApp is configured (settings refuse a half-configured one, and one
    without the app secret), with the templates of ``conversations/_whatsapp_templates.yaml``."""
    if not settings.whatsapp_enabled:
        return None
    assert settings.whatsapp_phone_number_id is not None
    assert settings.whatsapp_access_token is not None
    assert settings.whatsapp_app_secret is not None
    assert settings.whatsapp_verify_token is not None
    try:
        templates = load_templates(project_root() / "conversations" / "_whatsapp_templates.yaml")
    except TemplateError as exc:
        raise FlowError(str(exc)) from None

    def translate(text_id: str, locale: str) -> str:
        return conversations.renderer.text(flows.texts[text_id], locale, {})

    return WhatsAppChannel(
        settings.whatsapp_phone_number_id.strip(),
        settings.whatsapp_access_token.get_secret_value().strip(),
        settings.whatsapp_app_secret.get_secret_value().strip(),
        settings.whatsapp_verify_token.get_secret_value(),
        clock,
        templates=templates,
        base_url=settings.whatsapp_api_base_url,
        translate=translate,
    )


def telegram_channel(settings: Settings, clock: Clock, flows: FlowSet, catalogs: Catalogs) -> TelegramChannel | None:
    """The Telegram adapter when a token is set. Its command menu names each command by its word in every
    language that has a catalog (Telegram wants two-letter language codes)."""
    if settings.telegram_bot_token is None:
        return None
    commands: dict[str | None, list[tuple[str, str]]] = {}
    for locale in [None, *(code for code in catalogs.available() if code != "en")]:
        tr = catalogs.translations(locale or "en")
        shown = [c for c in flows.commands if not c.roles or Role.PARTICIPANT.value in c.roles]  # hers, not coach tools
        words = [(c.name, tr.pgettext("command", c.words).split("|")[0].strip()) for c in shown]
        commands[locale.split("_")[0] if locale else None] = [
            (name, word[:1].upper() + word[1:]) for name, word in words
        ]
    return TelegramChannel(
        settings.telegram_bot_token.get_secret_value().strip(),
        clock,
        base_url=settings.telegram_api_base_url,
        commands=commands,
    )


async def telegram_webhook_secret(app: App) -> str:
    """``TELEGRAM_WEBHOOK_SECRET``, or one made once and kept in the database, so every worker and every
    restart uses the same one."""
    if app.settings.telegram_webhook_secret is not None:
        return app.settings.telegram_webhook_secret.get_secret_value()
    name = "telegram_webhook_secret"
    insert_ = pg_insert if app.db.backend == "postgresql" else sqlite_insert
    async with app.db.transaction() as session:
        # Two workers starting together both try; the first one's secret is the one both use.
        await session.execute(
            insert_(ServiceSetting)
            .values(name=name, value=secrets.token_urlsafe(32))
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return str(await session.scalar(select(ServiceSetting.value).where(ServiceSetting.name == name)))


async def start_telegram(app: App) -> asyncio.Task[None] | None:
    """Telegram by webhook (with a public URL) or by polling, in a task that stops with the service.
    A rejected token turns the channel off with one log line; the rest of the service keeps running."""
    telegram = app.telegram
    if telegram is None:
        return None
    webhook_secret = await telegram_webhook_secret(app) if app.settings.public_url else None
    if webhook_secret is not None:
        telegram.webhook_secret = webhook_secret  # the webhook route accepts updates from now on

    async def run() -> None:
        try:
            await telegram.start()
            if webhook_secret is not None:
                url = f"{app.settings.public_url}{WEBHOOK_PATH}"
                await telegram.register_webhook(url, webhook_secret, app.stopping)
            else:
                await telegram.poll(app.inbox.submit, app.stopping)
        except TokenRejected as exc:
            log.error("%s: the Telegram channel is off until the token is fixed", exc)

    return asyncio.create_task(run(), name="telegram")


async def stop_telegram(app: App, task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if app.telegram is not None:
        await app.telegram.stop()


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


class ListenError(Exception):
    """The web port cannot be opened (taken, not allowed, an address this machine does not have)."""


def listen(host: str, port: int) -> socket.socket:
    """Open the service's listening socket before anything else starts, so a port that is taken is one
    clear line (naming the setting) instead of a half-started service and a wall of tracebacks."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {str(exc.strerror).lower()} (TRAMPOLINE_HOST)") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        setting = "TRAMPOLINE_HOST" if exc.errno == errno.EADDRNOTAVAIL else "TRAMPOLINE_PORT"
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ListenError(f"cannot listen on {host}:{port}: {reason} ({setting})") from None
    sock.setblocking(False)
    return sock


async def serve(app: App, listening: socket.socket | None = None) -> None:
    """Run the service until SIGINT or SIGTERM: open the port, migrate, then serve HTTP, run the inbox
    worker, the outbox dispatcher and the scheduler's ticks; on a signal stop claiming, finish what is in
    flight, and exit. A port that cannot be opened raises ``ListenError`` before anything has started."""
    settings = app.settings
    listening = listening or listen(settings.host, settings.port)
    try:
        await upgrade(app.db)
    except BaseException:
        listening.close()
        raise
    log.info("database %s is up to date", app.db.backend)
    log.info("%d flows loaded; languages: %s", len(app.flows.flows), ", ".join(app.catalogs.available()))
    _log_channels(settings)
    app.inbox.start()
    dispatching = asyncio.create_task(app.dispatcher.run(app.stopping), name="dispatcher")
    retention = retention_policy(settings)
    scheduler = start_scheduler(Ticks(app.db, app.nudges, app.clock, app.dispatcher.wake.set, retention))
    telegram = await start_telegram(app)

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
    freeze_startup_objects()
    log.info("serving on http://%s:%d (health: /healthz)", settings.host, settings.port)
    if settings.simulator_enabled:
        log.info("simulator: open http://%s:%d/simulator in a browser", _browsable(settings.host), settings.port)
    try:
        await server.serve(sockets=[listening])
    finally:
        listening.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        # Stop claiming new work, let what is in flight finish, then close the database.
        scheduler.shutdown(wait=False)
        app.stopping.set()
        await stop_telegram(app, telegram)
        await dispatching
        if app.whatsapp is not None:
            await app.whatsapp.stop()
        await app.inbox.stop()
        await app.db.dispose()
        log.info("stopped")


def freeze_startup_objects() -> None:
    """What start-up loaded (flows, catalogs, the ORM's mappings, the libraries) stays for the life of the
    process. Moved out of the garbage collector's view, a full collection no longer walks it: with it, one
    such collection paused everything for about 70 ms, which every message in flight waited for (it was
    most of ``bench.inbound``'s p99 at 200 messages a second: 22 ms with it, 8 ms without)."""
    gc.collect()
    gc.freeze()


def _browsable(host: str) -> str:
    """An address a browser on this machine can open: a wildcard listen address is not one."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared, not bound


def _log_channels(settings: Settings) -> None:
    if settings.telegram_enabled:
        log.info("channel telegram: configured (%s)", settings.telegram_mode)
    if settings.whatsapp_enabled:
        log.info("channel whatsapp: configured (webhook at /webhooks/whatsapp)")
    if not settings.telegram_enabled and not settings.whatsapp_enabled:
        log.info("no platform token set: only the local simulator channel is available")
