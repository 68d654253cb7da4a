"""The service as ``bot.app.build_app`` builds it, on a test database, with a fake clock and simulated phones.

Tests talk to it as people do: type text, press buttons, send voice notes, and read what comes back.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.app import App, build_app, features, load_conversations
from bot.conversation.flows import FlowSet
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.i18n import Catalogs, Language
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.models import Organisation, Person, Role
from bot.messaging.channel import InboundEvent, OutboundMessage
from bot.people.directory import add_organisation, create_invite
from bot.runtime.inbox import Result

TEST_KEY = Fernet.generate_key().decode()


WIRED = features()


@cache
def conversations() -> tuple[FlowSet, Catalogs]:
    """The flows and catalogs, loaded once per test process (loading them takes a second)."""
    return load_conversations(WIRED.actions)


def settings_for(db: Database) -> Settings:
    """The settings of a service on this test database, sealed with the test key, with no platform set (so
    the simulator is its only channel)."""
    return Settings(database_url=db.url.render_as_string(hide_password=False), encryption_keys=TEST_KEY)


@dataclass
class Bot:
    """The service as ``bot.app.build_app`` builds it, on the test database; nothing is started."""

    db: Database
    clock: FakeClock
    phones: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.settings = settings_for(self.db)
        self.app: App = build_app(self.settings, self.clock, db=self.db, loaded=conversations())
        self.flows, self.catalogs = self.app.flows, self.app.catalogs
        self.service = self.app.conversations
        self.cipher = self.service.cipher
        self.invites = self.service.invites
        self.nudge_kinds = self.app.nudges.kinds
        self.simulator = self.app.simulator
        self.inbox = self.app.inbox
        self.dispatcher = self.app.dispatcher

    def language(self, locale: str) -> Language:
        return self.catalogs.translations(locale)

    async def organisation(self) -> int:
        async with self.db.transaction() as session:
            existing = await session.scalar(select(Organisation.id).where(Organisation.name == "Foyer"))
            if existing is not None:
                return existing
            org = await add_organisation(session, self.clock, "Foyer", locale="nl", timezone="Europe/Brussels")
            return org.id

    async def coach(self, name: str = "Sara", gender: str | None = None) -> int:
        org = await self.organisation()
        async with self.db.transaction() as session:
            existing = await session.scalar(select(Person.id).where(Person.display_name == name))
            if existing is not None:
                return existing
            invite = await create_invite(
                session, self.clock, self.invites, role=Role.COACH, organisation_id=org, name=name, gender=gender
            )
            return invite.person_id

    async def invite(self, locale: str | None = None, coach: str = "Sara") -> tuple[int, str]:
        coach_id = await self.coach(coach)
        org = await self.organisation()
        async with self.db.transaction() as session:
            invite = await create_invite(
                session,
                self.clock,
                self.invites,
                role=Role.PARTICIPANT,
                organisation_id=org,
                coach_id=coach_id,
                locale=locale,
            )
            return invite.person_id, invite.code

    def phone(self, language_hint: str | None = None) -> Phone:
        return Phone(self, f"phone-{next(self.phones)}", language_hint)


@dataclass
class Phone:
    bot: Bot
    external_id: str
    language_hint: str | None = None
    seen: int = 0

    @property
    def inbox(self) -> list[OutboundMessage]:
        return self.bot.simulator.transcripts.get(self.external_id, [])

    @property
    def last(self) -> OutboundMessage:
        return self.inbox[-1]

    async def deliver(self, event: InboundEvent) -> list[OutboundMessage]:
        await self.bot.inbox.process([event])
        await self.bot.dispatcher.dispatch_due()
        new = self.inbox[self.seen :]
        self.seen = len(self.inbox)
        return new

    async def send(self, text: str) -> list[OutboundMessage]:
        return await self.deliver(self.bot.simulator.text(self.external_id, text, self.language_hint))

    async def press(self, which: int | str) -> list[OutboundMessage]:
        """Press a button of the last message: by position (1-based) or by the start of its label."""
        buttons = self.last.buttons
        if isinstance(which, int):
            button = buttons[which - 1]
        else:
            matches = [b for b in buttons if which in b.label]
            assert matches, f"no button with {which!r} in {[b.label for b in buttons]}"
            button = matches[0]
        return await self.deliver(self.bot.simulator.press(self.external_id, button.id))

    async def voice(self, ref: str = "voice-file-1") -> list[OutboundMessage]:
        return await self.deliver(self.bot.simulator.media(self.external_id, "voice", ref))

    async def submit(self, text: str) -> Result:
        """Through the group-commit worker (the inbox must be started)."""
        return await self.bot.inbox.submit(self.bot.simulator.text(self.external_id, text, self.language_hint))


def texts(messages: list[OutboundMessage]) -> str:
    return "\n---\n".join(m.text for m in messages)


async def onboarded(bot: Bot, locale: str = "en", coach: str = "Sara") -> tuple[int, Phone]:
    """A participant who has finished onboarding (made directly in the database), with her phone."""
    person_id, _ = await bot.invite(locale=locale, coach=coach)
    phone = bot.phone()
    await activate(bot, person_id, Channel.SIMULATOR, phone.external_id)
    return person_id, phone


async def activate(bot: Bot, person_id: int, channel: Channel, external_id: str, name: str = "Amina") -> None:
    """Her onboarding done (made directly in the database): active, named, reachable on ``channel``."""
    from bot.db.models import ChannelIdentity, PersonStatus

    async with bot.db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.status = PersonStatus.ACTIVE
        person.display_name = name
        now = bot.clock.now()
        session.add(
            ChannelIdentity(
                person_id=person_id, channel=channel, external_id=external_id, created_at=now, last_inbound_at=now
            )
        )
