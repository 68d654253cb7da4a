"""Shared pieces of the privacy tests: a participant with a little of everything, and a scan of every table."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.db.engine import Database
from bot.db.models import (
    Base,
    ChannelIdentity,
    Person,
    PersonStatus,
    Role,
)
from bot.people.directory import create_invite
from tests.support.harness import Bot, Phone

NAME = "Zoulikha"
NOTE = "my neighbour Xavierina helps with the children"


@dataclass
class Her:
    person_id: int
    code: str
    phone: Phone


async def linked(
    bot: Bot, external_id: str, *, role: Role = Role.PARTICIPANT, name: str = NAME, locale: str = "en"
) -> Her:
    """Someone invited and linked to a phone, past onboarding (made in the database)."""
    coach_id = await bot.coach()
    org = await bot.organisation()
    async with bot.db.transaction() as session:
        invite = await create_invite(
            session,
            bot.clock,
            bot.invites,
            role=role,
            organisation_id=org,
            coach_id=coach_id if role is Role.PARTICIPANT else None,
            locale=locale,
        )
        person = await session.get(Person, invite.person_id)
        assert person is not None
        person.status = PersonStatus.ACTIVE
        person.display_name = name
        session.add(
            ChannelIdentity(
                person_id=person.id,
                channel=bot.simulator.name,
                external_id=external_id,
                created_at=bot.clock.now(),
                last_inbound_at=bot.clock.now(),
            )
        )
        person_id, code = person.id, invite.code
    return Her(person_id, code, Phone(bot, external_id))


async def checkin_with_note(phone: Phone, note: str = NOTE, contact: str = "yes") -> None:
    await phone.send("check-in")
    await phone.send("4")  # mood
    await phone.send("1")  # a step
    await phone.send("nothing")  # obstacles
    await phone.send(note)
    await phone.send(contact)


def _refers_to_people(table_name: str, column: Any) -> bool:
    if table_name == "people" and column.name == "id":
        return True
    return any(fk.column.table.name == "people" for fk in column.foreign_keys)


async def leftovers(db: Database, person_id: int, needles: list[str]) -> list[str]:
    """Every place in every table and column where ``person_id`` (in a column that points at a person) or
    any of ``needles`` (in any value, case-insensitive) still appears."""
    found: list[str] = []
    lowered = [n.lower() for n in needles if n]
    async with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column in table.columns:
                    value = row[column]
                    if value is None:
                        continue
                    if _refers_to_people(table.name, column) and value == person_id:
                        found.append(f"{table.name}.{column.name} = her id")
                    shown = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
                    for needle in lowered:
                        if needle in shown.lower():
                            found.append(f"{table.name}.{column.name} holds {needle!r}")
    return found


async def raw_leftovers(db: Database, needles: list[str]) -> list[str]:
    """What a copy of the database's storage shows: on SQLite the raw bytes of the file and of its
    write-ahead log, on PostgreSQL a ``pg_dump`` of the whole database."""
    found: list[str] = []
    if db.is_sqlite:
        path = Path(db.url.database or "")
        for part in (path, path.with_name(path.name + "-wal")):
            data = part.read_bytes() if part.exists() else b""
            found += [f"{part.name} holds {n!r}" for n in needles if n.encode() in data]
        return found
    url = make_url(db.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    dump = await asyncio.create_subprocess_exec(
        "pg_dump", "--data-only", url.render_as_string(hide_password=False), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await dump.communicate()
    assert dump.returncode == 0
    return [f"pg_dump holds {n!r}" for n in needles if n.encode() in out]
