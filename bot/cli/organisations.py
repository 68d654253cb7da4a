"""``trampoline org``, ``invite`` and ``people list``: organisations, invites and the people they make,
thin commands over bot/people/directory.py."""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from bot.app import invite_terms, load_conversations
from bot.cli.common import (
    Gender,
    InviteRole,
    JsonOption,
    emit_json,
    fail,
    print_table,
    run_with_db,
    settings_or_fail,
)
from bot.coaching.invite_sheet import STAFF_LOCALES, sheet_pdf
from bot.coaching.texts import CoachTexts
from bot.conversation.flows import FlowError
from bot.core import i18n
from bot.core.clock import SystemClock
from bot.core.settings import Settings
from bot.db.engine import Database
from bot.db.models import Role
from bot.people.directory import (
    CreatedInvite,
    InviteStatus,
    ListedInvite,
    add_organisation,
    create_invite,
    list_invites,
    list_organisations,
    list_people,
    pending_invite,
    resend_invite,
    revoke_invite,
)

org_cli = typer.Typer(help="Organisations that run a coaching programme.", no_args_is_help=True)
invite_cli = typer.Typer(help="Invites for coaches, participants and buddies.", no_args_is_help=True)
people_cli = typer.Typer(help="People: participants, buddies, coaches.", no_args_is_help=True)


@org_cli.command("add")
def org_add(
    name: str = typer.Argument(..., help="The organisation's name."),
    region: str | None = typer.Option(None, help="Where it works, e.g. Antwerpen."),
    locale: str | None = typer.Option(None, help="Default language of its people (nl, fr, en, ar, ...)."),
    timezone: str | None = typer.Option(None, help="IANA time zone; default TRAMPOLINE_TIMEZONE."),
    trajectory_months: int = typer.Option(
        12, "--trajectory-months", help="How long a participant's trajectory is planned to last, in months."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add an organisation."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> int:
        async with db.transaction() as session:
            organisation = await add_organisation(
                session,
                SystemClock(),
                name,
                region=region,
                locale=locale or settings.default_locale,
                timezone=timezone or settings.timezone,
                trajectory_months=trajectory_months,
            )
            return organisation.id

    organisation_id = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"id": organisation_id})
    else:
        typer.echo(f"organisation {organisation_id} added")


@org_cli.command("list")
def org_list(as_json: bool = JsonOption) -> None:
    """List the organisations."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.reading() as session:
            return [
                {
                    "id": o.id,
                    "name": o.name,
                    "region": o.region,
                    "locale": o.default_locale,
                    "timezone": o.timezone,
                    "trajectory_months": o.trajectory_months,
                    "created_at": o.created_at.isoformat(),
                }
                for o in await list_organisations(session)
            ]

    organisations = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"organisations": organisations})
    else:
        print_table(
            ["ID", "NAME", "REGION", "LOCALE", "TIMEZONE"],
            [[o["id"], o["name"], o["region"], o["locale"], o["timezone"]] for o in organisations],
        )


@invite_cli.command("create")
def invite_create(
    role: InviteRole = typer.Option(..., help="Who is invited."),
    org: int = typer.Option(..., "--org", help="The organisation's id."),
    coach: int | None = typer.Option(None, help="The coach's id (required for a participant)."),
    name: str | None = typer.Option(None, help="The name she is known by (she can change it)."),
    locale: str | None = typer.Option(None, help="Her language, if known; default the organisation's."),
    gender: Gender | None = typer.Option(
        None,
        help="For a coach or buddy: how texts about her speak of her. Unknown: neutral, she is asked in onboarding.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create a pending person and a single-use invite with links for Telegram and WhatsApp."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> CreatedInvite:
        async with db.transaction() as session:
            created = await create_invite(
                session,
                SystemClock(),
                invite_terms(settings),
                role=Role(role.value),
                organisation_id=org,
                coach_id=coach,
                name=name,
                locale=locale,
                gender=gender.value if gender is not None else None,
            )
            return created

    _print_invite(settings, as_json, "invited", run_with_db(settings, as_json, work))


def _until(moment: datetime, timezone: str) -> str:
    """When an invite ends, as a person reads it: the date and time in the organisation's time zone."""
    return f"{i18n.day(moment, 'en_GB', timezone)}, {i18n.clock_time(moment, 'en_GB', timezone)}"


def _print_invite(settings: Settings, as_json: bool, done: str, invite: CreatedInvite) -> None:
    if as_json:
        emit_json(invite.as_json())
        return
    until = _until(invite.expires_at, invite.timezone)
    typer.echo(f"person {invite.person_id} {done}; code {invite.code} (valid until {until})")
    for label, key in (("Telegram", "telegram"), ("WhatsApp", "whatsapp")):
        if invite.links.get(key):
            typer.echo(f"{label}: {invite.links[key]}")
    if settings.telegram_enabled and not settings.telegram_bot_username:
        typer.echo("note: set TELEGRAM_BOT_USERNAME to get a Telegram invite link", err=True)


@invite_cli.command("list")
def invite_list(
    org: int | None = typer.Option(None, "--org", help="Only this organisation."),
    status: InviteStatus | None = typer.Option(None, help="Only invites of this status."),
    as_json: bool = JsonOption,
) -> None:
    """List the invites: who, the organisation, whether the code still works and until when (the code of a
    pending invite only)."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[ListedInvite]:
        async with db.reading() as session:
            return await list_invites(session, SystemClock().now(), organisation_id=org, status=status)

    invites = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"invites": [i.as_json() for i in invites]})
        return
    print_table(
        ["ID", "PERSON", "NAME", "ROLE", "ORGANISATION", "STATUS", "EXPIRES", "CODE"],
        [
            [
                i.id,
                i.person_id,
                i.name,
                i.role.value,
                i.organisation,
                i.status.value,
                _until(i.expires_at, i.timezone),
                i.code if i.status is InviteStatus.PENDING else None,
            ]
            for i in invites
        ],
    )


@invite_cli.command("resend")
def invite_resend(
    invite_id: int = typer.Argument(..., metavar="ID", help="The invite's id (see `trampoline invite list`)."),
    as_json: bool = JsonOption,
) -> None:
    """A fresh code and expiry for an invite not used yet (the old code stops working), with its links."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> CreatedInvite:
        async with db.transaction() as session:
            return await resend_invite(session, SystemClock(), invite_terms(settings), invite_id)

    _print_invite(settings, as_json, "has a new invite", run_with_db(settings, as_json, work))


@invite_cli.command("revoke")
def invite_revoke(
    invite_id: int = typer.Argument(..., metavar="ID", help="The invite's id (see `trampoline invite list`)."),
    as_json: bool = JsonOption,
) -> None:
    """Take an invite back: its code stops working at once; the person stays, invited (`invite resend` gives
    her a new code)."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> ListedInvite:
        async with db.transaction() as session:
            return await revoke_invite(session, SystemClock(), invite_id)

    revoked = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(revoked.as_json())
    else:
        typer.echo(f"invite {revoked.id} revoked: its code no longer works; person {revoked.person_id} stays invited")


class StaffLanguage(enum.StrEnum):
    NL = "nl"
    FR = "fr"


@invite_cli.command("sheet")
def invite_sheet(
    invite_id: int = typer.Argument(..., metavar="ID", help="The invite's id (see `trampoline invite list`)."),
    out: Path = typer.Option(..., "--out", help="The PDF file to write.", dir_okay=False),
    lang: StaffLanguage | None = typer.Option(
        None, "--lang", help="The staff's language on the page besides hers; default Dutch and French."
    ),
) -> None:
    """Write a printable A4 page for a pending invite: the QR code, the link, the code and three lines in her
    language and the staff's."""
    settings = settings_or_fail()
    try:
        flows, catalogs = load_conversations()
    except FlowError as exc:
        fail(str(exc))

    async def work(db: Database) -> ListedInvite:
        async with db.reading() as session:
            return await pending_invite(session, SystemClock().now(), invite_id)

    invite = run_with_db(settings, False, work)
    staff = [lang.value] if lang is not None else list(STAFF_LOCALES)
    try:
        pdf = sheet_pdf(invite, invite_terms(settings), CoachTexts(flows, catalogs), staff)
    except OSError:  # WeasyPrint could not load Pango
        fail("cannot lay out the sheet: it needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)")
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or type(exc).__name__}")
    typer.echo(f"invite {invite.id} (person {invite.person_id}): sheet written to {out}")


@people_cli.command("list")
def people_list(
    org: int | None = typer.Option(None, "--org", help="Only this organisation."),
    role: Role | None = typer.Option(None, help="Only this role."),
    as_json: bool = JsonOption,
) -> None:
    """List people, with their role, status and language."""
    settings = settings_or_fail(as_json)

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.reading() as session:
            return [
                {
                    "id": p.id,
                    "organisation_id": p.organisation_id,
                    "role": p.role.value,
                    "name": p.display_name,
                    "status": p.status.value,
                    "locale": p.locale,
                    "timezone": p.timezone,
                }
                for p in await list_people(session, organisation_id=org, role=role)
            ]

    people = run_with_db(settings, as_json, work)
    if as_json:
        emit_json({"people": people})
    else:
        print_table(
            ["ID", "ORG", "ROLE", "NAME", "STATUS", "LOCALE"],
            [[p["id"], p["organisation_id"], p["role"], p["name"], p["status"], p["locale"]] for p in people],
        )
