"""The simulator channel: a phone that lives in this process. ``trampoline chat`` and the web simulator
(``bot/web/simulator.py``) type into it; what the bot sends lands in its transcript and goes to listeners.
It has the same shape as the platform adapters, so the inbox, engine and outbox run exactly as they do for
real."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import EventKind, InboundEvent, OutboundMessage, SendContext, SendOutcome, SendResult

Listener = Callable[[str, OutboundMessage], None]


@dataclass
class SimulatorChannel:
    clock: Clock
    name: Channel = Channel.SIMULATOR
    transcripts: dict[str, list[OutboundMessage]] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)

    def sends_media_from(self, channel: Channel) -> bool:
        """The simulator records what it is asked to send: any reference will do."""
        return True

    def text(self, external_id: str, text: str, language_hint: str | None = None) -> InboundEvent:
        return self._event(external_id, EventKind.TEXT, text=text, language_hint=language_hint)

    def press(self, external_id: str, button_id: str) -> InboundEvent:
        return self._event(external_id, EventKind.CHOICE, choice=button_id)

    def choose(self, external_id: str, button_ids: tuple[str, ...]) -> InboundEvent:
        """A multiple-choice answer: the marked buttons, confirmed at once."""
        return replace(self._event(external_id, EventKind.CHOICES), choices=button_ids)

    def media(self, external_id: str, kind: str, ref: str) -> InboundEvent:
        return self._event(external_id, EventKind.MEDIA, media_kind=kind, media_ref=ref)

    def _event(self, external_id: str, kind: EventKind, **details: str | None) -> InboundEvent:
        return InboundEvent(
            channel=Channel.SIMULATOR,
            external_id=external_id,
            dedupe_key=f"simulator:{uuid.uuid4().hex}",
            kind=kind,
            received_at=self.clock.now(),
            text=details.get("text"),
            choice=details.get("choice"),
            media_kind=details.get("media_kind"),
            media_ref=details.get("media_ref"),
            language_hint=details.get("language_hint"),
        )

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        self.transcripts.setdefault(external_id, []).append(message)
        for listener in self.listeners:
            listener(external_id, message)
        return SendResult(SendOutcome.SENT, provider_message_id=f"sim-{uuid.uuid4().hex[:12]}")
