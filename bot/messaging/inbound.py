"""Hostile or careless input, handled before the engine sees it.

``clean_event``: inbound text is cut at ``MAX_INBOUND_TEXT`` characters and its control characters and bidi
overrides are neutralised (a right-to-left override could make a note read differently to her coach), before
anything stores it. ``FloodGate``: a per-person rate limit (keyed by her platform account); a flood is
answered once with a kind line, then ignored until it calms. Its state is small and bounded: one token bucket
per account, at most ``MAX_TRACKED`` of them (the least recently seen are forgotten first; forgetting one
only forgives her). It is per process: with several workers each keeps its own (a flood is still limited).
"""

from __future__ import annotations

import dataclasses
import enum
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime

from bot.core.channel import Channel
from bot.messaging.channel import InboundEvent

MAX_INBOUND_TEXT = 4096  # what Telegram and WhatsApp allow in one message
KEEP_FORMAT = "\u200c\u200d"  # ZWNJ and ZWJ: Persian and Indic scripts need them
FLOOD_BURST = 30  # messages (and button presses) she may send at once: a long multiple choice is many presses
FLOOD_REFILL_SECONDS = 2.0  # one more allowed every this many seconds
# The local simulator (``trampoline chat``, the web simulator) is a developer's own terminal: a piped script
# sends a whole conversation at once, so it is not limited.
EXEMPT = frozenset({Channel.SIMULATOR})
MAX_TRACKED = 10_000


def neutralise(text: str, limit: int = MAX_INBOUND_TEXT) -> str:
    """``text`` cut at ``limit``, with control characters (but line breaks and tabs) made spaces and
    invisible format characters (bidi overrides and isolates, zero-width spaces) removed."""
    kept = []
    for char in text[: limit * 2]:
        category = unicodedata.category(char)
        if category == "Cf" and char not in KEEP_FORMAT:
            continue
        if category in ("Cc", "Zl", "Zp", "Cs", "Co") and char not in "\n\t":
            kept.append(" ")
            continue
        kept.append(char)
    return "".join(kept)[:limit]


def clean_event(event: InboundEvent) -> InboundEvent:
    """The event with its text (and its button ids) neutralised and cut."""
    changes: dict[str, object] = {}
    if event.text is not None:
        cleaned = neutralise(event.text)
        if cleaned != event.text:
            changes["text"] = cleaned
    if event.choice is not None and len(event.choice) > 64:
        changes["choice"] = event.choice[:64]
    if len(event.choices) > 64:
        changes["choices"] = event.choices[:64]
    return dataclasses.replace(event, **changes) if changes else event  # type: ignore[arg-type]


class Verdict(enum.StrEnum):
    OK = "ok"
    WARN = "warn"  # the first message over the limit: answer once, kindly
    IGNORE = "ignore"  # still flooding: drop silently


@dataclasses.dataclass
class _Bucket:
    tokens: float
    at: datetime
    warned: bool = False


class FloodGate:
    def __init__(
        self,
        burst: int = FLOOD_BURST,
        refill_seconds: float = FLOOD_REFILL_SECONDS,
        max_tracked: int = MAX_TRACKED,
        exempt: frozenset[Channel] = EXEMPT,
    ) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.max_tracked = max_tracked
        self.exempt = exempt
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check_event(self, event: InboundEvent, now: datetime) -> Verdict:
        """The verdict for one inbound event, keyed by the platform account it came from."""
        if event.channel in self.exempt:
            return Verdict.OK
        return self.check((event.channel.value, event.external_id), now)

    def check(self, key: Hashable, now: datetime) -> Verdict:
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), at=now)
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed / self.refill_seconds)
        bucket.at = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_tracked:
            self._buckets.popitem(last=False)
        if bucket.warned:
            if bucket.tokens < self.burst / 2:
                return Verdict.IGNORE
            bucket.warned = False  # she calmed down
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.OK
        bucket.warned = True
        return Verdict.WARN
