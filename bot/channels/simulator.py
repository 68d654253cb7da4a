"""The simulator channel: a phone that lives in this process. ``trampoline chat`` and the web simulator
(``bot/web/simulator.py``) type into it; what the bot sends lands in its transcript and goes to listeners.
It has the same shape as the platform adapters, so the inbox, engine and outbox run exactly as they do for
real."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import (
    Capabilities,
    EventKind,
    InboundEvent,
    MediaFetchError,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
)

Listener = Callable[[str, OutboundMessage], None]
Say = Callable[[str, str], str]  # (text id of conversations/_texts.yaml, locale) -> the text in that locale

# The voice notes simulated phones sent, kept in memory for the bot to pass on (the newest ones only).
KEPT_FILES = 200
# What the simulator shows around a message when no texts were handed in (tests that build it alone).
_FALLBACK_TEXTS = {"multiple_hint": "Tick one or more, then press “Done”."}

# It shows a message as the conversation means it: no length or button limits, marks for a multiple choice.
CAPABILITIES = Capabilities(
    text_length=None,
    caption_length=None,
    buttons=None,
    button_label=None,
    multi_select=True,
    media_kinds=frozenset({"voice", "audio", "photo", "document"}),
)


def contact(external_id: str) -> str:
    """How someone else reaches a simulated phone: its id, as the simulator shows it."""
    return external_id


@dataclass
class SimulatorChannel:
    clock: Clock
    name: Channel = Channel.SIMULATOR
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    transcripts: dict[str, list[OutboundMessage]] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    say: Say | None = None  # the texts a phone shows around a message (the multiple-choice hint), in its language
    files: OrderedDict[str, MediaFile] = field(default_factory=OrderedDict)  # voice notes received, by reference

    def text_for(self, text_id: str, locale: str) -> str:
        if self.say is not None:
            return self.say(text_id, locale)
        return _FALLBACK_TEXTS.get(text_id, text_id)

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

    def voice_note(self, external_id: str, data: bytes, mime_type: str) -> InboundEvent:
        """A voice note recorded or picked on a simulated phone: kept in memory under a reference of its own,
        it arrives as a Telegram voice note does (kind MEDIA, ``media_kind`` voice)."""
        ref = f"simulator-voice-{uuid.uuid4().hex}"
        suffix = {"audio/ogg": ".ogg", "audio/webm": ".webm", "audio/mpeg": ".mp3", "audio/wav": ".wav"}
        self.files[ref] = MediaFile(data=data, mime_type=mime_type, filename=f"voice{suffix.get(mime_type, '')}")
        while len(self.files) > KEPT_FILES:
            self.files.popitem(last=False)
        return self.media(external_id, "voice", ref)

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """A voice note a simulated phone sent, by its reference (to pass it on to a coach elsewhere)."""
        found = self.files.get(ref)
        if found is None:
            raise MediaFetchError("the simulator no longer has this file", permanent=True)
        return found

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
