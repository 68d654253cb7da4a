"""The tables keep what the services put in them, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import (
    CaseloadEntry,
    ChannelIdentity,
    CheckIn,
    ConsentKind,
    ConsentRecord,
    Conversation,
    ConversationStatus,
    InboundEvent,
    Invite,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    Role,
)


async def add_org_and_person(db: Database, clock: FakeClock, role: Role = Role.PARTICIPANT) -> tuple[int, int]:
    async with db.transaction() as session:
        org = Organisation(name="Foyer", default_locale="nl", timezone="Europe/Brussels", created_at=clock.now())
        session.add(org)
        await session.flush()
        person = Person(
            organisation_id=org.id,
            role=role,
            display_name="Amina",
            locale="ar",
            timezone="Europe/Brussels",
            status=PersonStatus.INVITED,
            quiet_start=time(21, 0),
            quiet_end=time(8, 0),
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(person)
        await session.flush()
        return org.id, person.id


async def test_a_person_and_her_records_round_trip(db: Database, clock: FakeClock) -> None:
    org_id, person_id = await add_org_and_person(db, clock)
    async with db.transaction() as session:
        session.add(
            ChannelIdentity(person_id=person_id, channel=Channel.TELEGRAM, external_id="555", created_at=clock.now())
        )
        session.add(
            ConsentRecord(
                person_id=person_id,
                kind=ConsentKind.DATA_PROCESSING,
                granted=True,
                version="2026-11",
                locale="ar",
                channel=Channel.TELEGRAM,
                recorded_at=clock.now(),
            )
        )
        session.add(
            Conversation(
                person_id=person_id,
                flow="checkin",
                step="mood",
                state={"answers": {"mood": 4}, "misses": 0},
                status=ConversationStatus.ACTIVE,
                started_at=clock.now(),
                updated_at=clock.now(),
                expires_at=clock.now() + timedelta(days=3),
            )
        )
        session.add(
            CheckIn(
                person_id=person_id,
                week="2026-W48",
                mood=4,
                steps=["volunteer"],
                obstacles=["childcare", "language"],
                started_at=clock.now(),
            )
        )
    async with db.reading() as session:
        person = await session.scalar(select(Person).where(Person.id == person_id))
        assert person is not None
        assert (person.organisation_id, person.role, person.status) == (
            org_id,
            Role.PARTICIPANT,
            PersonStatus.INVITED,
        )
        assert person.quiet_start == time(21, 0)
        conversation = await session.scalar(select(Conversation))
        assert conversation is not None
        assert conversation.state == {"answers": {"mood": 4}, "misses": 0}
        assert conversation.expires_at == clock.now() + timedelta(days=3)
        checkin = await session.scalar(select(CheckIn))
        assert checkin is not None
        assert checkin.obstacles == ["childcare", "language"]
        assert checkin.wants_contact is False


async def test_timestamps_come_back_as_the_same_utc_instant(db: Database, clock: FakeClock) -> None:
    _, person_id = await add_org_and_person(db, clock)
    # 01:30 UTC on the night Europe/Brussels moves to summer time, with microseconds.
    moment = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    async with db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.paused_until = moment
    async with db.reading() as session:
        stored = await session.scalar(select(Person.paused_until).where(Person.id == person_id))
    assert stored == moment
    assert stored is not None and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(db: Database, clock: FakeClock) -> None:
    _, person_id = await add_org_and_person(db, clock)
    with pytest.raises(Exception, match="naive"):
        async with db.transaction() as session:
            person = await session.get(Person, person_id)
            assert person is not None
            person.paused_until = datetime(2026, 1, 1, 9, 0)
            await session.flush()


async def test_due_times_order_correctly_in_queries(db: Database, clock: FakeClock) -> None:
    _, person_id = await add_org_and_person(db, clock)
    base = clock.now()
    offsets = [timedelta(hours=5), timedelta(microseconds=1), timedelta(days=30), timedelta(0)]
    async with db.transaction() as session:
        for number, offset in enumerate(offsets):
            session.add(
                OutboxMessage(
                    idempotency_key=f"nudge:{number}",
                    person_id=person_id,
                    channel=Channel.SIMULATOR,
                    kind="nudge",
                    priority=10,
                    payload={"text": "..."},
                    status=OutboxStatus.PENDING,
                    due_at=base + offset,
                    created_at=base,
                )
            )
    async with db.reading() as session:
        due = await session.scalars(
            select(OutboxMessage.idempotency_key)
            .where(OutboxMessage.due_at <= base + timedelta(hours=5))
            .order_by(OutboxMessage.due_at)
        )
        assert list(due) == ["nudge:3", "nudge:1", "nudge:0"]


async def test_a_platform_account_belongs_to_one_person(db: Database, clock: FakeClock) -> None:
    _, person_id = await add_org_and_person(db, clock)
    async with db.transaction() as session:
        session.add(
            ChannelIdentity(person_id=person_id, channel=Channel.WHATSAPP, external_id="32470", created_at=clock.now())
        )
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                ChannelIdentity(
                    person_id=person_id, channel=Channel.WHATSAPP, external_id="32470", created_at=clock.now()
                )
            )
    # The same external id on another channel is another account.
    async with db.transaction() as session:
        session.add(
            ChannelIdentity(person_id=person_id, channel=Channel.TELEGRAM, external_id="32470", created_at=clock.now())
        )


async def test_dedupe_and_idempotency_keys_are_unique(db: Database, clock: FakeClock) -> None:
    _, person_id = await add_org_and_person(db, clock)
    async with db.transaction() as session:
        session.add(InboundEvent(dedupe_key="telegram:1:100", channel=Channel.TELEGRAM, received_at=clock.now()))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(InboundEvent(dedupe_key="telegram:1:100", channel=Channel.TELEGRAM, received_at=clock.now()))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            for _ in range(2):
                session.add(
                    OutboxMessage(
                        idempotency_key="checkin:2026-W48:1",
                        person_id=person_id,
                        channel=Channel.SIMULATOR,
                        kind="nudge",
                        priority=10,
                        payload={},
                        status=OutboxStatus.PENDING,
                        due_at=clock.now(),
                        created_at=clock.now(),
                    )
                )


async def test_foreign_keys_are_enforced(db: Database, clock: FakeClock) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(Invite(code="ABC", person_id=999, created_at=clock.now(), expires_at=clock.now()))


async def test_deleting_a_person_removes_what_is_hers(db: Database, clock: FakeClock) -> None:
    _, person_id = await add_org_and_person(db, clock)
    async with db.transaction() as session:
        session.add(Invite(code="CODE1", person_id=person_id, created_at=clock.now(), expires_at=clock.now()))
        session.add(
            ChannelIdentity(person_id=person_id, channel=Channel.TELEGRAM, external_id="9", created_at=clock.now())
        )
        session.add(
            InboundEvent(dedupe_key="k", channel=Channel.TELEGRAM, person_id=person_id, received_at=clock.now())
        )
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM people WHERE id = :id"), {"id": person_id})
    async with db.reading() as session:
        assert await session.scalar(select(Invite)) is None
        assert await session.scalar(select(ChannelIdentity)) is None
        event = await session.scalar(select(InboundEvent))
        assert event is not None and event.person_id is None


async def test_unknown_enum_values_are_rejected_by_the_database(db: Database, clock: FakeClock) -> None:
    org_id, _ = await add_org_and_person(db, clock)
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO people (organisation_id, role, locale, timezone, status,"
                    " quiet_start, quiet_end, created_at, updated_at)"
                    " VALUES (:org, 'superuser', 'nl', 'UTC', 'active',"
                    " '21:00:00', '08:00:00', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"org": org_id},
            )


async def test_a_participant_is_in_a_coach_caseload_once(db: Database, clock: FakeClock) -> None:
    _, participant_id = await add_org_and_person(db, clock)
    async with db.transaction() as session:
        participant = await session.get(Person, participant_id)
        assert participant is not None
        coach = Person(
            organisation_id=participant.organisation_id,
            role=Role.COACH,
            locale="nl",
            timezone="Europe/Brussels",
            status=PersonStatus.ACTIVE,
            quiet_start=time(21, 0),
            quiet_end=time(8, 0),
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(coach)
        await session.flush()
        coach_id = coach.id
        session.add(CaseloadEntry(coach_id=coach_id, participant_id=participant_id, assigned_at=clock.now()))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(CaseloadEntry(coach_id=coach_id, participant_id=participant_id, assigned_at=clock.now()))
