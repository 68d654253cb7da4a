"""The dispatcher's rules, as decisions on plain values: whether an outbox row may go now, waits (and until
when), is skipped or has failed; when a message that did not go out is tried again; and whether a message
the platform refused as free text goes again as a template. Nothing here reads the database or sends.

The rules for messages the bot starts on its own (the ``CAPPED_KINDS``): never in her quiet hours (deferred
to their end), nothing while she has paused or stopped, at most ``max_nudges_per_day`` a day, and nothing
that has gone stale. Replies to her are never held back; an alert waits for her quiet hours only when she
chose so. A wait that would outlast the row's usefulness is a skip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from bot.core.channel import Channel
from bot.core.timing import in_quiet_hours, next_local_day, quiet_hours_end
from bot.db.models import OutboxStatus, PersonStatus
from bot.messaging.channel import STARTED_KINDS, SendOutcome
from bot.messaging.rate import ChannelRate

# The outbox row kinds the bot starts on its own that the daily cap counts and holds back; replies to her
# and alerts to a coach are not among them.
CAPPED_KINDS = frozenset({"nudge", "reminder"})
ALERT = "alert"

# Set in a row's payload when the platform refused it as free text because her window for free text had
# closed: it goes again as a template, never again as free text.
AS_TEMPLATE = "as_template"

DIED_WHILE_SENDING = "its worker stopped while sending; not resent, it may have arrived"


@dataclass(frozen=True)
class DispatchPolicy:
    batch: int = 50
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=5)
    max_nudges_per_day: int = 3
    concurrency: int = 8  # chats served at once; one chat's messages always go one after another, in order
    rates: Mapping[Channel, ChannelRate] = field(
        default_factory=lambda: {
            Channel.TELEGRAM: ChannelRate(30.0, 1.0),
            Channel.WHATSAPP: ChannelRate(80.0, 1.0),
            Channel.SIMULATOR: ChannelRate(1000.0),
        }
    )


class Recipient(Protocol):
    """What the rules read of the person a row is for (a ``Person`` row has it)."""

    @property
    def status(self) -> PersonStatus: ...
    @property
    def paused_until(self) -> datetime | None: ...
    @property
    def timezone(self) -> str: ...
    @property
    def quiet_start(self) -> time: ...
    @property
    def quiet_end(self) -> time: ...


# -- the verdicts ---


@dataclass(frozen=True)
class Send:
    """It may go now."""


@dataclass(frozen=True)
class Defer:
    """It waits until ``until``; the reason goes into its history."""

    until: datetime
    reason: str


@dataclass(frozen=True)
class Skip:
    """It is not sent at all. ``deferred_to`` is set when a wait outlasted its usefulness: its due time
    still moves to where the wait would have ended."""

    reason: str
    deferred_to: datetime | None = None


@dataclass(frozen=True)
class Fail:
    """It is not sent again: it may have arrived already."""

    reason: str


Verdict = Send | Defer | Skip | Fail
SEND = Send()


# -- the rules ---


def before_sending(*, died_while_sending: bool, blocked: bool, has_recipient: bool) -> Verdict:
    """The rules for every row, whatever its kind: a row whose worker died mid-send is not sent again (a
    duplicate is worse than a late message), nothing goes to a chat that blocked the bot or to no one."""
    if died_while_sending:
        return Fail(DIED_WHILE_SENDING)
    if blocked:
        return Skip("she blocked the bot")
    if not has_recipient:
        return Skip("no one to send to")
    return SEND


def quiet_until(her: Recipient, now: datetime) -> datetime | None:
    """The end of her quiet hours when ``now`` is inside them, else None."""
    if not in_quiet_hours(now, her.timezone, her.quiet_start, her.quiet_end):
        return None
    return quiet_hours_end(now, her.timezone, her.quiet_start, her.quiet_end)


def deferral(until: datetime, reason: str, stale_after: datetime | None) -> Defer | Skip:
    """Wait until ``until``, unless the row is no longer useful by then."""
    if stale_after is not None and until > stale_after:
        return Skip(f"{reason} last until after it is useful", deferred_to=until)
    return Defer(until, reason)


def capped_verdict(her: Recipient, now: datetime, stale_after: datetime | None, sent_today: int, cap: int) -> Verdict:
    """The rules for a message of a ``CAPPED_KINDS`` kind, given how many she has had today (``sent_today``)."""
    if stale_after is not None and now > stale_after:
        return Skip("no longer useful: its moment has passed")
    if her.status is PersonStatus.STOPPED:
        return Skip("she stopped all messages")
    if her.status is PersonStatus.PAUSED and (her.paused_until is None or her.paused_until > now):
        return Skip("she paused her reminders")
    quiet_end = quiet_until(her, now)
    if quiet_end is not None:
        return deferral(quiet_end, "her quiet hours", stale_after)
    if sent_today >= cap:
        tomorrow = next_local_day(now, her.timezone, her.quiet_end)
        until = quiet_hours_end(tomorrow, her.timezone, her.quiet_start, her.quiet_end)
        return deferral(until, f"already {cap} messages today", stale_after)
    return SEND


def alert_verdict(her: Recipient, now: datetime, stale_after: datetime | None, waits_for_quiet: bool) -> Verdict:
    """An alert to a coach goes at once, unless she chose that alerts wait for her quiet hours and it is
    inside them."""
    quiet_end = quiet_until(her, now)
    if quiet_end is None or not waits_for_quiet:
        return SEND
    return deferral(quiet_end, "her quiet hours (she chose that alerts wait)", stale_after)


SENT_STATUSES = frozenset({OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ})


def count_today(
    rows: Iterable[tuple[int | None, OutboxStatus, datetime | None]], days: Mapping[int, tuple[datetime, datetime]]
) -> dict[int, int]:
    """How many capped messages each person of ``days`` (her local day, as a UTC interval) has had today,
    from rows of ``(person_id, status, sent_at)``: those sent within her day, and those claimed and on their
    way (they go out today)."""
    counts = dict.fromkeys(days, 0)
    for person_id, status, sent_at in rows:
        if person_id is None or person_id not in days:
            continue  # not one of the people asked about
        start, end = days[person_id]
        if status is OutboxStatus.CLAIMED or (
            status in SENT_STATUSES and sent_at is not None and start <= sent_at < end
        ):
            counts[person_id] += 1
    return counts


def next_attempt(
    outcome: SendOutcome, attempts: int, retry_after: float | None, now: datetime, policy: DispatchPolicy
) -> datetime | None:
    """When to try again a message that did not go out after ``attempts`` attempts, or None when it has
    failed for good. Throttling waits as long as the platform asked; otherwise the wait doubles each time."""
    if outcome not in (SendOutcome.THROTTLED, SendOutcome.UNREACHABLE) or attempts >= policy.max_attempts:
        return None
    wait = timedelta(seconds=retry_after) if retry_after else None
    return now + (wait or policy.first_retry * 2 ** (attempts - 1))


def as_template(payload: Mapping[str, Any]) -> bool:
    """Whether the row must go as a template (it was refused as free text before)."""
    return bool(payload.get(AS_TEMPLATE))


def again_as_template(kind: str, payload: Mapping[str, Any], window_closed: bool) -> bool:
    """A message the bot started that the platform refused because her window for free text had closed is
    queued once more, as a template; a reply, or a message already sent as a template, is not."""
    return window_closed and kind in STARTED_KINDS and not as_template(payload)
