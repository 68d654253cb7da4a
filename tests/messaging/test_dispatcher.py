"""The dispatcher on a real database with a fake clock: a due row goes out once, a failed send is tried again
with growing back-off, nudges respect her quiet hours and the daily cap, alerts are not held back, and
nothing goes to a chat that blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import (
    ChannelIdentity,
    CoachSetting,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonStatus,
    Role,
)
from bot.messaging.channel import OutboundMessage, SendContext, SendOutcome, SendResult
from bot.messaging.dispatcher import Dispatcher
from bot.messaging.policy import DispatchPolicy
from bot.messaging.rate import ChannelRate, RateLimiter
from bot.messaging.rows import ALERT_PRIORITY, NUDGE_PRIORITY, outbox_row

# Late evening in Brussels (23:30, UTC+1 in November): inside the default quiet hours 21:00-08:00.
LATE = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Brussels, when her quiet hours end


@dataclass
class Sent:
    external_id: str
    text: str | None
    context: SendContext | None


@dataclass
class Platform:
    """A channel that answers with the given outcomes first, then sends; it remembers every attempt."""

    outcomes: list[SendOutcome] = field(default_factory=list)
    attempts: list[datetime] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    clock: FakeClock | None = None
    name: Channel = Channel.SIMULATOR

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        assert self.clock is not None
        self.attempts.append(self.clock.now())
        if self.outcomes:
            return SendResult(self.outcomes.pop(0), error="test")
        self.sent.append(Sent(external_id, message.text, context))
        return SendResult(SendOutcome.SENT, provider_message_id=f"m{len(self.sent)}")


def dispatcher(db: Database, clock: FakeClock, platform: Platform, **policy: int) -> Dispatcher:
    async def no_wait(_: float) -> None:
        return None

    platform.clock = clock
    limiters = {Channel.SIMULATOR: RateLimiter(ChannelRate(1e9), sleep=no_wait)}
    return Dispatcher(db, {Channel.SIMULATOR: platform}, clock, DispatchPolicy(**policy), limiters=limiters)


async def someone(
    db: Database, clock: FakeClock, role: Role = Role.PARTICIPANT, locale: str = "en", blocked: bool = False
) -> int:
    """A person in Brussels with the default quiet hours and one simulator chat; returns her id."""
    now = clock.now()
    async with db.transaction() as session:
        organisation = Organisation(name="Foyer", default_locale="nl", timezone="Europe/Brussels", created_at=now)
        session.add(organisation)
        await session.flush()
        person = Person(
            organisation_id=organisation.id, role=role, display_name="Amal", locale=locale,
            timezone="Europe/Brussels", status=PersonStatus.ACTIVE, quiet_start=time(21), quiet_end=time(8),
            created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(person)
        await session.flush()
        session.add(
            ChannelIdentity(
                person_id=person.id,
                channel=Channel.SIMULATOR,
                external_id=f"chat-{person.id}",
                blocked_at=now if blocked else None,
                created_at=now,
            )
        )
        return person.id


async def queue(db: Database, clock: FakeClock, person_id: int, key: str, kind: str = "reply") -> int:
    """An outbox row for her, due now; returns its id."""
    priority = {"reply": 0, "alert": ALERT_PRIORITY}.get(kind, NUDGE_PRIORITY)
    async with db.transaction() as session:
        identity = await session.scalar(select(ChannelIdentity).where(ChannelIdentity.person_id == person_id))
        message = OutboundMessage(text=f"text of {key}", locale="en")
        row = outbox_row(
            key, message, clock.now(), person_id=person_id, identity=identity, kind=kind, priority=priority
        )
        session.add(row)
        await session.flush()
        return row.id


async def row(db: Database, row_id: int) -> OutboxMessage:
    async with db.reading() as session:
        found = await session.get(OutboxMessage, row_id)
    assert found is not None
    return found


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_due_row_is_sent_once_and_marked_sent(db: Database, clock: FakeClock, locale: str) -> None:
    platform = Platform()
    sending = dispatcher(db, clock, platform)
    her = await someone(db, clock, locale=locale)
    row_id = await queue(db, clock, her, "reply:1")
    assert await sending.dispatch_due() == 1
    clock.advance(timedelta(minutes=5))
    assert await sending.dispatch_due() == 0
    assert [(s.external_id, s.text) for s in platform.sent] == [(f"chat-{her}", "text of reply:1")]
    context = platform.sent[0].context
    assert context is not None and context.locale == locale and context.kind == "reply"
    sent = await row(db, row_id)
    assert sent.status is OutboxStatus.SENT and sent.attempts == 1
    assert sent.sent_at == clock.now() - timedelta(minutes=5) and sent.provider_message_id == "m1"


async def test_a_failed_send_is_tried_again_with_growing_back_off(db: Database, clock: FakeClock) -> None:
    platform = Platform(outcomes=[SendOutcome.UNREACHABLE, SendOutcome.UNREACHABLE])
    sending = dispatcher(db, clock, platform)
    start = clock.now()
    row_id = await queue(db, clock, await someone(db, clock), "reply:1")
    await sending.dispatch_due()
    waiting = await row(db, row_id)
    assert waiting.status is OutboxStatus.PENDING and waiting.next_attempt_at == start + timedelta(seconds=5)
    clock.set(start + timedelta(seconds=4))
    await sending.dispatch_due()  # not yet
    clock.set(start + timedelta(seconds=5))
    await sending.dispatch_due()  # the second attempt fails too: the wait doubles
    clock.set(start + timedelta(seconds=14))
    await sending.dispatch_due()  # not yet
    clock.set(start + timedelta(seconds=15))
    await sending.dispatch_due()
    assert platform.attempts == [start, start + timedelta(seconds=5), start + timedelta(seconds=15)]
    assert [s.text for s in platform.sent] == ["text of reply:1"]
    sent = await row(db, row_id)
    assert sent.status is OutboxStatus.SENT and sent.attempts == 3
    assert [entry["event"] for entry in sent.history] == ["retry", "retry"]


async def test_a_nudge_in_her_quiet_hours_waits_until_they_end(db: Database, clock: FakeClock) -> None:
    platform = Platform()
    sending = dispatcher(db, clock, platform)
    clock.set(LATE)
    row_id = await queue(db, clock, await someone(db, clock), "nudge:1", kind="nudge")
    await sending.dispatch_due()
    waiting = await row(db, row_id)
    assert waiting.status is OutboxStatus.PENDING and waiting.due_at == NEXT_MORNING
    assert "her quiet hours" in waiting.history[-1]["reason"]
    clock.set(NEXT_MORNING - timedelta(minutes=1))
    await sending.dispatch_due()
    assert platform.attempts == []
    clock.set(NEXT_MORNING)
    await sending.dispatch_due()
    assert [s.text for s in platform.sent] == ["text of nudge:1"]
    assert (await row(db, row_id)).status is OutboxStatus.SENT


async def test_a_second_nudge_the_same_day_waits_for_the_next_day(db: Database, clock: FakeClock) -> None:
    platform = Platform()
    sending = dispatcher(db, clock, platform, max_nudges_per_day=1)
    her = await someone(db, clock)  # 10:00 in Brussels
    first = await queue(db, clock, her, "nudge:1", kind="nudge")
    second = await queue(db, clock, her, "reminder:1", kind="reminder")
    await sending.dispatch_due()
    clock.advance(timedelta(hours=3))
    await sending.dispatch_due()
    assert [s.text for s in platform.sent] == ["text of nudge:1"]
    assert (await row(db, first)).status is OutboxStatus.SENT
    waiting = await row(db, second)
    assert waiting.status is OutboxStatus.PENDING and waiting.due_at == NEXT_MORNING
    assert "already 1 messages today" in waiting.history[-1]["reason"]
    clock.set(NEXT_MORNING)
    await sending.dispatch_due()
    assert [s.text for s in platform.sent] == ["text of nudge:1", "text of reminder:1"]


async def test_an_alert_is_not_held_back_by_her_quiet_hours_or_the_cap(db: Database, clock: FakeClock) -> None:
    platform = Platform()
    sending = dispatcher(db, clock, platform, max_nudges_per_day=1)
    coach = await someone(db, clock, role=Role.COACH)
    await queue(db, clock, coach, "nudge:1", kind="nudge")
    await sending.dispatch_due()  # her one nudge of the day
    clock.set(LATE)
    nudge = await queue(db, clock, coach, "nudge:2", kind="nudge")
    alert = await queue(db, clock, coach, "alert:1", kind="alert")
    await sending.dispatch_due()
    assert [s.text for s in platform.sent] == ["text of nudge:1", "text of alert:1"]
    assert (await row(db, alert)).status is OutboxStatus.SENT
    assert (await row(db, nudge)).status is OutboxStatus.PENDING


async def test_an_alert_waits_for_her_quiet_hours_when_she_chose_so(db: Database, clock: FakeClock) -> None:
    platform = Platform()
    sending = dispatcher(db, clock, platform)
    coach = await someone(db, clock, role=Role.COACH)
    async with db.transaction() as session:
        session.add(
            CoachSetting(
                person_id=coach,
                summary_weekday=4,
                summary_time=time(15),
                alerts_respect_quiet_hours=True,
                updated_at=clock.now(),
            )
        )
    clock.set(LATE)
    alert = await queue(db, clock, coach, "alert:1", kind="alert")
    await sending.dispatch_due()
    assert platform.sent == []
    assert (await row(db, alert)).due_at == NEXT_MORNING
    clock.set(NEXT_MORNING)
    await sending.dispatch_due()
    assert [s.text for s in platform.sent] == ["text of alert:1"]


async def test_a_row_to_a_blocked_chat_is_not_sent(db: Database, clock: FakeClock) -> None:
    platform = Platform()
    sending = dispatcher(db, clock, platform)
    row_id = await queue(db, clock, await someone(db, clock, blocked=True), "reply:1")
    assert await sending.dispatch_due() == 1
    clock.advance(timedelta(days=1))
    assert await sending.dispatch_due() == 0
    assert platform.attempts == []
    skipped = await row(db, row_id)
    assert skipped.status is OutboxStatus.SKIPPED and skipped.last_error == "she blocked the bot"
