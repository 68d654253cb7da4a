"""/metrics in the Prometheus text format, for whoever keeps the service running.

Most figures come from the database, so they are the same whichever worker is scraped and survive a
restart: inbound events by channel and outcome, outbox messages by channel and status, the dispatcher's lag
(how long the oldest due message has been waiting), the queue of due messages, and errors by channel
(events that failed, messages that could not be sent). A few come from this process: its inbox's queue and
committed groups. And, from the catalogs loaded at start, the share of each language's texts that a native
speaker has reviewed. No label ever holds a person, a text or a number.

The counts are read from the database first (asynchronously); then a collector of prometheus_client turns
them into metric families on a registry of this scrape alone (never the library's global one), and
``generate_latest`` writes the text.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.db.engine import Database
from bot.db.models import InboundEvent, OutboxMessage, OutboxStatus
from bot.runtime.inbox import Inbox


@dataclass(frozen=True)
class Counts:
    """What the database said at this scrape."""

    inbound: list[tuple[str, str, int]]  # channel, outcome, events
    outbound: list[tuple[str, str, int]]  # channel, status, messages
    lag: float  # seconds the oldest due message has waited
    depth: int  # messages due now and not yet sent
    errors: dict[str, float]  # channel -> failed events and messages


class Metrics:
    def __init__(
        self, db: Database, clock: Clock, inbox: Inbox | None = None, reviewed: Mapping[str, float] | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.inbox = inbox
        self.reviewed = dict(reviewed or {})  # locale -> share of its texts reviewed by a native speaker
        self.started = time.time()

    async def render(self) -> str:
        try:
            counts: Counts | None = await self._counts()
        except Exception:  # the database is away: say so, and still answer
            counts = None
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Figures(self, counts))
        return generate_latest(registry).decode("utf-8")

    async def _counts(self) -> Counts:
        now = self.clock.now()
        async with self.db.reading() as session:
            inbound = (
                await session.execute(
                    select(InboundEvent.channel, InboundEvent.outcome, func.count()).group_by(
                        InboundEvent.channel, InboundEvent.outcome
                    )
                )
            ).all()
            outbound = (
                await session.execute(
                    select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
                        OutboxMessage.channel, OutboxMessage.status
                    )
                )
            ).all()
            due = OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now
            oldest_due = await session.scalar(select(func.min(OutboxMessage.due_at)).where(*due))
            depth = await session.scalar(select(func.count()).select_from(OutboxMessage).where(*due))
        lag = 0.0
        if oldest_due is not None:
            if oldest_due.tzinfo is None:  # SQLite hands times back without their zone; they are UTC
                oldest_due = oldest_due.replace(tzinfo=now.tzinfo)
            lag = max((now - oldest_due).total_seconds(), 0.0)
        inbound_rows = sorted((_value(channel), str(outcome), int(n)) for channel, outcome, n in inbound)
        outbound_rows = sorted((_value(channel), _value(status), int(n)) for channel, status, n in outbound)
        errors: dict[str, float] = {channel.value: 0.0 for channel in Channel}
        for channel, outcome, count in inbound_rows:
            if outcome == "failed":
                errors[channel] += count
        for channel, status, count in outbound_rows:
            if status == OutboxStatus.FAILED.value:
                errors[channel] += count
        return Counts(inbound_rows, outbound_rows, lag, int(depth or 0), errors)


class _Figures(Collector):
    """The metric families of one scrape: this process's, then the database's, then whether it answered."""

    def __init__(self, metrics: Metrics, counts: Counts | None) -> None:
        self.metrics = metrics
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        yield from self._process()
        if self.counts is not None:
            yield from _database(self.counts)
        yield GaugeMetricFamily(
            "trampoline_database_up",
            "1 when the database answered this scrape.",
            1.0 if self.counts is not None else 0.0,
        )

    def _process(self) -> Iterator[Metric]:
        metrics = self.metrics
        yield GaugeMetricFamily(
            "trampoline_process_start_time_seconds",
            "When this process started, in seconds since the epoch.",
            metrics.started,
        )
        if metrics.reviewed:
            yield _labelled(
                GaugeMetricFamily(
                    "trampoline_translations_reviewed_ratio",
                    "Share of a language's texts reviewed by a native speaker (trampoline i18n status).",
                    labels=["locale"],
                ),
                (([locale], ratio) for locale, ratio in sorted(metrics.reviewed.items())),
            )
        if metrics.inbox is not None:
            yield GaugeMetricFamily(
                "trampoline_inbox_queue_depth",
                "Events this process has received and not yet committed.",
                float(metrics.inbox.queued),
            )
            yield CounterMetricFamily(
                "trampoline_inbox_groups_committed_total",
                "Inbox transactions (groups of events) this process has committed.",
                float(metrics.inbox.groups_committed),
            )


def _labelled(family: GaugeMetricFamily | CounterMetricFamily, samples: Iterable[tuple[list[str], float]]) -> Metric:
    """``family`` with one sample per (label values, value)."""
    for labels, value in samples:
        family.add_metric(labels, float(value))
    return family


def _database(counts: Counts) -> Iterator[Metric]:
    yield _labelled(
        CounterMetricFamily(
            "trampoline_inbound_events_total",
            "Platform events taken in, by channel and outcome (processed or failed).",
            labels=["channel", "outcome"],
        ),
        (([channel, outcome], count) for channel, outcome, count in counts.inbound),
    )
    yield _labelled(
        GaugeMetricFamily(
            "trampoline_outbound_messages", "Outbox messages by channel and status.", labels=["channel", "status"]
        ),
        (([channel, status], count) for channel, status, count in counts.outbound),
    )
    yield GaugeMetricFamily(
        "trampoline_dispatcher_lag_seconds",
        "How long the oldest due outbox message has been waiting to be sent (0 when none waits).",
        counts.lag,
    )
    yield GaugeMetricFamily(
        "trampoline_outbox_queue_depth", "Outbox messages due now and not yet sent.", float(counts.depth)
    )
    yield _labelled(
        CounterMetricFamily(
            "trampoline_errors_total",
            "Failures by channel: inbound events that failed and outbox messages that could not be sent.",
            labels=["channel"],
        ),
        (([name], value) for name, value in sorted(counts.errors.items())),
    )


def _value(item: object) -> str:
    return str(getattr(item, "value", item))
