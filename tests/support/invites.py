"""Invites made and read through ``trampoline invite``, and an invite opened on the bot, for the command line's
tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from bot.core.clock import FakeClock
from bot.core.crypto import Cipher
from bot.db.engine import Database
from bot.db.models import Invite
from tests.support.cli import Trampoline
from tests.support.harness import TEST_KEY, Bot


def organisation_with_invites(
    trampoline: Trampoline, locale: str = "ar", timezone: str = "Europe/Brussels", **env: str
) -> dict[str, Any]:
    """An organisation "Foyer", its coach Sara and her participant Amina (in ``locale``), all invited."""
    org = trampoline.json("org", "add", "Foyer", "--timezone", timezone)["id"]
    coach = trampoline.json("invite", "create", "--role", "coach", "--org", str(org), "--name", "Sara", **env)
    amina = trampoline.json(
        "invite", "create", "--role", "participant", "--org", str(org), "--coach", str(coach["person_id"]),
        "--name", "Amina", "--locale", locale, **env,
    )  # fmt: skip
    return {"org": org, "coach": coach, "amina": amina}


def listed(trampoline: Trampoline, *args: str) -> list[dict[str, Any]]:
    invites: list[dict[str, Any]] = trampoline.json("invite", "list", *args)["invites"]
    return invites


def invite_id(trampoline: Trampoline, person_id: int) -> int:
    (found,) = [i["id"] for i in listed(trampoline) if i["person_id"] == person_id]
    return int(found)


async def _change(database_url: str, code: str, values: dict[str, Any]) -> None:
    db = Database(database_url, sealer=Cipher([TEST_KEY]))
    try:
        async with db.transaction() as session:
            await session.execute(update(Invite).where(Invite.code == code).values(**values))
    finally:
        await db.dispose()


def change_invite(database_url: str, code: str, **values: Any) -> None:
    """Set columns of the invite with ``code`` (to make one used or expired without waiting)."""
    asyncio.run(_change(database_url, code, values))


async def _open(database_url: str, code: str) -> str:
    db = Database(database_url, sealer=Cipher([TEST_KEY]))
    try:
        bot = Bot(db, FakeClock(datetime.now(UTC)))
        replies = await bot.phone(language_hint="en").send(f"/start {code}")
        return "\n".join(m.text for m in replies)
    finally:
        await db.dispose()


def opening(database_url: str, code: str) -> str:
    """What someone who opens the invite with ``code`` now is told."""
    return asyncio.run(_open(database_url, code))
