"""Encrypted means encrypted (decision 0022): what she typed is never in the database file in clear text,
not while the message about it waits in the outbox, not after it went out. Her note reaches her coach word
for word all the same. Checked on the raw SQLite file and its write-ahead log, and on a PostgreSQL dump."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from bot.db.engine import Database
from bot.db.models import ChannelIdentity, OutboxMessage, OutboxStatus
from bot.db.sealing import UnsealedWrite
from tests.support.harness import Bot
from tests.support.privacy import linked, raw_leftovers

NOTE = "Hana secret note about my husband Gerolf"
TYPED = "Hana asks Sara about Quirinella"  # a message to the coach


async def _coach_phone(bot: Bot) -> None:
    coach_id = await bot.coach()
    async with bot.db.transaction() as session:
        session.add(
            ChannelIdentity(
                person_id=coach_id, channel=bot.simulator.name, external_id="coach-phone", created_at=bot.clock.now()
            )
        )


async def _queued(bot: Bot) -> list[OutboxMessage]:
    async with bot.db.reading() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)))


@pytest.mark.parametrize("locale", ["en", "fa_AF"])
async def test_her_note_is_sealed_in_the_outbox_queued_and_after_sending(bot: Bot, locale: str) -> None:
    await _coach_phone(bot)
    her = await linked(bot, "tg-880012345", locale=locale)
    for text in ("check-in", "4", "1", "nothing", NOTE):
        await her.phone.send(text)
    # Her last answer, taken in but not yet sent: the alert to her coach waits in the outbox.
    await bot.inbox.process([bot.simulator.text(her.phone.external_id, "yes")])
    queued = await _queued(bot)
    assert queued, "the coach alert should be waiting"
    assert any(NOTE in str(row.payload.get("text")) for row in queued)  # the dispatcher reads it whole
    assert await raw_leftovers(bot.db, [NOTE, "Gerolf"]) == []

    await bot.dispatcher.dispatch_due()
    coach_texts = [m.text for m in bot.simulator.transcripts["coach-phone"]]
    assert any(NOTE in text for text in coach_texts), coach_texts  # word for word
    assert await raw_leftovers(bot.db, [NOTE, "Gerolf"]) == []
    async with bot.db.reading() as session:
        sent = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)))
    assert sent
    assert all("text" not in row.payload and "sealed" not in row.payload for row in sent)


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_message_to_the_coach_is_sealed(bot: Bot, locale: str) -> None:
    await _coach_phone(bot)
    her = await linked(bot, "tg-880054321", locale=locale)
    await her.phone.send("check-in")
    for text in ("4", "1", "nothing", TYPED, "yes"):
        await her.phone.send(text)
    assert any(TYPED in m.text for m in bot.simulator.transcripts["coach-phone"])
    assert await raw_leftovers(bot.db, [TYPED, "Quirinella"]) == []


async def test_a_process_without_the_key_refuses_to_write_free_text(database_url: str, bot: Bot) -> None:
    """A worker started without its key fails loudly instead of storing her words in clear."""
    her = await linked(bot, "tg-880099999")
    unsealed = Database(database_url)
    try:
        with pytest.raises(StatementError) as caught:
            async with unsealed.transaction() as session:
                session.add(
                    OutboxMessage(
                        idempotency_key="unsealed-1", person_id=her.person_id, channel=bot.simulator.name,
                        kind="reply", priority=0, payload={"text": NOTE, "locale": "en"},
                        status=OutboxStatus.PENDING, due_at=bot.clock.now(), attempts=0, created_at=bot.clock.now(),
                    )
                )  # fmt: skip
        assert isinstance(caught.value.orig, UnsealedWrite)
    finally:
        await unsealed.dispose()
    assert await raw_leftovers(bot.db, [NOTE]) == []
