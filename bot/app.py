"""The composition root: the one place that builds the database, the web app and (as later issues land)
the channels, the dispatcher and the scheduler from the settings. Tests call ``build_app`` with their own
settings and a fake clock; nothing else constructs infrastructure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from bot.channels import simulator as simulator_links
from bot.channels import telegram as telegram_links
from bot.channels import whatsapp as whatsapp_links
from bot.channels.simulator import SimulatorChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import TemplateError, WhatsAppChannel, load_templates
from bot.coaching import buddy_actions, certificate, her_steps, milestones, path, shifts, year_feedback
from bot.coaching import chat as coaching_chat
from bot.coaching.chart import ChartFonts
from bot.conversation import actions as engine_actions
from bot.conversation.actions import ActionRegistry
from bot.conversation.flow_loading import load_flows
from bot.conversation.flows import FlowError, FlowSet, Vocabulary
from bot.conversation.profile import CONTEXT_NAMES, PROFILE_FIELDS, RECORD_FIELDS
from bot.conversation.review import review_shares
from bot.conversation.service import REQUIRED_COMMANDS, REQUIRED_TEXTS, ConversationService
from bot.conversation.wording import Choice
from bot.core.channel import Channel
from bot.core.clock import Clock, OffsetClock, SystemClock
from bot.core.crypto import Cipher
from bot.core.i18n import AUTONYMS, Catalogs
from bot.core.keys import load_cipher
from bot.core.paths import project_root
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, Role
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
from bot.scheduling.planner import NudgeKinds, NudgeRunner
from bot.web.asgi import create_web_app
from bot.web.simulator import mount_simulator


@dataclass(frozen=True)
class Features:
    """Every flow action and every nudge kind of the features, added here and only here."""

    actions: ActionRegistry
    nudges: NudgeKinds


def features() -> Features:
    actions, nudges = ActionRegistry(), NudgeKinds()
    engine_actions.register(actions)  # consent, onboarding, check-in, her coach, pause, resume, stop
    privacy_actions.register(actions)  # privacy.export, privacy.forget
    buddy_actions.register(actions, nudges)  # match.*, buddy.*, the match reminders
    shifts.register(actions, nudges)  # shift.*, the shift reminders
    milestones.register(actions)  # trajectory.*: her year
    year_feedback.register(actions, nudges)  # year.*: her feedback at the end, and three months later
    path.register(actions)  # step.*: the coach records a step on her path
    her_steps.register(actions, nudges)  # her_steps.*: her steps, the monthly question, her celebrations
    certificate.register(actions)  # certificate.send: her certificate of volunteer work
    coaching_chat.register(actions, nudges, chart_fonts())  # coaching.*, the coach's weekly summary
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

    return InviteTerms(valid_days=settings.invite_valid_days, links=links, simulator=simulator_address(settings))


def simulator_address(settings: Settings) -> str | None:
    """Where a browser on this machine opens the web simulator, when it is on (a wildcard listen address is
    not one a browser can open)."""
    if not settings.simulator_enabled:
        return None
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104 - compared
    return f"http://{host}:{settings.port}/simulator"


CONTACTS = {
    Channel.TELEGRAM: telegram_links.contact,
    Channel.WHATSAPP: whatsapp_links.contact,
    Channel.SIMULATOR: simulator_links.contact,
}


def contact_for(identity: ChannelIdentity) -> str | None:
    """How another person reaches someone on her channel, as that channel's adapter writes it."""
    make = CONTACTS.get(identity.channel)
    return make(identity.external_id) if make is not None else None


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(settings.retention_messages_days, settings.retention_inactive_months)


NOTO = Path("/usr/share/fonts/truetype/noto")  # Debian's fonts-noto-core (tests/system-packages.txt, Dockerfile)


def chart_fonts() -> ChartFonts:
    """The fonts of the summary's chart: Noto for Latin and Cyrillic, Arabic script and Ethiopic (Tigrinya);
    a font that is not installed falls back to Pillow's own (Latin only)."""
    return ChartFonts(
        latin=NOTO / "NotoSans-Regular.ttf",
        arabic=NOTO / "NotoSansArabic-Regular.ttf",
        ethiopic=NOTO / "NotoSansEthiopic-Regular.ttf",
    )


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
    demo: App | None = None  # where the simulator plays, apart from the real people (decision 0027)

    @property
    def invites(self) -> InviteTerms:
        return invite_terms(self.settings)

    @property
    def default_locale(self) -> str:
        return self.settings.default_locale

    @property
    def timezone(self) -> str:
        return self.settings.timezone


def conversation_service(
    settings: Settings,
    cipher: Cipher,
    actions: ActionRegistry | None = None,
    *,
    lock_rows: bool = False,
    loaded: tuple[FlowSet, Catalogs] | None = None,
) -> ConversationService:
    """The engine: the flows and catalogs with the features' actions, the cipher of her notes, the image folder
    and the invite terms. ``build_app`` builds it for the service; a command that starts a flow or tells
    someone something builds it alone. Raises ``FlowError`` with one line when a flow file is broken."""
    actions = actions or features().actions
    flows, catalogs = loaded or load_conversations(actions)
    return ConversationService(
        flows,
        catalogs,
        actions,
        cipher,
        images=image_directory(),
        invites=invite_terms(settings),
        lock_rows=lock_rows,
        contacts=contact_for,
    )


DEMO_DATABASE = "demo.db"


def demo_settings(settings: Settings) -> Settings:
    """The settings of the demo (the web simulator, ``trampoline chat`` without an invite; decision 0027): a
    SQLite file of its own, ``demo.db`` beside the configured SQLite file (or in ``var/`` of the working
    directory), and no platform, so nothing of the demo reaches real people, their ids or their reports."""
    folder = settings.sqlite_path.parent if settings.sqlite_path is not None else Path.cwd() / "var"
    path = folder / DEMO_DATABASE
    if path == settings.sqlite_path:  # the real one is called demo.db: the demo must still be another file
        path = path.with_name(f"demo-of-{DEMO_DATABASE}")
    return settings.model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{path}",
            "telegram_bot_token": None,
            "telegram_bot_username": None,
            "whatsapp_phone_number_id": None,
            "whatsapp_phone_number": None,
        }
    )


def build_demo(
    settings: Settings,
    clock: Clock | None = None,
    *,
    loaded: tuple[FlowSet, Catalogs] | None = None,
    web: FastAPI | None = None,
) -> App:
    """The demo, built like the service on ``demo_settings``, with a clock of its own that the simulator moves
    forward (by default the real time plus an offset); the service's own clock never jumps. With ``web`` (the
    service's web app) the demo is served there and has no web app of its own."""
    return _assemble(demo_settings(settings), clock or OffsetClock(), loaded=loaded, web=web)


def build_app(
    settings: Settings,
    clock: Clock | None = None,
    *,
    db: Database | None = None,
    loaded: tuple[FlowSet, Catalogs] | None = None,
    demo_clock: Clock | None = None,
) -> App:
    """Build everything from the settings. Raises ``FlowError`` or ``SettingsError`` (one line each).
    Tests hand in their own database and the flows and catalogs they loaded once (loading takes a second).
    With the simulator on, ``app.demo`` is the demo it plays in, served at /simulator on ``app.web``."""
    app = _assemble(settings, clock or SystemClock(), db=db, loaded=loaded)
    if settings.simulator_enabled:
        app.demo = build_demo(settings, demo_clock, loaded=(app.flows, app.catalogs), web=app.web)
        mount_simulator(app.demo)
    return app


def _assemble(
    settings: Settings,
    clock: Clock,
    *,
    db: Database | None = None,
    loaded: tuple[FlowSet, Catalogs] | None = None,
    web: FastAPI | None = None,
) -> App:
    cipher = load_cipher(settings)
    db = db or Database(settings.database_url, sealer=cipher)
    wired = features()
    conversations = conversation_service(
        settings, cipher, wired.actions, lock_rows=db.backend == "postgresql", loaded=loaded
    )
    flows, catalogs = conversations.flows, conversations.catalogs
    simulator = SimulatorChannel(
        clock, say=lambda text_id, locale: conversations.renderer.text(flows.texts[text_id], locale, {})
    )
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
        web=web
        or create_web_app(
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
