"""The dispatcher's rules (bot.messaging.policy) on plain values, without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.db.models import OutboxStatus, PersonStatus
from bot.messaging.channel import SendOutcome
from bot.messaging.policy import (
    SEND,
    Defer,
    DispatchPolicy,
    Fail,
    Skip,
    again_as_template,
    alert_verdict,
    as_template,
    before_sending,
    capped_verdict,
    count_today,
    deferral,
    next_attempt,
    quiet_until,
)

# A Monday in November: Brussels is UTC+1.
MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels
LATE = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 in Brussels, inside 21:00-08:00
NEXT_MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Brussels


@dataclass
class Her:
    status: PersonStatus = PersonStatus.ACTIVE
    paused_until: datetime | None = None
    timezone: str = "Europe/Brussels"
    quiet_start: time = time(21)
    quiet_end: time = time(8)


def test_every_row_a_worker_died_sending_fails_rather_than_going_twice() -> None:
    assert isinstance(before_sending(died_while_sending=True, blocked=False, has_recipient=True), Fail)
    assert before_sending(died_while_sending=False, blocked=True, has_recipient=True) == Skip("she blocked the bot")
    assert before_sending(died_while_sending=False, blocked=False, has_recipient=False) == Skip("no one to send to")
    assert before_sending(died_while_sending=False, blocked=False, has_recipient=True) == SEND


def test_her_quiet_hours_end_in_her_own_time_zone() -> None:
    assert quiet_until(Her(), MORNING) is None
    assert quiet_until(Her(), LATE) == NEXT_MORNING
    assert quiet_until(Her(timezone="Asia/Kolkata"), MORNING) is None  # 14:30 there
    kolkata_night = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 23:30 in Kolkata
    assert quiet_until(Her(timezone="Asia/Kolkata"), kolkata_night) == datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert quiet_until(Her(quiet_start=time(8), quiet_end=time(8)), LATE) is None  # no quiet hours at all


def test_a_nudge_goes_when_no_rule_holds_it_back() -> None:
    assert capped_verdict(Her(), MORNING, None, sent_today=2, cap=3) == SEND


def test_a_nudge_in_her_quiet_hours_waits_for_their_end() -> None:
    assert capped_verdict(Her(), LATE, None, sent_today=0, cap=3) == Defer(NEXT_MORNING, "her quiet hours")


def test_a_nudge_over_the_daily_cap_waits_for_the_end_of_her_next_quiet_hours() -> None:
    verdict = capped_verdict(Her(), MORNING, None, sent_today=3, cap=3)
    assert verdict == Defer(NEXT_MORNING, "already 3 messages today")


def test_a_nudge_she_paused_or_stopped_is_skipped() -> None:
    stopped = capped_verdict(Her(status=PersonStatus.STOPPED), MORNING, None, 0, 3)
    assert stopped == Skip("she stopped all messages")
    paused = Her(status=PersonStatus.PAUSED, paused_until=MORNING + timedelta(days=7))
    assert capped_verdict(paused, MORNING, None, 0, 3) == Skip("she paused her reminders")
    assert capped_verdict(Her(status=PersonStatus.PAUSED), MORNING, None, 0, 3) == Skip("she paused her reminders")
    ended = Her(status=PersonStatus.PAUSED, paused_until=MORNING - timedelta(hours=1))
    assert capped_verdict(ended, MORNING, None, 0, 3) == SEND


def test_a_stale_nudge_is_skipped_and_so_is_one_whose_wait_outlasts_it() -> None:
    passed = capped_verdict(Her(), MORNING, MORNING - timedelta(minutes=1), 0, 3)
    assert passed == Skip("no longer useful: its moment has passed")
    tonight = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert capped_verdict(Her(), LATE, tonight, 0, 3) == Skip(
        "her quiet hours last until after it is useful", deferred_to=NEXT_MORNING
    )
    assert deferral(NEXT_MORNING, "waiting", NEXT_MORNING) == Defer(NEXT_MORNING, "waiting")


def test_an_alert_waits_only_in_her_quiet_hours_and_only_when_she_chose_so() -> None:
    assert alert_verdict(Her(), MORNING, None, waits_for_quiet=True) == SEND
    assert alert_verdict(Her(), LATE, None, waits_for_quiet=False) == SEND
    assert alert_verdict(Her(), LATE, None, waits_for_quiet=True) == Defer(
        NEXT_MORNING, "her quiet hours (she chose that alerts wait)"
    )


def test_the_daily_count_is_of_her_local_day_and_counts_what_is_on_its_way() -> None:
    day = (datetime(2026, 11, 22, 23, 0, tzinfo=UTC), datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # Brussels
    rows = [
        (1, OutboxStatus.SENT, datetime(2026, 11, 22, 23, 30, tzinfo=UTC)),  # 00:30 her time: today
        (1, OutboxStatus.READ, datetime(2026, 11, 22, 22, 30, tzinfo=UTC)),  # 23:30 yesterday, her time
        (1, OutboxStatus.CLAIMED, None),  # on its way: goes out today
        (2, OutboxStatus.DELIVERED, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
        (3, OutboxStatus.SENT, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),  # not asked about
        (None, OutboxStatus.SENT, datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ]
    assert count_today(rows, {1: day, 2: day, 4: day}) == {1: 2, 2: 1, 4: 0}


def test_a_send_that_did_not_go_out_is_tried_again_later_each_time() -> None:
    policy = DispatchPolicy(max_attempts=4, first_retry=timedelta(seconds=5))
    waits = [next_attempt(SendOutcome.UNREACHABLE, attempts, None, MORNING, policy) for attempts in (1, 2, 3)]
    assert waits == [MORNING + timedelta(seconds=s) for s in (5, 10, 20)]
    assert next_attempt(SendOutcome.THROTTLED, 1, 30.0, MORNING, policy) == MORNING + timedelta(seconds=30)
    assert next_attempt(SendOutcome.UNREACHABLE, 4, None, MORNING, policy) is None  # the last attempt


@pytest.mark.parametrize("outcome", [SendOutcome.FAILED, SendOutcome.STOPPED, SendOutcome.UNCERTAIN])
def test_a_send_that_may_have_arrived_or_cannot_work_is_not_tried_again(outcome: SendOutcome) -> None:
    assert next_attempt(outcome, 1, None, MORNING, DispatchPolicy()) is None


def test_a_started_message_refused_outside_her_window_goes_again_once_as_a_template() -> None:
    assert again_as_template("nudge", {"text": "x"}, window_closed=True)
    assert not again_as_template("reply", {"text": "x"}, window_closed=True)
    assert not again_as_template("nudge", {"text": "x"}, window_closed=False)
    assert not again_as_template("nudge", {"text": "x", "as_template": True}, window_closed=True)
    assert as_template({"as_template": True}) and not as_template({"text": "x"})
