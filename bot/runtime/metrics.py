"""/metrics in the Prometheus text format, for whoever keeps the service running.

Most figures come from the database, so they are the same whichever worker is scraped and survive a
restart: inbound events by channel and outcome, outbox messages by channel and status, the dispatcher's lag
(how long the oldest due message has been waiting), the queue of due messages, and errors by channel
(events that failed, messages that could not be sent). A few come from this process: its inbox's queue and
committed groups. And, from the catalogs loaded at start, the share of each language's texts that a native
speaker has reviewed. No label ever holds a person, a text or a number.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.db.engine import Database
from bot.db.models import InboundEvent, OutboxMessage, OutboxStatus
from bot.runtime.inbox import Inbox


@dataclass(frozen=True)
class Sample:
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # counter or gauge
    help: str
    samples: tuple[Sample, ...]

    def lines(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for sample in self.samples:
            labels = ",".join(f'{key}="{_escape(value)}"' for key, value in sample.labels)
            yield (
                f"{self.name}{{{labels}}} {_number(sample.value)}" if labels else f"{self.name} {_number(sample.value)}"
            )


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
        families = [*self._process()]
        try:
            families += await self._database()
            up = 1.0
        except Exception:  # the database is away: say so, and still answer
            up = 0.0
        families.append(
            Family("trampoline_database_up", "gauge", "1 when the database answered this scrape.", (Sample((), up),))
        )
        return "\n".join(line for family in families for line in family.lines()) + "\n"

    def _process(self) -> list[Family]:
        families = [
            Family(
                "trampoline_process_start_time_seconds",
                "gauge",
                "When this process started, in seconds since the epoch.",
                (Sample((), self.started),),
            )
        ]
        if self.reviewed:
            families.append(
                Family(
                    "trampoline_translations_reviewed_ratio",
                    "gauge",
                    "Share of a language's texts reviewed by a native speaker (trampoline i18n status).",
                    tuple(Sample((("locale", locale),), ratio) for locale, ratio in sorted(self.reviewed.items())),
                )
            )
        if self.inbox is not None:
            families += [
                Family(
                    "trampoline_inbox_queue_depth",
                    "gauge",
                    "Events this process has received and not yet committed.",
                    (Sample((), float(self.inbox.queued)),),
                ),
                Family(
                    "trampoline_inbox_groups_committed_total",
                    "counter",
                    "Inbox transactions (groups of events) this process has committed.",
                    (Sample((), float(self.inbox.groups_committed)),),
                ),
            ]
        return families

    async def _database(self) -> list[Family]:
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
        errors: dict[str, float] = {channel.value: 0.0 for channel in Channel}
        for channel, outcome, count in inbound:
            if outcome == "failed":
                errors[_value(channel)] += count
        for channel, status, count in outbound:
            if _value(status) == OutboxStatus.FAILED.value:
                errors[_value(channel)] += count
        return [
            Family(
                "trampoline_inbound_events_total",
                "counter",
                "Platform events taken in, by channel and outcome (processed or failed).",
                tuple(
                    Sample((("channel", _value(channel)), ("outcome", str(outcome))), float(count))
                    for channel, outcome, count in sorted(inbound, key=lambda r: (_value(r[0]), str(r[1])))
                ),
            ),
            Family(
                "trampoline_outbound_messages",
                "gauge",
                "Outbox messages by channel and status.",
                tuple(
                    Sample((("channel", _value(channel)), ("status", _value(status))), float(count))
                    for channel, status, count in sorted(outbound, key=lambda r: (_value(r[0]), _value(r[1])))
                ),
            ),
            Family(
                "trampoline_dispatcher_lag_seconds",
                "gauge",
                "How long the oldest due outbox message has been waiting to be sent (0 when none waits).",
                (Sample((), lag),),
            ),
            Family(
                "trampoline_outbox_queue_depth",
                "gauge",
                "Outbox messages due now and not yet sent.",
                (Sample((), float(depth or 0)),),
            ),
            Family(
                "trampoline_errors_total",
                "counter",
                "Failures by channel: inbound events that failed and outbox messages that could not be sent.",
                tuple(Sample((("channel", name),), value) for name, value in sorted(errors.items())),
            ),
        ]


def _value(item: object) -> str:
    return str(getattr(item, "value", item))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
