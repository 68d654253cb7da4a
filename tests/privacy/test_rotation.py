"""``trampoline keys rotate``: every encrypted value re-encrypted under the newest key, so the old key can go."""

from __future__ import annotations

import asyncio
import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.core.crypto import Cipher
from bot.db.models import CheckIn
from bot.privacy.rotation import encrypted_columns, rotate_all
from tests.support.harness import TEST_KEY, Bot
from tests.support.privacy import NOTE, checkin_with_note, linked


def test_every_ciphertext_column_is_found() -> None:
    assert ("checkins", "note_ciphertext") in {(t.name, c.name) for t, cols in encrypted_columns() for c in cols}


async def test_rotation_makes_old_key_data_readable_with_the_new_key_alone(bot: Bot) -> None:
    her = await linked(bot, "tg-770000001")
    await checkin_with_note(her.phone)  # encrypted under TEST_KEY only
    new_key = Fernet.generate_key().decode()
    seen: list[int] = []
    report = await rotate_all(bot.db, Cipher([new_key, TEST_KEY]), seen.append)
    assert (report.rotated, report.unreadable, sum(seen)) == (1, 0, 1)
    async with bot.db.reading() as session:
        token = await session.scalar(select(CheckIn.note_ciphertext))
    assert token is not None
    assert Cipher([new_key]).decrypt(token) == NOTE
    with pytest.raises(ValueError):
        Cipher([TEST_KEY]).decrypt(token)


def test_keys_rotate_command(bot: Bot, database_url: str) -> None:
    async def prepare() -> None:
        her = await linked(bot, "tg-770000002")
        await checkin_with_note(her.phone)
        await bot.db.dispose()

    asyncio.run(prepare())
    new_key = Fernet.generate_key().decode()
    env = {"TRAMPOLINE_DATABASE_URL": database_url, "TRAMPOLINE_ENCRYPTION_KEYS": f"{new_key},{TEST_KEY}"}
    result = CliRunner().invoke(cli, ["keys", "rotate", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"rotated": 1, "unreadable": 0}
    plain = CliRunner().invoke(cli, ["keys", "rotate"], env=env)
    assert plain.exit_code == 0 and "1 values re-encrypted" in plain.stdout
