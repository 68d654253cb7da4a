"""The command line: JSON output that scripts can rely on, and one clear line for every error."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.people.directory import INVITE_ALPHABET, INVITE_CODE_LENGTH
from tests.support.cli import Trampoline
from tests.support.databases import POSTGRES_ADMIN_URL

GOOD_TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    return Trampoline(database_url)


def test_org_add_and_list(trampoline: Trampoline) -> None:
    first = trampoline.json("org", "add", "Foyer Anderlecht", "--region", "Brussel")
    second = trampoline.json("org", "add", "Vrouwenhuis Lier", "--locale", "fr", "--timezone", "Europe/Brussels")
    assert set(first) == {"id"} and isinstance(first["id"], int)
    assert second["id"] != first["id"]
    listed = trampoline.json("org", "list")
    assert [(o["id"], o["name"], o["region"], o["locale"]) for o in listed["organisations"]] == [
        (first["id"], "Foyer Anderlecht", "Brussel", "nl"),
        (second["id"], "Vrouwenhuis Lier", None, "fr"),
    ]
    table = trampoline("org", "list").stdout
    assert "Foyer Anderlecht" in table and "Vrouwenhuis Lier" in table


def test_org_add_takes_the_defaults_from_the_settings(trampoline: Trampoline) -> None:
    org = trampoline.json("org", "add", "Antwerp", TRAMPOLINE_TIMEZONE="Asia/Kabul", TRAMPOLINE_DEFAULT_LOCALE="fa-AF")
    (listed,) = trampoline.json("org", "list")["organisations"]
    assert (listed["id"], listed["timezone"], listed["locale"]) == (org["id"], "Asia/Kabul", "fa_AF")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--locale", "klingon"], "unsupported locale 'klingon'"),
        (["--timezone", "Europe/Nowhere"], "unknown time zone 'Europe/Nowhere'"),
    ],
)
def test_org_add_refuses_bad_values(trampoline: Trampoline, args: list[str], message: str) -> None:
    assert message in trampoline.error("org", "add", "Foyer", *args)
    assert trampoline.json("org", "list") == {"organisations": []}


def test_org_names_are_unique(trampoline: Trampoline) -> None:
    trampoline.json("org", "add", "Foyer")
    assert "exists already" in trampoline.error("org", "add", "  Foyer ")


def test_invites_for_each_role(trampoline: Trampoline) -> None:
    org = trampoline.json("org", "add", "Foyer")["id"]
    coach = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Sara")
    participant = trampoline.json(
        "invite", "create", "--role", "participant", "--org", str(org), "--coach", str(coach["person_id"]),
        "--name", "Amina", "--locale", "ar",
    )  # fmt: skip
    buddy = trampoline.json("invite", "create", "--role", "buddy", "--org", str(org))
    for invite in (coach, participant, buddy):
        assert set(invite) == {"person_id", "code", "expires_at", "telegram_link", "whatsapp_link"}
        assert re.fullmatch(f"[{INVITE_ALPHABET}]{{{INVITE_CODE_LENGTH}}}", invite["code"])
        # No platform is configured: no links.
        assert invite["telegram_link"] is None and invite["whatsapp_link"] is None
    assert len({coach["code"], participant["code"], buddy["code"]}) == 3

    people = trampoline.json("people", "list", "--org", str(org))["people"]
    assert [(p["id"], p["role"], p["name"], p["status"], p["locale"]) for p in people] == [
        (coach["person_id"], "coach", "Sara", "invited", "nl"),
        (participant["person_id"], "participant", "Amina", "invited", "ar"),
        (buddy["person_id"], "buddy", None, "invited", "nl"),
    ]
    participants = trampoline.json("people", "list", "--role", "participant")["people"]
    assert [p["id"] for p in participants] == [participant["person_id"]]


def test_invite_links_when_the_channels_are_configured(trampoline: Trampoline) -> None:
    channels = {
        "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
        "TELEGRAM_BOT_USERNAME": "@TrampolineFoyerBot",
        "WHATSAPP_PHONE_NUMBER_ID": "109876543210",
        "WHATSAPP_PHONE_NUMBER": "+32 470 12 34 56",
        "WHATSAPP_ACCESS_TOKEN": "token",
        "WHATSAPP_APP_SECRET": "secret",
        "WHATSAPP_VERIFY_TOKEN": "verify",
    }
    org = trampoline.json("org", "add", "Foyer")["id"]
    invite = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), **channels)
    code = invite["code"]
    assert invite["telegram_link"] == f"https://t.me/TrampolineFoyerBot?start={code}"
    assert invite["whatsapp_link"] == f"https://wa.me/32470123456?text=START%20{code}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "participant", "--org", "{org}"], "a participant invite needs --coach"),
        (["--role", "coach", "--org", "999"], "no organisation with id 999"),
        (["--role", "participant", "--org", "{org}", "--coach", "999"], "no coach with id 999"),
        (
            ["--role", "participant", "--org", "{org}", "--coach", "{other_coach}"],
            "belongs to another organisation",
        ),
        (["--role", "participant", "--org", "{org}", "--coach", "{buddy}"], "no coach with id"),
        (["--role", "coach", "--org", "{org}", "--coach", "{coach}"], "--coach is for participant and buddy"),
        (["--role", "buddy", "--org", "{org}", "--locale", "xx"], "unsupported locale 'xx'"),
    ],
)
def test_invite_errors_are_one_clear_line_and_create_nothing(
    trampoline: Trampoline, args: list[str], message: str
) -> None:
    org = trampoline.json("org", "add", "Foyer")["id"]
    other_org = trampoline.json("org", "add", "Elsewhere")["id"]
    ids = {
        "org": org,
        "coach": trampoline.json("invite", "create", "--role", "coach", "--org", str(org))["person_id"],
        "other_coach": trampoline.json("invite", "create", "--role", "coach", "--org", str(other_org))["person_id"],
        "buddy": trampoline.json("invite", "create", "--role", "buddy", "--org", str(org))["person_id"],
    }
    before = trampoline.json("people", "list")
    assert message in trampoline.error("invite", "create", *[a.format(**ids) for a in args])
    assert trampoline.json("people", "list") == before


def test_errors_in_json_mode_are_json_too(trampoline: Trampoline) -> None:
    result = trampoline("invite", "create", "--role", "coach", "--org", "42", "--json", code=1)
    assert json.loads(result.stdout) == {"error": "no organisation with id 42"}
    result = trampoline("org", "list", "--json", code=1, TRAMPOLINE_PORT="eighty")
    assert json.loads(result.stdout)["error"].startswith("TRAMPOLINE_PORT: ")


def test_people_list_for_an_unknown_organisation(trampoline: Trampoline) -> None:
    assert trampoline.error("people", "list", "--org", "7") == "no organisation with id 7"


def test_an_unmigrated_database_is_named_not_crashed_on(tmp_path: Any) -> None:
    trampoline = Trampoline(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert "run `trampoline db upgrade` first" in trampoline.error("org", "list")
    assert "database is at revision" in trampoline("db", "upgrade").stdout
    assert trampoline.json("org", "list") == {"organisations": []}


def test_an_unreachable_database_is_one_line() -> None:
    trampoline = Trampoline("postgresql://nobody@127.0.0.1:1/nothing")
    assert "cannot use the database" in trampoline.error("org", "list")


def test_config_masks_secrets(trampoline: Trampoline) -> None:
    shown = trampoline.json("config", TELEGRAM_BOT_TOKEN=GOOD_TOKEN)
    assert shown["TELEGRAM_BOT_TOKEN"] == "********"
    assert GOOD_TOKEN not in trampoline("config", TELEGRAM_BOT_TOKEN=GOOD_TOKEN).stdout


def test_every_command_has_help(trampoline: Trampoline) -> None:
    commands = [
        [], ["run"], ["config"], ["db"], ["db", "upgrade"], ["org"], ["org", "add"], ["org", "list"],
        ["invite"], ["invite", "create"], ["people"], ["people", "list"], ["keys"], ["keys", "generate"],
    ]  # fmt: skip
    for command in commands:
        assert "Usage" in trampoline(*command, "--help").stdout


def test_keys_generate_prints_a_usable_key(trampoline: Trampoline) -> None:
    key = trampoline("keys", "generate").stdout.strip()
    assert trampoline.json("config", TRAMPOLINE_ENCRYPTION_KEYS=key)["TRAMPOLINE_ENCRYPTION_KEYS"] == "********"


def test_invite_create_takes_a_coach_or_buddy_gender(trampoline: Trampoline) -> None:
    org = str(trampoline.json("org", "add", "Foyer")["id"])
    coach = trampoline.json("invite", "create", "--role", "coach", "--org", org, "--gender", "feminine")
    assert coach["code"]
    assert trampoline.json("invite", "create", "--role", "buddy", "--org", org, "--gender", "neutral")["code"]
    refused = trampoline.error(
        "invite", "create", "--role", "participant", "--org", org, "--coach", str(coach["person_id"]),
        "--gender", "masculine",
    )  # fmt: skip
    assert "participants are addressed as women" in refused
    wrong = trampoline("invite", "create", "--role", "coach", "--org", org, "--gender", "she", code=2)
    assert "feminine" in wrong.stderr


@pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="TRAMPOLINE_TEST_POSTGRES_URL is not set")
@pytest.mark.parametrize("command", [["org", "list"], ["db", "upgrade"]])
def test_a_missing_postgres_database_is_named_with_the_fix(command: list[str]) -> None:
    assert POSTGRES_ADMIN_URL
    url = make_url(POSTGRES_ADMIN_URL).set(database="trampoline_nowhere", password="s3cret-pw")
    trampoline = Trampoline(url.render_as_string(hide_password=False))
    message = trampoline.error(*command)
    assert message == (
        'cannot use the database: database "trampoline_nowhere" does not exist '
        "(create it with createdb trampoline_nowhere)"
    )
