"""Retention: old message records go, inactive people are erased; ``trampoline retention --dry-run`` counts;
``trampoline forget`` needs --yes."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.db.engine import Database
from bot.db.models import ErasureRecord, InboundEvent, OutboxMessage, Person
from bot.privacy.retention import RetentionPolicy, apply, months_before, plan
from tests.support.harness import TEST_KEY, Bot
from tests.support.privacy import NAME, leftovers, linked


async def _count(db: Database, model: type) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_old_messages_and_inactive_people_go_recent_ones_stay(bot: Bot) -> None:
    old = await linked(bot, "tg-550000001", name="Oldrun")
    await old.phone.send("menu")
    bot.clock.advance(timedelta(days=100))
    recent = await linked(bot, "tg-550000002", name="Newrun")
    await recent.phone.send("menu")
    policy = RetentionPolicy(messages_days=90, inactive_months=24)

    async with bot.db.reading() as session:
        counted = await plan(session, policy, bot.clock.now())
    assert (counted.people, counted.inbound_events) == (0, 1) and counted.outbox_messages >= 1
    report = await apply(bot.db, policy, bot.clock.now(), bot.service)
    assert report == counted
    async with bot.db.reading() as session:
        keys = list(await session.scalars(select(InboundEvent.received_at)))
        outbox = list(await session.scalars(select(OutboxMessage.created_at)))
    assert keys == [bot.clock.now()] and outbox and all(at == bot.clock.now() for at in outbox)

    # Two years without a word from her: she is erased, the other one (and the coach) stay.
    bot.clock.advance(timedelta(days=700))
    await recent.phone.send("menu")
    async with bot.db.reading() as session:
        assert (await plan(session, policy, bot.clock.now())).people == 1
    assert (await apply(bot.db, policy, bot.clock.now(), bot.service)).people == 1
    async with bot.db.reading() as session:
        assert await session.get(Person, old.person_id) is None
        assert await session.get(Person, recent.person_id) is not None
        assert [r.reason for r in await session.scalars(select(ErasureRecord))] == ["retention"]
    assert await leftovers(bot.db, old.person_id, ["Oldrun", "tg-550000001", old.code]) == []


def test_months_before_clamps_the_day() -> None:
    from datetime import UTC, datetime

    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 11, 27, tzinfo=UTC), 24) == datetime(2024, 11, 27, tzinfo=UTC)


def test_the_commands(bot: Bot, database_url: str) -> None:
    async def prepare() -> tuple[int, str]:
        her = await linked(bot, "tg-660000001")
        await her.phone.send("menu")
        await bot.db.dispose()
        return her.person_id, her.code

    person_id, code = asyncio.run(prepare())
    env = {"TRAMPOLINE_DATABASE_URL": database_url, "TRAMPOLINE_ENCRYPTION_KEYS": TEST_KEY}
    runner = CliRunner()

    dry = runner.invoke(cli, ["retention", "--dry-run", "--json"], env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {"dry_run": True, "outbox_messages": 0, "inbound_events": 0, "people": 0}
    assert runner.invoke(cli, ["retention"], env=env).exit_code == 0

    refused = runner.invoke(cli, ["forget", "--person", str(person_id)], env=env)
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "--yes" in refused.stderr
    done = runner.invoke(cli, ["forget", "--person", str(person_id), "--yes", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"erased": True}
    again = runner.invoke(cli, ["forget", "--person", str(person_id), "--yes"], env=env)
    assert again.exit_code == 1 and "no person" in again.stderr

    async def check() -> list[str]:
        db = Database(database_url)
        try:
            return await leftovers(db, person_id, [NAME, "tg-660000001", code])
        finally:
            await db.dispose()

    assert asyncio.run(check()) == []
