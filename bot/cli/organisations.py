"""``trampoline org``, ``invite`` and ``people list``: organisations, invites and the people they make,
thin commands over bot/people/directory.py."""

from __future__ import annotations

from typing import Any

import typer

from bot.app import invite_terms
from bot.cli.common import Gender, InviteRole, JsonOption, emit_json, print_table, run_with_db, settings_or_fail
from bot.core.clock import SystemClock
from bot.db.engine import Database
from bot.db.models import Role
from bot.people.directory import add_organisation, create_invite, list_organisations, list_people

org_cli = typer.Typer(help="Organisations that run a coaching programme.", no_args_is_help=True)
invite_cli = typer.Typer(help="Invites for coaches, participants and buddies.", no_args_is_help=True)
people_cli = typer.Typer(help="People: participants, buddies, coaches.", no_args_is_help=True)


@org_cli.command("add")
def org_add(
    name: str = typer.Argument(..., help="The organisation's name."),
    region: str | None = typer.Option(None, help="Where it works, e.g. Antwerpen."),
    locale: str | None = typer.Option(None, help="Default language of its people (nl, fr, en, ar, ...)."),
    timezone: str | None = typer.Option(None, help="IANA time zone; default TRAMPOLINE_TIMEZONE."),
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

    async def work(db: Database) -> dict[str, Any]:
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
            return created.as_json()

    invite = run_with_db(settings, as_json, work)
    if as_json:
        emit_json(invite)
        return
    typer.echo(f"person {invite['person_id']} invited; code {invite['code']} (valid until {invite['expires_at']})")
    for label, key in (("Telegram", "telegram_link"), ("WhatsApp", "whatsapp_link")):
        if invite[key]:
            typer.echo(f"{label}: {invite[key]}")
    if settings.telegram_enabled and not settings.telegram_bot_username:
        typer.echo("note: set TELEGRAM_BOT_USERNAME to get a Telegram invite link", err=True)


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
