"""See my data: ``mydata`` sends a readable summary in her language and a JSON file; ``trampoline export``
prints the same JSON."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.core.i18n import FIRST_STRONG_ISOLATE
from bot.db.engine import Database
from bot.db.models import AuditEntry, OutboxMessage
from tests.support.harness import TEST_KEY, Bot
from tests.support.privacy import NAME, NOTE, checkin_with_note, linked


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_mydata_sends_a_summary_in_her_language_and_the_file(bot: Bot, locale: str) -> None:
    her = await linked(bot, "tg-330012345", locale=locale)
    await checkin_with_note(her.phone)
    replies = await her.phone.send("mydata")
    tr = bot.language(locale)
    summary, attachment = replies[-2], replies[-1]
    assert NAME in summary.text and tr.gettext("Check-ins") in summary.text
    assert summary.right_to_left is (locale == "ar") and attachment.right_to_left is (locale == "ar")
    if locale == "ar":
        assert FIRST_STRONG_ISOLATE in summary.text
    assert attachment.document_name == "my-data.json" and attachment.document_text is not None
    data = json.loads(attachment.document_text)
    assert data["person"]["name"] == NAME and data["person"]["language"] == locale
    assert [c["note"] for c in data["checkins"]] == [NOTE]  # her note, decrypted for her
    assert [(c["channel"], c["account"]) for c in data["channels"]] == [("simulator", "tg-330012345")]
    # Once sent, the file is not kept in the outbox.
    async with bot.db.reading() as session:
        payloads = list(await session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "export")))
    assert payloads and all("document" not in p for p in payloads)


async def test_my_data_in_two_words_works_too(bot: Bot) -> None:
    her = await linked(bot, "tg-330012399")
    replies = await her.phone.send("my data")
    assert replies[-1].document_text is not None


def test_trampoline_export_prints_exactly_one_json_object(bot: Bot, database_url: str) -> None:
    import asyncio

    async def prepare() -> int:
        her = await linked(bot, "tg-440012345")
        await checkin_with_note(her.phone)
        await bot.db.dispose()
        return her.person_id

    person_id = asyncio.run(prepare())
    env = {"TRAMPOLINE_DATABASE_URL": database_url, "TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY}
    result = CliRunner().invoke(cli, ["export", "--person", str(person_id)], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict) and data["person"]["id"] == person_id
    assert [c["note"] for c in data["checkins"]] == [NOTE]

    missing = CliRunner().invoke(cli, ["export", "--person", "9999"], env=env)
    assert missing.exit_code == 1 and json.loads(missing.stdout) == {"error": "no person 9999"}

    async def audited() -> list[tuple[str, int | None]]:
        db = Database(database_url)
        try:
            async with db.reading() as session:
                return [(a.action, a.subject_id) for a in await session.scalars(select(AuditEntry))]
        finally:
            await db.dispose()

    assert asyncio.run(audited()) == [("admin.export", person_id)]
