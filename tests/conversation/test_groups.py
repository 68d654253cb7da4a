"""Events committed together: a group gives what its events give one by one, is written with a handful of
statements however large it is, and a SQLite writer waits for another process's lock without stopping the
event loop."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import event, select, text

from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import ChannelIdentity, CheckIn, Conversation, ConversationStatus, MatchStatus, Person
from bot.messaging.channel import InboundEvent
from tests.support.buddies import match_row, propose, setup
from tests.support.harness import Bot, Phone, onboarded
from tests.support.programme import Programme

LOCALES = ["en", "ar"]


@asynccontextmanager
async def ticking() -> AsyncIterator[Callable[[], int]]:
    """A task beside the code under test, counting the turns the event loop gives it."""
    count = 0

    async def ticker() -> None:
        nonlocal count
        while True:
            count += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        yield lambda: count
    finally:
        beat.cancel()


async def state_of(db: Database, person_id: int) -> list[tuple[str, str, str]]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(Conversation).where(Conversation.person_id == person_id).order_by(Conversation.id)
        )
        return [(c.flow, c.step, c.status.value) for c in rows]


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_group_gives_what_its_events_give_one_by_one(db: Database, clock: FakeClock, locale: str) -> None:
    """The buddy's second yes starts the introduction for the participant; her message in the same group
    must find that new conversation, exactly as when the two arrive apart."""
    p = Programme(db, clock)
    together = await setup(p, locale)
    apart = await setup(p, locale)
    for coach, participant, buddy in (together, apart):
        await propose(p, coach, participant, buddy)
        await p.phone(participant).press(1)  # her yes; the buddy is asked next
        await p.dispatch()
    for _, participant, buddy in (together, apart):
        p.new(participant), p.new(buddy)

    def yes(buddy: int) -> object:
        phone = p.phone(buddy)
        return p.bot.simulator.press(phone.external_id, phone.last.buttons[0].id)

    def hello(participant: int) -> object:
        return p.bot.simulator.text(p.phone(participant).external_id, "hello")

    _, participant, buddy = together
    results = await p.bot.inbox.process([yes(buddy), hello(participant)])  # type: ignore[list-item]
    assert [r.handled.value for r in results] == ["processed", "processed"]
    _, other_participant, other_buddy = apart
    await p.bot.inbox.process([yes(other_buddy)])  # type: ignore[list-item]
    await p.bot.inbox.process([hello(other_participant)])  # type: ignore[list-item]
    await p.dispatch()

    def shown(person: int, contacts: list[str]) -> list[str]:
        texts = [m.text for m in p.new(person)]
        for number, contact in enumerate(contacts):
            texts = [t.replace(contact, f"<contact {number}>") for t in texts]
        return texts

    pair = [p.phone(participant).external_id, p.phone(buddy).external_id]
    other_pair = [p.phone(other_participant).external_id, p.phone(other_buddy).external_id]
    assert shown(participant, pair) == shown(other_participant, other_pair)
    assert await state_of(db, participant) == await state_of(db, other_participant)
    assert await state_of(db, buddy) == await state_of(db, other_buddy)
    for match_id in (1, 2):
        assert (await match_row(p, match_id)).status is MatchStatus.ACTIVE


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_same_person_twice_in_one_group_and_a_repeated_event(
    db: Database, clock: FakeClock, locale: str
) -> None:
    bot = Bot(db, clock)
    person_id, phone = await onboarded(bot, locale)
    sim = bot.simulator
    start = sim.text(phone.external_id, "/checkin")
    mood = sim.text(phone.external_id, "4")
    results = await bot.inbox.process([start, mood, mood, sim.text(phone.external_id, "2")])
    assert [r.handled.value for r in results] == ["processed", "processed", "duplicate", "processed"]
    async with db.reading() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.person_id == person_id))
    assert checkin is not None and checkin.mood == 4 and checkin.steps == ["volunteer"]
    assert await state_of(db, person_id) == [("checkin", "obstacles", ConversationStatus.ACTIVE.value)]


async def statements_for_answers(bot: Bot, phones: list[object]) -> int:
    executed: list[str] = []

    def count(*args: object) -> None:
        executed.append(str(args[2]))

    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        results = await bot.inbox.process([bot.simulator.text(phone.external_id, "4") for phone in phones])  # type: ignore[attr-defined]
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", count)
    assert {r.handled.value for r in results} == {"processed"}
    return len(executed)


async def test_a_group_is_written_with_a_handful_of_statements_however_large(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    phones = []
    for _ in range(30):
        _, phone = await onboarded(bot)
        await phone.send("/checkin")
        phones.append(phone)
    few = await statements_for_answers(bot, phones[:3])
    many = await statements_for_answers(bot, phones[3:])
    assert many == few <= 10  # nine times the answers, not one statement more
    async with db.reading() as session:
        moods = list(await session.scalars(select(CheckIn.mood)))
    assert moods == [4] * 30


async def test_a_sqlite_writer_waits_for_another_process_without_stopping_the_loop(
    db: Database, clock: FakeClock
) -> None:
    if db.backend != "sqlite":
        pytest.skip("SQLite's lock between processes")
    bot = Bot(db, clock)
    person_id, phone = await onboarded(bot)
    other = sqlite3.connect(str(db.url.database), isolation_level=None)  # as another process would
    other.execute("BEGIN IMMEDIATE")
    try:
        async with ticking() as ticks:
            waiting = asyncio.create_task(bot.inbox.process([bot.simulator.text(phone.external_id, "/checkin")]))
            for _ in range(20):
                await asyncio.sleep(0.01)
            assert not waiting.done()  # it waits for the lock...
            assert ticks() > 5  # ...while the loop serves others
            other.execute("COMMIT")
            results = await waiting
    finally:
        other.close()
    assert [r.handled.value for r in results] == ["processed"]
    assert await state_of(db, person_id) == [("checkin", "mood", ConversationStatus.ACTIVE.value)]


WORDS = ["/checkin", "4", "2, 3", "2", "a note for my coach", "no", "yes", "menu", "help", "1", "hello", "/pause"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_random_conversations_end_the_same_in_groups_as_one_by_one(
    db: Database, clock: FakeClock, locale: str
) -> None:
    """Eight women each send the same fifteen random messages as eight others; the first eight arrive
    interleaved in groups of random size (with repeats of one woman in a group), the others one event at a
    time. Every woman must end in the same conversation, with the same check-in and the same replies."""
    rng = random.Random(f"groups-{locale}")
    bot = Bot(db, clock)
    scripts = [[rng.choice(WORDS) for _ in range(15)] for _ in range(8)]
    grouped = [(await onboarded(bot, locale))[1] for _ in scripts]
    alone = [(await onboarded(bot, locale))[1] for _ in scripts]

    def interleaved(phones: list[Phone]) -> list[InboundEvent]:
        queues = [
            [bot.simulator.text(p.external_id, w) for w in script] for p, script in zip(phones, scripts, strict=True)
        ]
        order = [n for n, script in enumerate(scripts) for _ in script]
        rng.shuffle(order)
        return [queues[n].pop(0) for n in order]

    events = interleaved(grouped)
    while events:
        size = rng.randint(1, 12)
        await bot.inbox.process(events[:size])
        events = events[size:]
    for one in interleaved(alone):
        await bot.inbox.process([one])
    await bot.dispatcher.dispatch_due()

    async def ending(phone: Phone) -> tuple[object, ...]:
        async with db.reading() as session:
            person_id = await session.scalar(
                select(ChannelIdentity.person_id).where(ChannelIdentity.external_id == phone.external_id)
            )
            checkins = [
                (c.week, c.mood, c.steps, c.obstacles, c.wants_contact, c.completed_at is not None)
                for c in await session.scalars(select(CheckIn).where(CheckIn.person_id == person_id))
            ]
            person = await session.get(Person, person_id)
            assert person is not None
            status = person.status.value
        return (status, await state_of(db, person_id or 0), checkins, [m.text for m in phone.inbox])

    for together, apart in zip(grouped, alone, strict=True):
        assert await ending(together) == await ending(apart)


async def test_a_long_sqlite_write_transaction_lets_the_loop_serve_others(db: Database) -> None:
    if db.backend != "sqlite":
        pytest.skip("SQLite's writer runs on the event loop's thread")
    async with ticking() as ticks, db.transaction() as session:
        before = ticks()
        for _ in range(3000):  # a long job: a fraction of a second of statements
            await session.execute(text("SELECT 1"))
        during = ticks() - before
    assert during > 0  # the loop had turns while the transaction went on
