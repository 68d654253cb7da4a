"""A coach's week built row by row for the weekly summary's tests: women of her caseload (named or not, on the
bot or only invited, invited on a given day) and their check-ins."""

from __future__ import annotations

from datetime import datetime

from bot.db.models import ChannelIdentity, CheckIn, Person, PersonStatus, Role
from bot.people.directory import create_invite
from tests.support.harness import Bot


async def woman(
    bot: Bot,
    name: str | None,
    *,
    coach: str = "Sara",
    status: PersonStatus = PersonStatus.ACTIVE,
    invited: datetime,
    last_contact: datetime | None = None,
) -> int:
    """A woman of ``coach``'s caseload, invited at ``invited``; ``name`` None: the invite gave no name."""
    coach_id = await bot.coach(coach)
    org = await bot.organisation()
    async with bot.db.transaction() as session:
        made = await create_invite(
            session, bot.clock, bot.invites, role=Role.PARTICIPANT, organisation_id=org, coach_id=coach_id, name=name
        )
        person = await session.get(Person, made.person_id)
        assert person is not None
        person.status = status
        person.created_at = invited
        if last_contact is not None:
            session.add(
                ChannelIdentity(
                    person_id=person.id,
                    channel="simulator",
                    external_id=f"phone-{person.id}",
                    created_at=invited,
                    last_inbound_at=last_contact,
                )
            )
        return made.person_id


async def checkin(
    bot: Bot,
    pid: int,
    week: str,
    at: datetime,
    mood: int,
    steps: list[str],
    obstacles: list[str],
    note: str | None = None,
) -> None:
    """A completed check-in of week ``week`` at ``at`` (with a note of kind ``note``, if any)."""
    async with bot.db.transaction() as session:
        session.add(
            CheckIn(
                person_id=pid,
                week=week,
                mood=mood,
                steps=steps,
                obstacles=obstacles,
                note_kind=note,
                note_ciphertext="x" if note else None,
                started_at=at,
                completed_at=at,
            )
        )


async def note_only(bot: Bot, pid: int, week: str, at: datetime, kind: str) -> None:
    """A note she sent at a choice question: a record that holds only the note (decision 0015)."""
    async with bot.db.transaction() as session:
        session.add(
            CheckIn(person_id=pid, week=week, note_kind=kind, note_ciphertext="x", started_at=at, completed_at=None)
        )


async def coach_speaks(bot: Bot, locale: str, coach: str = "Sara") -> int:
    coach_id = await bot.coach(coach)
    async with bot.db.transaction() as session:
        person = await session.get(Person, coach_id)
        assert person is not None
        person.locale = locale
        person.timezone = "Europe/Brussels"
    return coach_id
