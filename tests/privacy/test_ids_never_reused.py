"""An id is never given twice (decision 0018): after an erasure the next new person, check-in or outbox row
gets a new id, so "person 7" in an old log line or audit entry never means someone else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import Person, PersonStatus, Role
from bot.people.audit import record_access
from bot.privacy.erasure import Reason, erase_person
from tests.support.harness import Bot
from tests.support.privacy import checkin_with_note, linked

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _new_people(bot: Bot, how_many: int) -> list[int]:
    return [(await bot.invite(locale="en"))[0] for _ in range(how_many)]


# table -> the column that says whose row it is
OWNED = {
    "people": "id",
    "checkins": "person_id",
    "outbox": "person_id",
    "inbound_events": "person_id",
    "conversations": "person_id",
    "audit_log": "subject_id",
}


async def test_erased_people_and_their_rows_never_lend_their_ids(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    her = await linked(bot, "phone-6")
    other = await linked(bot, "phone-7", name="Leyla")
    await checkin_with_note(other.phone)  # the newest check-in, outbox rows, events: all hers
    async with db.transaction() as session:
        record_access(session, None, "admin.export", other.person_id, clock.now())
    async with db.reading() as session:
        highest = {t: await session.scalar(text(f"SELECT max(id) FROM {t}")) for t in OWNED}
    async with db.transaction() as session:
        for person_id in (other.person_id, her.person_id):  # the highest ids go
            assert await erase_person(session, person_id, clock.now(), reason=Reason.ADMIN)

    newcomer = await linked(bot, "phone-8", name="Hiba")
    await checkin_with_note(newcomer.phone)
    async with db.transaction() as session:
        record_access(session, None, "admin.export", newcomer.person_id, clock.now())
    fresh = await _new_people(bot, 2)
    assert min([newcomer.person_id, *fresh]) > max(her.person_id, other.person_id)
    async with db.reading() as session:
        for table, owner in OWNED.items():
            lowest = await session.scalar(
                text(f"SELECT min(id) FROM {table} WHERE {owner} = :person"),
                {"person": newcomer.person_id},
            )
            assert lowest is not None and lowest > (highest[table] or 0), table


async def test_the_migration_keeps_the_ids_of_people_erased_before_it(tmp_path: Path) -> None:
    """A database from before: persons 6 and 7 were erased (their ids would have been given again). After
    the migration the next person gets 8, and every row and constraint is still there."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(db, "0010")
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO organisations (id, name, default_locale, timezone, created_at, buddy_asked_first)"
                    " VALUES (1, 'Foyer', 'nl', 'Europe/Brussels', '2026-11-01 00:00:00', 0)"
                )
            )
            for person_id in range(1, 8):
                await session.execute(
                    text(
                        "INSERT INTO people (id, organisation_id, role, locale, timezone, status, quiet_start,"
                        " quiet_end, created_at, updated_at) VALUES (:id, 1, 'participant', 'en',"
                        " 'Europe/Brussels', 'active', '21:00:00', '08:00:00', '2026-11-01 00:00:00',"
                        " '2026-11-01 00:00:00')"
                    ),
                    {"id": person_id},
                )
            await session.execute(text("DELETE FROM people WHERE id IN (6, 7)"))
            for _ in range(2):
                await session.execute(
                    text("INSERT INTO erasure_records (month, role, reason) VALUES ('2026-11', 'participant', 'admin')")
                )
        await upgrade(db)
        async with db.transaction() as session:
            kept = list(await session.scalars(select(Person.id).order_by(Person.id)))
            session.add(
                Person(
                    organisation_id=1,
                    role=Role.PARTICIPANT,
                    locale="en",
                    timezone="Europe/Brussels",
                    status=PersonStatus.ACTIVE,
                    quiet_start=NOW.time(),
                    quiet_end=NOW.time(),
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            await session.flush()
            newest = await session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1))
        assert kept == [1, 2, 3, 4, 5]
        assert newest == 8
    finally:
        await db.dispose()
