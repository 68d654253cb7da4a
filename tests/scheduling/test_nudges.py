"""Nudges at the right moment: four simulated weeks across time zones and a daylight-saving change, with the
real planner, runner, conversation engine, outbox dispatcher and database; the clock is fake."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.core.crypto import Cipher
from bot.core.timing import in_quiet_hours, iso_week, local
from bot.db.engine import Database
from bot.db.models import Nudge, NudgeStatus, OutboxMessage, OutboxStatus, Person, PersonStatus
from bot.messaging.channel import OutboundMessage, SendOutcome, SendResult
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.scheduling.planner import NudgeRunner, plan_checkins
from tests.support.dispatch import Flaky, instant_limiters, queue_replies
from tests.support.harness import TEST_KEY, Bot, Phone, onboarded

START = datetime(2026, 10, 19, 0, 0, tzinfo=UTC)  # a Monday; Europe turns the clocks back on 25 October
INSTANT = {Channel.SIMULATOR: ChannelRate(1e9)}


@dataclass
class Participant:
    person_id: int
    phone: Phone
    timezone: str
    weekday: int
    at: time
    quiet: tuple[time, time]
    answers: bool


class Programme:
    """The bot plus the scheduler's ticks, driven by a fake clock from one due moment to the next."""

    def __init__(self, db: Database, clock: FakeClock, cap: int = 3) -> None:
        self.bot = Bot(db, clock)
        self.bot.dispatcher = Dispatcher(
            db, {Channel.SIMULATOR: self.bot.simulator}, clock, DispatchPolicy(max_nudges_per_day=cap),
            limiters=instant_limiters(),
        )  # fmt: skip
        self.runner = NudgeRunner(db, self.bot.service, reminder_after=timedelta(hours=24), kinds=self.bot.nudge_kinds)
        self.clock = clock
        self.people: list[Participant] = []

    async def add(
        self,
        timezone: str,
        weekday: int,
        at: time,
        quiet: tuple[time, time] = (time(21), time(8)),
        answers: bool = False,
    ) -> Participant:
        person_id, phone = await onboarded(self.bot)
        async with self.bot.db.transaction() as session:
            person = await session.get(Person, person_id)
            assert person is not None
            person.timezone, person.checkin_weekday, person.checkin_time = timezone, weekday, at
            person.quiet_start, person.quiet_end = quiet
        participant = Participant(person_id, phone, timezone, weekday, at, quiet, answers)
        self.people.append(participant)
        return participant

    async def tick(self) -> None:
        await plan_checkins(self.bot.db, self.clock.now())
        await self.runner.run_due(self.clock.now())
        await self.bot.dispatcher.dispatch_due()
        for participant in self.people:
            new = participant.phone.inbox[participant.phone.seen :]
            participant.phone.seen = len(participant.phone.inbox)
            if participant.answers and any(b.id.startswith("mood|") for m in new for b in m.buttons):
                for answer in ("4", "1", "nothing", "skip", "no"):
                    await participant.phone.send(answer)

    async def next_moment(self, until: datetime) -> datetime | None:
        now = self.clock.now()
        async with self.bot.db.reading() as session:
            nudge = await session.scalar(
                select(func.min(Nudge.due_at)).where(Nudge.status == NudgeStatus.PENDING, Nudge.due_at > now)
            )
            message = await session.scalar(
                select(func.min(OutboxMessage.due_at)).where(
                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at > now
                )
            )
        planning = now + timedelta(hours=6)  # the planner's tick, as often as the service would run it at least
        candidates = [m for m in (nudge, message, planning) if m is not None and m <= until]
        return min(candidates) if candidates else None

    async def run_until(self, until: datetime) -> None:
        await self.tick()
        while (moment := await self.next_moment(until)) is not None:
            self.clock.set(moment)
            await self.tick()

    async def sent(self, *kinds: str) -> list[OutboxMessage]:
        async with self.bot.db.reading() as session:
            return list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind.in_(kinds), OutboxMessage.status == OutboxStatus.SENT)
                    .order_by(OutboxMessage.sent_at)
                )
            )


@pytest.fixture
def programme(db: Database) -> Programme:
    return Programme(db, FakeClock(START))


async def test_four_weeks_in_three_time_zones(programme: Programme) -> None:
    brussels = await programme.add("Europe/Brussels", 0, time(10, 0))
    brussels_early = await programme.add("Europe/Brussels", 2, time(7, 0))  # inside her quiet hours: waits to 08:00
    new_york = await programme.add("America/New_York", 6, time(19, 0), answers=True)  # DST ends 1 November
    kabul = await programme.add("Asia/Kabul", 4, time(14, 0), quiet=(time(22), time(9)))
    kabul_late = await programme.add("Asia/Kabul", 3, time(21, 30), quiet=(time(21), time(6)), answers=True)
    await programme.run_until(START + timedelta(weeks=4))

    invitations = await programme.sent("nudge")
    reminders = await programme.sent("reminder")
    everything = invitations + reminders
    by_person = {p.person_id: p for p in programme.people}

    # Never inside her quiet hours.
    for row in everything:
        person = by_person[row.person_id or 0]
        assert row.sent_at is not None
        assert not in_quiet_hours(row.sent_at, person.timezone, *person.quiet), row.history

    # Exactly one invitation per person per week: none twice, none missed.
    weeks = Counter(
        (row.person_id, iso_week(row.sent_at or START, by_person[row.person_id or 0].timezone)) for row in invitations
    )
    assert set(weeks.values()) == {1}
    for person in programme.people:
        assert sum(1 for (who, _) in weeks if who == person.person_id) == 4

    # At her chosen wall-clock time, before and after the daylight-saving change (or when her quiet hours end).
    expected = {
        brussels.person_id: time(10, 0),
        brussels_early.person_id: time(8, 0),
        new_york.person_id: time(19, 0),
        kabul.person_id: time(14, 0),
        kabul_late.person_id: time(6, 0),
    }
    for row in invitations:
        person = by_person[row.person_id or 0]
        assert local(row.sent_at or START, person.timezone).time() == expected[person.person_id]

    # One reminder a week for those who did not answer, none for those who did.
    reminded = Counter(row.person_id for row in reminders)
    assert reminded[brussels.person_id] == 4 and reminded[kabul.person_id] == 4
    assert reminded[new_york.person_id] == 0 and reminded[kabul_late.person_id] == 0


async def test_after_an_outage_due_nudges_go_once_and_stale_ones_are_dropped(programme: Programme) -> None:
    soon = await programme.add("Europe/Brussels", 0, time(10, 0))
    await plan_checkins(programme.bot.db, programme.clock.now())
    # The service is down from before Monday 10:00 until Tuesday 15:00.
    programme.clock.set(datetime(2026, 10, 20, 13, 0, tzinfo=UTC))
    await programme.tick()
    await programme.tick()
    assert len(await programme.sent("nudge")) == 1
    # Down again for more than the check-in's three days: that week's nudge is dropped, with the reason.
    programme.clock.set(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    await programme.tick()
    async with programme.bot.db.reading() as session:
        skipped = list(
            await session.scalars(
                select(Nudge).where(Nudge.person_id == soon.person_id, Nudge.status == NudgeStatus.SKIPPED)
            )
        )
    assert [n.reason for n in skipped if n.kind == "checkin"] == [
        "no longer useful: the check-in would already have closed"
    ]
    assert len(await programme.sent("nudge")) == 1


async def test_nothing_while_paused_or_stopped(programme: Programme) -> None:
    paused = await programme.add("Europe/Brussels", 0, time(10, 0))
    stopped = await programme.add("Europe/Brussels", 0, time(10, 0))
    async with programme.bot.db.transaction() as session:
        person = await session.get(Person, paused.person_id)
        assert person is not None
        person.status, person.paused_until = PersonStatus.PAUSED, START + timedelta(days=6)
        other = await session.get(Person, stopped.person_id)
        assert other is not None
        other.status = PersonStatus.STOPPED
    await programme.run_until(START + timedelta(days=14))
    sent = Counter(row.person_id for row in await programme.sent("nudge"))
    assert sent[stopped.person_id] == 0
    assert sent[paused.person_id] == 1  # only the second week, after her pause
    async with programme.bot.db.reading() as session:
        reasons = set(await session.scalars(select(Nudge.reason).where(Nudge.status == NudgeStatus.SKIPPED)))
    assert {"she paused her reminders"} <= reasons


async def test_the_daily_cap_defers_to_the_next_day(db: Database) -> None:
    programme = Programme(db, FakeClock(START + timedelta(hours=8)), cap=1)
    person = await programme.add("Europe/Brussels", 0, time(10, 0))
    bot = programme.bot
    async with bot.db.transaction() as session:
        for number in range(2):
            row = OutboxMessage(
                idempotency_key=f"test:{number}", person_id=person.person_id, channel=Channel.SIMULATOR,
                kind="nudge", priority=10, payload=OutboundMessage(text=f"nudge {number}", locale="en").to_payload(),
                status=OutboxStatus.PENDING, due_at=programme.clock.now(), attempts=0, created_at=programme.clock.now(),
            )  # fmt: skip
            row.recipient = person.phone.external_id
            session.add(row)
    await bot.dispatcher.dispatch_due()
    assert [m.text for m in person.phone.inbox] == ["nudge 0"]
    async with bot.db.reading() as session:
        waiting = await session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "test:1"))
    assert waiting is not None and waiting.status is OutboxStatus.PENDING
    assert waiting.due_at == datetime(2026, 10, 20, 6, 0, tzinfo=UTC)  # 08:00 the next day, Brussels summer time
    assert "already 1 messages today" in waiting.history[-1]["reason"]


async def test_a_stale_nudge_is_dropped_with_its_reason(programme: Programme) -> None:
    person = await programme.add("Europe/Brussels", 0, time(10, 0))
    now = programme.clock.now() + timedelta(hours=9)
    programme.clock.set(now)
    async with programme.bot.db.transaction() as session:
        row = OutboxMessage(
            idempotency_key="shift:1", person_id=person.person_id, channel=Channel.SIMULATOR, kind="nudge",
            priority=10, payload=OutboundMessage(text="Your shift starts in 2 hours", locale="en").to_payload(),
            status=OutboxStatus.PENDING, due_at=now - timedelta(hours=3), stale_after=now - timedelta(hours=1),
            attempts=0, created_at=now,
        )  # fmt: skip
        row.recipient = person.phone.external_id
        session.add(row)
    await programme.bot.dispatcher.dispatch_due()
    assert person.phone.inbox == []
    async with programme.bot.db.reading() as session:
        dropped = await session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "shift:1"))
    assert dropped is not None and dropped.status is OutboxStatus.SKIPPED
    assert dropped.history[-1]["reason"] == "no longer useful: its moment has passed"


async def test_throttling_is_retried_after_the_wait_and_never_duplicated(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    channel = Flaky(SendOutcome.THROTTLED, SendOutcome.UNREACHABLE)
    dispatcher = Dispatcher(db, {Channel.SIMULATOR: channel}, clock, limiters=instant_limiters())
    (row_id,) = await queue_replies(bot, 1)
    await dispatcher.dispatch_due()
    assert channel.delivered == []
    clock.advance(timedelta(seconds=2))
    await dispatcher.dispatch_due()
    assert channel.delivered == []  # unreachable: waits 10 s (5 s, doubled for the second attempt)
    clock.advance(timedelta(seconds=10))
    await dispatcher.dispatch_due()
    await dispatcher.dispatch_due()
    assert channel.delivered == ["message 0"]
    async with db.reading() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None and row.status is OutboxStatus.SENT and row.attempts == 3
    assert [h["event"] for h in row.history] == ["retry", "retry"]


async def test_after_the_last_attempt_a_message_is_marked_failed(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    channel = Flaky(*[SendOutcome.UNREACHABLE] * 3)
    dispatcher = Dispatcher(
        db, {Channel.SIMULATOR: channel}, clock, DispatchPolicy(max_attempts=3), limiters=instant_limiters()
    )
    (row_id,) = await queue_replies(bot, 1)
    for _ in range(4):
        await dispatcher.dispatch_due()
        clock.advance(timedelta(minutes=5))
    async with db.reading() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None and row.status is OutboxStatus.FAILED and channel.delivered == []


async def test_a_dead_workers_claims_are_picked_up_after_the_lease(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    await queue_replies(bot, 5)
    dying = Dispatcher(db, {Channel.SIMULATOR: Flaky()}, clock, worker="dying", limiters=instant_limiters())
    claimed, _ = await dying._claim()  # it claims, then dies before sending anything
    assert len(claimed) == 5
    survivor_channel = Flaky()
    survivor = Dispatcher(
        db, {Channel.SIMULATOR: survivor_channel}, clock, worker="survivor", limiters=instant_limiters()
    )
    assert await survivor.dispatch_due() == 0  # the lease still holds
    clock.advance(timedelta(seconds=61))
    await survivor.dispatch_due()
    assert sorted(survivor_channel.delivered) == [f"message {n}" for n in range(5)]


async def test_a_claim_that_died_while_sending_is_not_sent_again(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    (row_id,) = await queue_replies(bot, 1)
    async with db.transaction() as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.claimed_by, row.lease_until = OutboxStatus.CLAIMED, "gone", clock.now() + timedelta(seconds=60)
        row.send_started_at = clock.now()
    clock.advance(timedelta(minutes=2))
    channel = Flaky()
    await Dispatcher(db, {Channel.SIMULATOR: channel}, clock, limiters=instant_limiters()).dispatch_due()
    async with db.reading() as session:
        row = await session.get(OutboxMessage, row_id)
    assert channel.delivered == [] and row is not None and row.status is OutboxStatus.FAILED


async def test_two_dispatchers_share_the_work_without_duplicates(database_url: str, clock: FakeClock) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several workers share an outbox on PostgreSQL (SQLite has one claimer)")
    first_db, second_db = (Database(database_url, sealer=Cipher([TEST_KEY])) for _ in range(2))
    try:
        await queue_replies(Bot(first_db, clock), 300)
        first, second = Flaky(), Flaky()
        small = DispatchPolicy(batch=10)
        await asyncio.gather(
            Dispatcher(first_db, {Channel.SIMULATOR: first}, clock, small, "one", instant_limiters()).dispatch_due(),
            Dispatcher(second_db, {Channel.SIMULATOR: second}, clock, small, "two", instant_limiters()).dispatch_due(),
        )
        delivered = first.delivered + second.delivered
        assert sorted(delivered) == sorted(f"message {n}" for n in range(300))
        assert first.delivered and second.delivered  # both took part
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_replies_go_before_bulk(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    await queue_replies(bot, 3)
    async with db.transaction() as session:
        for row in await session.scalars(select(OutboxMessage)):
            if row.idempotency_key == "bulk:2":
                row.priority = 0
            else:
                row.priority = 10
    channel = Flaky()
    await Dispatcher(db, {Channel.SIMULATOR: channel}, clock, limiters=instant_limiters()).dispatch_due()
    assert channel.delivered[0] == "message 2"


async def test_the_rate_limiter_spaces_sends() -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(ChannelRate(10.0, 1.0), monotonic=lambda: now[0], sleep=sleep)
    for recipient in ["a", "b", "c", "a"]:
        await limiter.wait(recipient)
    # 10/s overall (2% under it); "a" again only a second after her first message.
    assert waits == pytest.approx([0.102, 0.102, 0.796])


async def test_senders_held_up_by_a_busy_loop_go_out_spaced_again() -> None:
    now = [0.0]
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds + 0.05  # the loop was busy: every sleeper wakes 50 ms late

    limiter = RateLimiter(ChannelRate(100.0), monotonic=lambda: now[0], sleep=sleep)
    for recipient in ["a", "b", "c", "d"]:
        await limiter.wait(recipient)
        sent.append(now[0])
    # Slots of c and d had passed when b went out; they still leave 1/100 s (+2%) after the one before.
    assert all(later - earlier >= 0.0102 for earlier, later in itertools.pairwise(sent))


class Uneven:
    """A channel whose sends take uneven, interleaved turns of the event loop; it notes each chat's order."""

    name = Channel.SIMULATOR

    def __init__(self) -> None:
        self.received: dict[str, list[str]] = {}
        self.sends = 0

    async def send(self, external_id: str, message: OutboundMessage, context: object = None) -> SendResult:
        self.sends += 1
        for _ in range(10 * (self.sends % 5)):
            await asyncio.sleep(0)
        self.received.setdefault(external_id, []).append(message.text)
        return SendResult(SendOutcome.SENT, provider_message_id=f"u{self.sends}")


async def test_batches_overlap_but_each_chat_keeps_its_order(db: Database, clock: FakeClock) -> None:
    async with db.transaction() as session:
        for number in range(24):  # three chats, their messages queued in turn
            session.add(
                OutboxMessage(
                    idempotency_key=f"turn:{number}", person_id=None, recipient=f"chat-{number % 3}",
                    channel=Channel.SIMULATOR, kind="reply", priority=0,
                    payload=OutboundMessage(text=f"{number // 3}", locale="en").to_payload(),
                    status=OutboxStatus.PENDING, due_at=clock.now(), attempts=0, created_at=clock.now(),
                )
            )  # fmt: skip
    channel = Uneven()
    policy = DispatchPolicy(batch=4, concurrency=8)
    handled = await Dispatcher(
        db, {Channel.SIMULATOR: channel}, clock, policy, limiters=instant_limiters()
    ).dispatch_due()
    assert handled == 24 and channel.sends == 24
    assert channel.received == {f"chat-{chat}": [str(n) for n in range(8)] for chat in range(3)}


async def test_she_joins_just_after_this_weeks_moment_and_gets_next_weeks_check_in(programme: Programme) -> None:
    # Monday 10:40 in Brussels: this week's check-in moment (Monday 10:00) passed before she joined, less than
    # the planner's grace ago. Found by the simulator's fast-forward on a Monday morning: nothing was planned.
    programme.clock.set(datetime(2026, 12, 7, 9, 40, tzinfo=UTC))
    her = await programme.add("Europe/Brussels", 0, time(10, 0))
    await plan_checkins(programme.bot.db, programme.clock.now())
    async with programme.bot.db.reading() as session:
        planned = list(await session.scalars(select(Nudge.due_at).where(Nudge.person_id == her.person_id)))
    assert [local(moment, her.timezone) for moment in planned] == [
        datetime(2026, 12, 14, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    ]
