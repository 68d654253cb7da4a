"""The conversation engine as the rest of the bot sees it: runs one inbound event inside the inbox's
transaction and starts the flows and reminders the bot sends itself. It never sends anything: replies
become outbox rows. Each job lives in a module of its own, this class only joins them up:

- ``prefetch``: what the events of one inbox group need first, read for the whole group;
- ``handling``: one inbound event (who wrote, the flood gate, the step it leads to);
- ``routing``: what her message means (an invite code, a command, her answer);
- ``strangers``: people the bot does not know yet;
- ``lifecycle``: starting, stepping on, finishing and expiring her conversations (``saving``: her answers);
- ``alerts``: telling her coach at once; ``nudging``: flows and reminders the bot starts itself;
- ``turn``: what one event or nudge leads to for one person (her coach: ``bot/people/caseload.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.actions import ActionRegistry
from bot.conversation.alerts import alert_coach
from bot.conversation.flows import FlowSet
from bot.conversation.handling import EventHandler
from bot.conversation.interpreter import Interpreter, Translator
from bot.conversation.lifecycle import Lifecycle
from bot.conversation.nudging import Nudging
from bot.conversation.prefetch import Prefetched, prefetch
from bot.conversation.render import Renderer
from bot.conversation.routing import Router
from bot.conversation.strangers import Strangers
from bot.conversation.turn import Turn
from bot.core import i18n
from bot.core.crypto import Cipher
from bot.db.models import Alert, ChannelIdentity, Conversation, Person
from bot.messaging.channel import InboundEvent
from bot.messaging.inbound import FloodGate
from bot.people.directory import InviteTerms

REQUIRED_TEXTS = frozenset(
    {
        "reprompt_choice",
        "reprompt_text",
        "reprompt_number",
        "reprompt_date",
        "reprompt_time",
        "not_current",
        "skip",
        "done",
        "help_offer",
        "help_requested",
        "finish_first",
        "note_offer",
        "note_held",
        "note_sent",
        "exclusive_chosen",
        "nothing_ticked",
        "stranger",
        "invite_invalid",
        "private_only",
        "coach_alert_contact_request",
        "coach_alert_stuck",
        "checkin_reminder",
        "flood_slow_down",
    }
)
REQUIRED_COMMANDS = frozenset({"start", "help", "menu", "language", "checkin", "pause", "resume", "stop", "coach"})


class ConversationService:
    def __init__(
        self,
        flows: FlowSet,
        catalogs: i18n.Catalogs,
        actions: ActionRegistry,
        cipher: Cipher,
        *,
        images: Path,
        invites: InviteTerms | None = None,
        lock_rows: bool = False,
        contacts: Callable[[ChannelIdentity], str | None] = lambda identity: None,
    ) -> None:
        """``images``: where charts and QR codes are written for the outbox to send (decision 0009).
        ``invites``: how invites made in the chat are made. ``lock_rows``: take a row lock on her identity
        while handling her event (PostgreSQL, where several workers may handle events at once; SQLite has
        one writer anyway). ``contacts``: how someone is reached on her channel (the adapters write it)."""
        self.contact_for = contacts
        self.images = images
        self.invites = invites or InviteTerms()
        self.lock_rows = lock_rows
        self.flows = flows
        self.catalogs = catalogs
        self.actions = actions
        self.cipher = cipher
        self.interpreter = Interpreter(flows)
        self.flood = FloodGate()
        self.renderer = Renderer(flows, catalogs)
        self.router = Router(flows, catalogs, self.interpreter)
        self.lifecycle = Lifecycle(flows, self.interpreter, self.renderer, actions, cipher, self.router, self)
        self.strangers = Strangers(flows, catalogs, self.renderer, self.router, self.lifecycle)
        self.events = EventHandler(
            flows, self.interpreter, self.renderer, self.router, self.lifecycle, self.strangers, lock_rows=lock_rows
        )
        self.nudging = Nudging(flows, self.lifecycle)

    def onboarding_flow(self, person: Person) -> str:
        return self.router.onboarding_flow(person)

    def own_flow(self, person: Person, flow_name: str) -> str:
        return self.router.own_flow(person, flow_name)

    def translator(self, locale: str) -> Translator:
        return self.catalogs.translations(locale)

    async def prefetch(self, session: AsyncSession, events: Sequence[InboundEvent]) -> Prefetched:
        """Read what ``events`` (one inbox group) will need first and keep it in the session for ``handle``."""
        return await prefetch(session, events, lock_rows=self.lock_rows)

    async def handle(self, session: AsyncSession, event: InboundEvent, now: datetime) -> int | None:
        """Process one event; return the person's id (None for a stranger or a group chat)."""
        return await self.events.handle(session, event, now, self.flood)

    async def start_flow(
        self,
        turn: Turn,
        flow_name: str,
        *,
        explicit: bool,
        mode: str | None = None,
        variables: dict[str, Any] | None = None,
    ) -> bool:
        """Start ``flow_name`` for her (see ``Lifecycle.start_flow``)."""
        return await self.lifecycle.start_flow(turn, flow_name, explicit=explicit, mode=mode, variables=variables)

    async def close_other_conversations(self, session: AsyncSession, person_id: int, keep: Conversation | None) -> None:
        await self.lifecycle.close_other_conversations(session, person_id, keep)

    async def alert_coach(self, session: AsyncSession, participant: Person, kind: str, now: datetime) -> Alert:
        """Record an alert for her coach and, when the coach is on a channel, tell her at once."""
        return await alert_coach(session, participant, kind, now, flows=self.flows, renderer=self.renderer)

    async def start_scheduled(
        self,
        session: AsyncSession,
        person: Person,
        flow_name: str,
        *,
        key: str,
        now: datetime,
        stale_after: datetime,
        variables: dict[str, Any] | None = None,
    ) -> str:
        """Start ``flow_name`` because its time has come (not because she asked); returns ``started`` or why
        not."""
        return await self.nudging.start_scheduled(
            session, person, flow_name, key=key, now=now, stale_after=stale_after, variables=variables
        )

    async def remind(
        self,
        session: AsyncSession,
        person: Person,
        flow_name: str,
        *,
        key: str,
        now: datetime,
        lead: str = "checkin_reminder",
    ) -> str:
        """One gentle reminder of an open question in ``flow_name`` (``lead``: the reminder's text)."""
        return await self.nudging.remind(session, person, flow_name, key=key, now=now, lead=lead)
