"""Encrypted means encrypted (issue 18, point 2; decision 0019): her note travels to her coach in an outbox
row, and the row's payload is sealed with the same keys as the note, queued and after sending. A copy of the
storage (the SQLite file and its write-ahead log, a PostgreSQL dump) never shows her words; the coach still
gets them word for word."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from bot.channels.base import OutboundMessage
from bot.clock import FakeClock
from bot.conversation.service import outbox_row
from bot.db.engine import Database
from bot.db.models import Channel, ChannelIdentity, OutboxMessage, OutboxStatus
from tests.harness import Bot, texts
from tests.privacy.helpers import linked
from tests.privacy.test_erased_means_erased import raw_leftovers

NOTE = "Hana secret note about my husband Gorvendil"


@pytest.fixture
def bot(db: Database, clock: FakeClock) -> Bot:
    return Bot(db, clock)


async def coach_with_phone(bot: Bot) -> str:
    coach_id = await bot.coach()
    async with bot.db.transaction() as session:
        session.add(
            ChannelIdentity(
                person_id=coach_id,
                channel=Channel.SIMULATOR,
                external_id="coach-phone",
                created_at=bot.clock.now(),
                last_inbound_at=bot.clock.now(),
            )
        )
    return "coach-phone"


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_her_note_to_the_coach_is_never_in_clear_in_storage_queued_or_sent(bot: Bot, locale: str) -> None:
    coach_phone = await coach_with_phone(bot)
    her = await linked(bot, "her-phone", locale=locale)
    for answer in ("check-in", "4", "1", "nothing", NOTE, "yes"):
        await bot.inbox.process([bot.simulator.text("her-phone", answer)])
    async with bot.db.reading() as session:
        queued = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)))
    assert any(NOTE in (row.payload.get("text") or "") for row in queued)  # read through the keys: her words
    assert await raw_leftovers(bot.db, [NOTE, "Gorvendil"]) == []  # queued: sealed in storage

    await bot.dispatcher.dispatch_due()
    got = texts(bot.simulator.transcripts.get(coach_phone, []))
    assert NOTE in got  # the coach reads her words as she wrote them
    assert await raw_leftovers(bot.db, [NOTE, "Gorvendil"]) == []  # sent: still nothing in clear

    async with bot.db.reading() as session:
        stored = list(await session.execute(text("SELECT payload FROM outbox")))
    assert stored and all("sealed" in str(row[0]) for row in stored)
    del her


async def test_an_outbox_row_is_never_written_without_the_keys(database_url: str, clock: FakeClock) -> None:
    bare = Database(database_url)  # no seal_with: a code path that forgot the keys
    try:
        row = outbox_row(
            "key-1",
            OutboundMessage(text=NOTE, locale="en"),
            clock.now(),
            recipient=(Channel.SIMULATOR, "someone"),
        )
        with pytest.raises(StatementError, match="needs the encryption keys"):
            async with bare.transaction() as session:
                session.add(row)
    finally:
        await bare.dispose()
    assert await raw_leftovers(bare, [NOTE]) == []
