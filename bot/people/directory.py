"""Organisations, the people in them, and invites: the services behind ``trampoline org``, ``invite`` and
``people``. Each function works inside a session it is given and reads the time from the clock it is given.

An invite creates the person at once (status ``invited``), so an organisation's caseloads and programme
figures include her from the day she is invited; the code links her platform account when she first writes.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.i18n import day, normalise_locale
from bot.core.timing import validate_timezone
from bot.db.models import (
    GENDER_CHOICES,
    GENDERS,
    CaseloadEntry,
    Invite,
    Organisation,
    Person,
    PersonStatus,
    Role,
)

DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
# No 0/O, 1/I/L: a code read aloud or copied from paper survives. 12 characters = 60 bits.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_CODE_LENGTH = 12


class DomainError(Exception):
    """A request that cannot be done as asked; the message is one line meant for the person who asked."""


def no_links(code: str) -> dict[str, str | None]:
    return {}


@dataclass(frozen=True)
class InviteTerms:
    """How invites are made: how long a code stays valid, and the links that open a chat with the code, one
    per configured channel (the channel adapters make them; ``bot/app.py`` passes them in)."""

    valid_days: int = 14
    links: Callable[[str], Mapping[str, str | None]] = no_links
    simulator: str | None = None  # where the local web simulator is served, when it is on


@dataclass(frozen=True)
class CreatedInvite:
    person_id: int
    code: str
    expires_at: datetime
    links: Mapping[str, str | None]  # per channel: the link that opens the chat with the code, None without
    timezone: str = "UTC"  # the organisation's: how the expiry is told to a person

    @property
    def first_link(self) -> str | None:
        return next((link for link in self.links.values() if link), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "code": self.code,
            "expires_at": self.expires_at.isoformat(),
            **{f"{channel}_link": link for channel, link in self.links.items()},
        }


async def add_organisation(
    session: AsyncSession,
    clock: Clock,
    name: str,
    *,
    region: str | None = None,
    locale: str,
    timezone: str,
    trajectory_months: int = 12,
) -> Organisation:
    clean = " ".join(name.split())
    if not 1 <= trajectory_months <= 60:
        raise DomainError("a trajectory lasts 1 to 60 months (--trajectory-months)")
    if not clean:
        raise DomainError("the organisation needs a name")
    if len(clean) > 200:
        raise DomainError("the organisation's name is longer than 200 characters")
    existing = await session.scalar(select(Organisation.id).where(Organisation.name == clean))
    if existing is not None:
        raise DomainError(f"an organisation named {clean!r} exists already (id {existing})")
    organisation = Organisation(
        name=clean,
        region=(region or "").strip() or None,
        default_locale=_locale(locale),
        timezone=_timezone(timezone),
        trajectory_months=trajectory_months,
        created_at=clock.now(),
    )
    session.add(organisation)
    await session.flush()
    return organisation


async def list_organisations(session: AsyncSession) -> list[Organisation]:
    return list(await session.scalars(select(Organisation).order_by(Organisation.id)))


async def create_invite(
    session: AsyncSession,
    clock: Clock,
    terms: InviteTerms,
    *,
    role: Role,
    organisation_id: int,
    coach_id: int | None = None,
    name: str | None = None,
    locale: str | None = None,
    gender: str | None = None,
) -> CreatedInvite:
    """Create a pending person of ``role`` in the organisation and a single-use invite for her.

    A participant belongs to a coach's caseload from the start, so she needs a coach of the same
    organisation. A coach or admin cannot be invited "under" a coach. ``gender`` is how texts speak of a coach
    or buddy: "feminine", "masculine", or "neutral"/None for neutral wording (decision 0016).
    """
    organisation, coach = await _inviting(session, role, organisation_id, coach_id)
    if gender not in (None, *GENDER_CHOICES):
        raise DomainError(f"--gender takes {', '.join(GENDER_CHOICES)}, not {gender!r}")
    if gender in GENDERS and role is Role.PARTICIPANT:
        raise DomainError("--gender is for coach and buddy invites: participants are addressed as women")
    display_name = " ".join((name or "").split()) or None
    if display_name is not None and len(display_name) > 100:
        raise DomainError("the name is longer than 100 characters")

    now = clock.now()
    person = Person(
        organisation_id=organisation.id,
        role=role,
        display_name=display_name,
        locale=_locale(locale) if locale else organisation.default_locale,
        timezone=organisation.timezone,
        status=PersonStatus.INVITED,
        quiet_start=DEFAULT_QUIET_START,
        quiet_end=DEFAULT_QUIET_END,
        grammatical_gender=gender,
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    await session.flush()
    if role is Role.PARTICIPANT and coach is not None:
        session.add(CaseloadEntry(coach_id=coach.id, participant_id=person.id, assigned_at=now))
    invite = Invite(
        code=new_invite_code(),
        person_id=person.id,
        created_by_id=coach.id if coach is not None else None,
        created_at=now,
        expires_at=now + timedelta(days=terms.valid_days),
    )
    session.add(invite)
    await session.flush()
    return CreatedInvite(person.id, invite.code, invite.expires_at, terms.links(invite.code), organisation.timezone)


async def _inviting(
    session: AsyncSession, role: Role, organisation_id: int, coach_id: int | None
) -> tuple[Organisation, Person | None]:
    """The organisation and the coach an invite of ``role`` is made in and under, or why it cannot be."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise DomainError(f"no organisation with id {organisation_id}")
    if role is Role.ADMIN:
        raise DomainError("admins are not invited through the bot; they use the command line")
    if role is Role.PARTICIPANT and coach_id is None:
        raise DomainError("a participant invite needs --coach: every participant belongs to a coach's caseload")
    if role is Role.COACH and coach_id is not None:
        raise DomainError("--coach is for participant and buddy invites, not for a coach")
    coach: Person | None = None
    if coach_id is not None:
        coach = await session.get(Person, coach_id)
        if coach is None or coach.role is not Role.COACH:
            raise DomainError(f"no coach with id {coach_id}")
        if coach.organisation_id != organisation.id:
            raise DomainError(f"coach {coach_id} belongs to another organisation")
    return organisation, coach


async def list_people(
    session: AsyncSession, *, organisation_id: int | None = None, role: Role | None = None
) -> list[Person]:
    query = select(Person).order_by(Person.id)
    if organisation_id is not None:
        if await session.get(Organisation, organisation_id) is None:
            raise DomainError(f"no organisation with id {organisation_id}")
        query = query.where(Person.organisation_id == organisation_id)
    if role is not None:
        query = query.where(Person.role == role)
    return list(await session.scalars(query))


class InviteStatus(enum.StrEnum):
    PENDING = "pending"  # the code works
    USED = "used"  # she opened it: her account is linked
    EXPIRED = "expired"
    REVOKED = "revoked"  # taken back by ``trampoline invite revoke``


def invite_status(invite: Invite, now: datetime) -> InviteStatus:
    """Whether the invite's code works ``now``, and if not, why."""
    if invite.used_at is not None:
        return InviteStatus.USED
    if invite.revoked_at is not None:
        return InviteStatus.REVOKED
    return InviteStatus.PENDING if invite.expires_at > now else InviteStatus.EXPIRED


@dataclass(frozen=True)
class ListedInvite:
    """An invite as ``trampoline invite list`` shows it: who, where, and whether the code still works."""

    id: int
    person_id: int
    name: str | None
    role: Role
    locale: str
    organisation_id: int
    organisation: str
    timezone: str
    status: InviteStatus
    code: str
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "person_id": self.person_id,
            "name": self.name,
            "role": self.role.value,
            "locale": self.locale,
            "organisation_id": self.organisation_id,
            "organisation": self.organisation,
            "status": self.status.value,
            "code": self.code if self.status is InviteStatus.PENDING else None,  # a dead code is never shown
            "expires_at": self.expires_at.isoformat(),
            "used_at": self.used_at.isoformat() if self.used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _listed(invite: Invite, person: Person, organisation: Organisation, now: datetime) -> ListedInvite:
    return ListedInvite(
        id=invite.id,
        person_id=person.id,
        name=person.display_name,
        role=person.role,
        locale=person.locale,
        organisation_id=organisation.id,
        organisation=organisation.name,
        timezone=organisation.timezone,
        status=invite_status(invite, now),
        code=invite.code,
        expires_at=invite.expires_at,
        used_at=invite.used_at,
        revoked_at=invite.revoked_at,
    )


async def list_invites(
    session: AsyncSession, now: datetime, *, organisation_id: int | None = None, status: InviteStatus | None = None
) -> list[ListedInvite]:
    """Every invite (of one organisation), oldest first, with its status ``now`` (only those of ``status``)."""
    query = (
        select(Invite, Person, Organisation)
        .join(Person, Person.id == Invite.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .order_by(Invite.id)
    )
    if organisation_id is not None:
        if await session.get(Organisation, organisation_id) is None:
            raise DomainError(f"no organisation with id {organisation_id}")
        query = query.where(Person.organisation_id == organisation_id)
    found = [_listed(i, p, o, now) for i, p, o in await session.execute(query)]
    return [i for i in found if status is None or i.status is status]


async def _invite(session: AsyncSession, invite_id: int) -> tuple[Invite, Person, Organisation]:
    invite = await session.get(Invite, invite_id)
    person = await session.get(Person, invite.person_id) if invite is not None else None
    organisation = await session.get(Organisation, person.organisation_id) if person is not None else None
    if invite is None or person is None or organisation is None:
        raise DomainError(f"no invite with id {invite_id}")
    return invite, person, organisation


def _refused(invite: Invite, status: InviteStatus, timezone: str) -> str:
    """Why an invite of ``status`` cannot be used for what was asked, as one line."""
    if status is InviteStatus.USED and invite.used_at is not None:
        used = day(invite.used_at, "en", timezone)
        return f"invite {invite.id} was used on {used}: person {invite.person_id} is on the bot already"
    if status is InviteStatus.REVOKED:
        return f"invite {invite.id} was revoked; `trampoline invite resend {invite.id}` gives her a new code"
    return f"invite {invite.id} has expired; `trampoline invite resend {invite.id}` gives her a new code"


async def pending_invite(session: AsyncSession, now: datetime, invite_id: int) -> ListedInvite:
    """The invite ``invite_id`` while its code works (to print it), or why not."""
    invite, person, organisation = await _invite(session, invite_id)
    listed = _listed(invite, person, organisation, now)
    if listed.status is not InviteStatus.PENDING:
        raise DomainError(_refused(invite, listed.status, organisation.timezone))
    return listed


async def resend_invite(session: AsyncSession, clock: Clock, terms: InviteTerms, invite_id: int) -> CreatedInvite:
    """A fresh code and expiry for an invite not yet used (pending, expired or revoked): the old code stops
    working, the invite and its person stay the same (decision 0025)."""
    invite, person, organisation = await _invite(session, invite_id)
    now = clock.now()
    status = invite_status(invite, now)
    if status is InviteStatus.USED or person.status is not PersonStatus.INVITED:
        raise DomainError(
            _refused(invite, status, organisation.timezone)
            if status is InviteStatus.USED
            else f"person {person.id} is {person.status.value}, not invited: there is nothing to resend"
        )
    invite.code = new_invite_code()
    invite.expires_at = now + timedelta(days=terms.valid_days)
    invite.revoked_at = None
    await session.flush()
    return CreatedInvite(person.id, invite.code, invite.expires_at, terms.links(invite.code), organisation.timezone)


async def revoke_invite(session: AsyncSession, clock: Clock, invite_id: int) -> ListedInvite:
    """Take an invite back: its code stops working at once; her person record stays, invited (decision 0025)."""
    invite, person, organisation = await _invite(session, invite_id)
    now = clock.now()
    status = invite_status(invite, now)
    if status is InviteStatus.USED:
        raise DomainError(_refused(invite, status, organisation.timezone))
    if status is InviteStatus.REVOKED:
        raise DomainError(f"invite {invite.id} is revoked already")
    invite.revoked_at = now
    await session.flush()
    return _listed(invite, person, organisation, now)


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def _locale(value: str) -> str:
    try:
        return normalise_locale(value)
    except ValueError as exc:
        raise DomainError(str(exc)) from None


def _timezone(value: str) -> str:
    try:
        return validate_timezone(value)
    except ValueError as exc:
        raise DomainError(str(exc)) from None


DEMO_ORGANISATION = "Demo organisation"
DEMO_COACH = "Coach Demo"


async def demo_invite(
    session: AsyncSession, clock: Clock, terms: InviteTerms, locale: str | None, *, default_locale: str, timezone: str
) -> str:
    """For ``trampoline chat`` without an invite: the demo organisation and coach (made once), and a new
    participant invite, so a newcomer can try the bot at once."""
    organisation = await session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if organisation is None:
        organisation = await add_organisation(
            session, clock, DEMO_ORGANISATION, locale=default_locale, timezone=timezone
        )
    coach = await session.scalar(
        select(Person).where(
            Person.organisation_id == organisation.id,
            Person.role == Role.COACH,
            Person.display_name == DEMO_COACH,
        )
    )
    if coach is None:
        coach_id = (
            await create_invite(
                session, clock, terms, role=Role.COACH, organisation_id=organisation.id, name=DEMO_COACH
            )
        ).person_id
    else:
        coach_id = coach.id
    created = await create_invite(
        session,
        clock,
        terms,
        role=Role.PARTICIPANT,
        organisation_id=organisation.id,
        coach_id=coach_id,
        locale=locale,
    )
    return created.code
