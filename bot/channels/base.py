"""The shape every channel adapter shares (Telegram, WhatsApp, the simulator).

An adapter turns a platform payload into ``InboundEvent``s, turns a channel-neutral ``OutboundMessage`` into
platform calls within the platform's limits, sends it, and maps the platform's answer to one of a few
``SendOutcome``s. Nothing outside ``bot/channels`` imports a platform library or parses a platform's errors.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.db.models import Channel


class EventKind(enum.StrEnum):
    TEXT = "text"  # typed text, including commands
    CHOICE = "choice"  # a button press: ``choice`` holds the opaque button id
    CHOICES = "choices"  # a multiple-choice answer confirmed at once: ``choices`` holds the button ids
    MEDIA = "media"  # a voice note, audio, photo: ``media_kind`` and ``media_ref``


@dataclass(frozen=True)
class InboundEvent:
    """One thing a person did on a platform, normalised. ``dedupe_key`` is unique per platform event."""

    channel: Channel
    external_id: str  # the platform's id of the person (Telegram user id, WhatsApp number)
    dedupe_key: str
    kind: EventKind
    received_at: datetime
    text: str | None = None
    choice: str | None = None
    choices: tuple[str, ...] = ()
    media_kind: str | None = None  # voice, audio, photo
    media_ref: str | None = None  # the platform's file id; encrypted before it is stored
    language_hint: str | None = None  # the platform's idea of her language (Telegram language_code)
    # Written in a group chat: the bot only answers (once, politely) that it works in private chats, and
    # ``external_id`` is then the group's id, where that answer goes.
    is_group: bool = False


@dataclass(frozen=True)
class Button:
    id: str  # opaque, short (Telegram callback data is at most 64 bytes)
    label: str


@dataclass(frozen=True)
class OutboundMessage:
    """A message as the conversation means it; the adapter decides how it looks on its platform."""

    text: str
    locale: str
    buttons: tuple[Button, ...] = ()
    multiple: bool = False  # several buttons may be chosen, then confirmed
    skippable: bool = False  # the question may be skipped (the skip button is among ``buttons``)
    right_to_left: bool = False
    image_ref: str | None = None
    confirm_label: str | None = None  # the button that confirms a multiple choice ("Done", in her language)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text, "locale": self.locale}
        if self.buttons:
            payload["buttons"] = [[b.id, b.label] for b in self.buttons]
        if self.multiple:
            payload["multiple"] = True
        if self.skippable:
            payload["skippable"] = True
        if self.right_to_left:
            payload["rtl"] = True
        if self.image_ref:
            payload["image"] = self.image_ref
        if self.confirm_label:
            payload["confirm"] = self.confirm_label
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutboundMessage:
        return cls(
            text=payload["text"],
            locale=payload["locale"],
            buttons=tuple(Button(str(b[0]), str(b[1])) for b in payload.get("buttons", ())),
            multiple=bool(payload.get("multiple", False)),
            skippable=bool(payload.get("skippable", False)),
            right_to_left=bool(payload.get("rtl", False)),
            image_ref=payload.get("image"),
            confirm_label=payload.get("confirm"),
        )


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    THROTTLED = "throttled"  # retry after ``retry_after`` seconds
    STOPPED = "stopped"  # the person blocked the bot or is gone: stop messaging this identity
    FAILED = "failed"  # a permanent failure; ``error`` says why
    UNCERTAIN = "uncertain"  # the request may have reached the platform: never resend blindly
    UNREACHABLE = "unreachable"  # the platform could not be reached; safe to retry


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    provider_message_id: str | None = None
    retry_after: float | None = None
    error: str | None = None


class ChannelAdapter(Protocol):
    name: Channel

    async def send(self, external_id: str, message: OutboundMessage) -> SendResult: ...
