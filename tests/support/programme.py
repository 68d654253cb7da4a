"""A small programme for the buddy and shift tests: coaches, participants and buddies with phones, the nudge
runner and a dispatcher without rate waits, all on the test database with the fake clock."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import (
    Alert,
    BuddyProfile,
    ChannelIdentity,
    ConsentKind,
    ConsentRecord,
    Person,
    PersonStatus,
    Profile,
    Role,
)
from bot.messaging.channel import OutboundMessage
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.people.directory import create_invite
from bot.scheduling.planner import NudgeRunner
from tests.support.harness import Bot, Phone


def instant_limiters() -> dict[Channel, RateLimiter]:
    async def no_wait(_: float) -> None:
        return None

    return {Channel.SIMULATOR: RateLimiter(ChannelRate(1e9), sleep=no_wait)}


class Programme:
    def __init__(self, db: Database, clock: FakeClock) -> None:
        self.bot = Bot(db, clock)
        self.bot.dispatcher = Dispatcher(
            db, {Channel.SIMULATOR: self.bot.simulator}, clock, DispatchPolicy(max_nudges_per_day=100),
            limiters=instant_limiters(),
        )  # fmt: skip
        self.runner = NudgeRunner(db, self.bot.service, kinds=self.bot.nudge_kinds)
        self.clock = clock
        self.phones: dict[int, Phone] = {}

    @property
    def db(self) -> Database:
        return self.bot.db

    async def _person(
        self,
        role: Role,
        name: str,
        locale: str,
        coach_id: int | None = None,
        languages: list[str] | None = None,
        share: bool | None = None,
    ) -> int:
        org = await self.bot.organisation()
        async with self.db.transaction() as session:
            invite = await create_invite(
                session, self.clock, self.bot.invites, role=role, organisation_id=org, coach_id=coach_id,
                name=name, locale=locale,
            )  # fmt: skip
            person = await session.get(Person, invite.person_id)
            assert person is not None
            person.status = PersonStatus.ACTIVE
            person.display_name = name
            person.locale = locale
            person.quiet_start = person.quiet_end = time(0)  # no quiet hours: messages go at once
            phone = self.bot.phone()
            session.add(
                ChannelIdentity(
                    person_id=person.id, channel=Channel.SIMULATOR, external_id=phone.external_id,
                    created_at=self.clock.now(), last_inbound_at=self.clock.now(),
                )
            )  # fmt: skip
            session.add(
                Profile(
                    person_id=person.id, languages=languages or [], interests=[], availability=[],
                    updated_at=self.clock.now(),
                )
            )  # fmt: skip
            if share is not None:
                session.add(
                    ConsentRecord(
                        person_id=person.id, kind=ConsentKind.SHARE_CONTACT, granted=share, version="test",
                        locale=locale, channel=Channel.SIMULATOR, recorded_at=self.clock.now(),
                    )
                )  # fmt: skip
            self.phones[person.id] = phone
            return person.id

    async def coach(self, name: str = "Sara") -> int:
        return await self._person(Role.COACH, name, "en")

    async def participant(
        self, name: str, locale: str, coach_id: int, languages: list[str] | None = None, share: bool | None = True
    ) -> int:
        return await self._person(Role.PARTICIPANT, name, locale, coach_id, languages, share)

    async def buddy(
        self,
        name: str,
        locale: str,
        capacity: int = 1,
        languages: list[str] | None = None,
        region: str | None = None,
        share: bool | None = True,
    ) -> int:
        person_id = await self._person(Role.BUDDY, name, locale, None, languages, share)
        async with self.db.transaction() as session:
            session.add(
                BuddyProfile(person_id=person_id, region=region, capacity=capacity, updated_at=self.clock.now())
            )
        return person_id

    def phone(self, person_id: int) -> Phone:
        return self.phones[person_id]

    async def dispatch(self) -> None:
        await self.bot.dispatcher.dispatch_due()

    async def tick(self) -> None:
        await self.runner.run_due(self.clock.now())
        await self.dispatch()

    def new(self, person_id: int) -> list[OutboundMessage]:
        """What she received since the last look."""
        phone = self.phones[person_id]
        fresh = phone.inbox[phone.seen :]
        phone.seen = len(phone.inbox)
        return fresh

    def everything(self) -> list[OutboundMessage]:
        return [m for transcript in self.bot.simulator.transcripts.values() for m in transcript]

    async def alerts(self, kind: str | None = None) -> list[Alert]:
        async with self.db.reading() as session:
            query = select(Alert).order_by(Alert.id)
            if kind is not None:
                query = query.where(Alert.kind == kind)
            return list(await session.scalars(query))
