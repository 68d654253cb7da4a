"""``trampoline invite``: a coordinator lists her invites, gives a new code to someone who lost hers, takes a
code back, and reads when each one ends as a date, not a timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import i18n
from bot.people.directory import list_invites, revoke_invite
from bot.privacy.export import export_person
from tests.support.cli import Trampoline
from tests.support.harness import Bot
from tests.support.invites import change_invite, invite_id, listed, opening, organisation_with_invites

GOOD_TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"
CHANNELS = {"TELEGRAM_BOT_TOKEN": GOOD_TOKEN, "TELEGRAM_BOT_USERNAME": "FoyerBot"}


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    return Trampoline(database_url)


def test_invite_list_shows_each_invite_with_its_status_and_the_code_only_while_pending(
    trampoline: Trampoline, database_url: str
) -> None:
    made = organisation_with_invites(trampoline)
    buddy = trampoline.json("invite", "create", "--role", "buddy", "--org", str(made["org"]))
    change_invite(database_url, buddy["code"], used_at=datetime.now(UTC))
    invites = listed(trampoline)
    assert [(i["person_id"], i["name"], i["role"], i["organisation"], i["status"]) for i in invites] == [
        (made["coach"]["person_id"], "Sara", "coach", "Foyer", "pending"),
        (made["amina"]["person_id"], "Amina", "participant", "Foyer", "pending"),
        (buddy["person_id"], None, "buddy", "Foyer", "used"),
    ]
    assert [i["code"] for i in invites] == [made["coach"]["code"], made["amina"]["code"], None]
    assert invites[0]["expires_at"] == made["coach"]["expires_at"]  # JSON keeps ISO
    assert all(isinstance(i["id"], int) and i["organisation_id"] == made["org"] for i in invites)

    table = trampoline("invite", "list").stdout
    header, *rows = table.splitlines()
    assert header.split() == ["ID", "PERSON", "NAME", "ROLE", "ORGANISATION", "STATUS", "EXPIRES", "CODE"]
    assert len(rows) == 3 and made["amina"]["code"] in rows[1] and buddy["code"] not in table
    expires = datetime.fromisoformat(made["coach"]["expires_at"])
    assert i18n.day(expires, "en_GB", "Europe/Brussels") in rows[0]
    assert "+00:00" not in table and made["coach"]["expires_at"][:10] not in table


def test_invite_list_filters_by_organisation_and_status(trampoline: Trampoline, database_url: str) -> None:
    made = organisation_with_invites(trampoline)
    other = trampoline.json("org", "add", "Vrouwenhuis")["id"]
    elsewhere = trampoline.json("invite", "create", "--role", "coach", "--org", str(other))
    change_invite(database_url, made["amina"]["code"], expires_at=datetime.now(UTC) - timedelta(days=1))
    assert [i["person_id"] for i in listed(trampoline, "--org", str(other))] == [elsewhere["person_id"]]
    expired = listed(trampoline, "--status", "expired")
    assert [(i["person_id"], i["status"], i["code"]) for i in expired] == [
        (made["amina"]["person_id"], "expired", None)
    ]
    assert [i["person_id"] for i in listed(trampoline, "--org", str(made["org"]), "--status", "pending")] == [
        made["coach"]["person_id"]
    ]
    assert trampoline("invite", "list", "--status", "lost", code=2).exit_code == 2
    assert "no organisation with id 99" in trampoline.error("invite", "list", "--org", "99")


def test_invite_resend_gives_a_fresh_code_and_the_old_one_stops_working(
    trampoline: Trampoline, database_url: str
) -> None:
    made = organisation_with_invites(trampoline)
    old = made["amina"]["code"]
    change_invite(database_url, old, expires_at=datetime.now(UTC) - timedelta(days=2))  # she lost the paper
    invite = invite_id(trampoline, made["amina"]["person_id"])
    resent = trampoline.json("invite", "resend", str(invite), **CHANNELS)
    assert resent["person_id"] == made["amina"]["person_id"] and resent["code"] != old
    assert resent["telegram_link"] == f"https://t.me/FoyerBot?start={resent['code']}"
    assert datetime.fromisoformat(resent["expires_at"]) > datetime.now(UTC) + timedelta(days=29)
    (now_listed,) = [i for i in listed(trampoline) if i["id"] == invite]
    assert (now_listed["status"], now_listed["code"]) == ("pending", resent["code"])

    printed = trampoline("invite", "resend", str(invite), **CHANNELS).stdout
    newest = listed(trampoline, "--status", "pending")[-1]["code"]
    assert f"https://t.me/FoyerBot?start={newest}" in printed and "valid until" in printed
    assert "does not work anymore" in opening(database_url, old)
    assert "does not work anymore" not in opening(database_url, newest)


def test_invite_revoke_stops_the_code_at_once_and_keeps_the_person_invited(
    trampoline: Trampoline, database_url: str
) -> None:
    made = organisation_with_invites(trampoline)
    invite = invite_id(trampoline, made["amina"]["person_id"])
    assert trampoline.json("invite", "revoke", str(invite))["status"] == "revoked"
    assert "does not work anymore" in opening(database_url, made["amina"]["code"])
    (revoked,) = listed(trampoline, "--status", "revoked")
    assert (revoked["id"], revoked["code"]) == (invite, None)
    people = trampoline.json("people", "list")["people"]
    assert {p["id"]: p["status"] for p in people}[made["amina"]["person_id"]] == "invited"


def test_invite_resend_and_revoke_refuse_in_one_line(trampoline: Trampoline, database_url: str) -> None:
    made = organisation_with_invites(trampoline)
    ids = {i["person_id"]: i["id"] for i in listed(trampoline)}
    coach_invite = ids[made["coach"]["person_id"]]
    assert "no invite with id 999" in trampoline.error("invite", "resend", "999")
    assert "no invite with id 999" in trampoline.error("invite", "revoke", "999")
    opening(database_url, made["coach"]["code"])  # Sara opens her invite: she is on the bot
    assert "was used" in trampoline.error("invite", "resend", str(coach_invite))
    assert "was used" in trampoline.error("invite", "revoke", str(coach_invite))
    amina_invite = ids[made["amina"]["person_id"]]
    trampoline.json("invite", "revoke", str(amina_invite))
    assert "revoked already" in trampoline.error("invite", "revoke", str(amina_invite))
    error = trampoline("invite", "resend", "999", "--json", code=1)
    assert error.stdout.strip() == '{"error": "no invite with id 999"}'


def test_invite_create_says_until_when_as_a_date_in_the_organisations_time_zone(trampoline: Trampoline) -> None:
    org = trampoline.json("org", "add", "Kabul Foyer", "--timezone", "Asia/Kabul")["id"]
    printed = trampoline("invite", "create", "--role", "coach", "--org", str(org)).stdout
    (invite,) = listed(trampoline)
    expires = datetime.fromisoformat(invite["expires_at"])
    assert f"valid until {i18n.day(expires, 'en_GB', 'Asia/Kabul')}" in printed
    assert i18n.clock_time(expires, "en_GB", "Asia/Kabul") in printed
    assert "+00:00" not in printed and "T" not in printed.split("valid until")[1]


def test_a_revoked_invite_can_be_resent_with_a_new_code(trampoline: Trampoline, database_url: str) -> None:
    made = organisation_with_invites(trampoline)
    invite = invite_id(trampoline, made["amina"]["person_id"])
    trampoline("invite", "revoke", str(invite))
    resent = trampoline.json("invite", "resend", str(invite))
    assert resent["code"] != made["amina"]["code"]
    (listed_again,) = [i for i in listed(trampoline) if i["id"] == invite]
    assert (listed_again["status"], listed_again["code"], listed_again["revoked_at"]) == (
        "pending",
        resent["code"],
        None,
    )
    assert "does not work anymore" in opening(database_url, made["amina"]["code"])


async def test_her_export_says_when_her_invite_was_revoked(bot: Bot) -> None:
    person_id, _ = await bot.invite(locale="ar")
    async with bot.db.transaction() as session:
        (invite,) = [i for i in await list_invites(session, bot.clock.now()) if i.person_id == person_id]
        await revoke_invite(session, bot.clock, invite.id)
    async with bot.db.reading() as session:
        exported = await export_person(session, person_id, bot.cipher, bot.clock.now())
    assert exported is not None
    assert [i["revoked_at"] for i in exported["invites"]] == [bot.clock.now().isoformat()]
