"""The shape every channel adapter shares (Telegram, WhatsApp, the simulator).

An adapter turns a platform payload into ``InboundEvent``s, turns a channel-neutral ``OutboundMessage`` into
platform calls within the platform's limits, sends it, and maps the platform's answer to one of a few
``SendOutcome``s. Nothing outside ``bot/channels`` imports a platform library or parses a platform's errors.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.channel import Channel

BASE64 = "base64"  # the third item of a payload's ``document``: its second is the file's bytes in base64


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
    # Declared by the adapter: her platform shows a multiple choice as a numbered menu that she answers by
    # typing the numbers ("1 3 5"), with no buttons to tick, so the engine says back what she chose.
    typed_choices: bool = False


def wrong_typed(event: InboundEvent) -> str | None:
    """The first field of ``event`` whose value is not of its declared type (a platform body with ``"text":
    1`` builds such an event), or None when every field is right. Checked before the event goes further."""
    for name in ("external_id", "dedupe_key"):
        if not isinstance(getattr(event, name), str):
            return name
    for name in ("text", "choice", "media_kind", "media_ref", "language_hint"):
        if getattr(event, name) is not None and not isinstance(getattr(event, name), str):
            return name
    if not isinstance(event.choices, tuple) or not all(isinstance(c, str) for c in event.choices):
        return "choices"
    for name in ("is_group", "typed_choices"):
        if not isinstance(getattr(event, name), bool):
            return name
    return None


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
    # A file sent after the text: its name and either its text content, UTF-8 (her data export), or its bytes
    # (her certificate, a PDF; base64 in the sealed payload).
    document_name: str | None = None
    document_text: str | None = None
    document_bytes: bytes | None = None
    # A voice note, audio or photo passed on as it came (a note for her coach): the platform's file reference,
    # and the channel that reference belongs to (None in payloads written before it was kept: unknown).
    media_kind: str | None = None
    media_ref: str | None = None
    media_channel: str | None = None

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
        if self.document_name is not None and self.document_text is not None:
            payload["document"] = [self.document_name, self.document_text]
        elif self.document_name is not None and self.document_bytes is not None:
            payload["document"] = [self.document_name, base64.b64encode(self.document_bytes).decode("ascii"), BASE64]
        if self.media_kind is not None and self.media_ref is not None:
            payload["media"] = [self.media_kind, self.media_ref]
            if self.media_channel is not None:
                payload["media"].append(self.media_channel)
        return payload

    def document_file(self) -> tuple[str, bytes] | None:
        """The file sent after the text, its name and its bytes (a text document in UTF-8), if there is one."""
        if self.document_name is None:
            return None
        if self.document_bytes is not None:
            return self.document_name, self.document_bytes
        if self.document_text is not None:
            return self.document_name, self.document_text.encode("utf-8")
        return None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutboundMessage:
        document = payload.get("document")
        return cls(
            text=payload["text"],
            locale=payload["locale"],
            buttons=tuple(Button(str(b[0]), str(b[1])) for b in payload.get("buttons", ())),
            multiple=bool(payload.get("multiple", False)),
            skippable=bool(payload.get("skippable", False)),
            right_to_left=bool(payload.get("rtl", False)),
            image_ref=payload.get("image"),
            confirm_label=payload.get("confirm"),
            document_name=document[0] if document else None,
            document_text=document[1] if document and len(document) == 2 else None,
            document_bytes=base64.b64decode(document[1]) if document and document[2:] == [BASE64] else None,
            media_kind=payload["media"][0] if payload.get("media") else None,
            media_ref=payload["media"][1] if payload.get("media") else None,
            media_channel=payload["media"][2] if len(payload.get("media") or ()) > 2 else None,
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


# Outbox kinds of messages the bot starts on its own (not answers to her): outside WhatsApp's 24-hour window
# these go as templates.
STARTED_KINDS = frozenset({"nudge", "reminder", "alert", "summary"})


@dataclass(frozen=True)
class SendContext:
    """What the dispatcher knows about an outbox row beyond its message, for adapters whose platform cares
    (WhatsApp: a message the bot starts outside the 24-hour window must go as a template)."""

    kind: str  # the outbox row's kind: reply, nudge, reminder, alert, ...
    last_inbound_at: datetime | None = None  # her last message on this identity
    locale: str | None = None
    second_locales: tuple[str, ...] = ()  # other languages she speaks, from her profile
    name: str | None = None  # her display name, for a template's parameters
    as_template: bool = False  # the platform refused it as free text before: send it as a template
    # The bytes of the message's media (a note for her coach), fetched from the channel it came from when
    # the target channel cannot send that channel's reference. Held in memory only, never stored.
    media: MediaFile | None = None


@dataclass(frozen=True)
class MediaFile:
    """A media file's content, fetched from its platform by the dispatcher, in memory only."""

    data: bytes = field(repr=False)
    mime_type: str  # without parameters: audio/ogg, image/jpeg, ...
    filename: str


class MediaFetchError(Exception):
    """A media file could not be fetched from its platform. ``reason`` is short and holds no URL or token;
    ``permanent``: trying again will not help (the file is gone or refused), else it may."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class DeliveryStatus:
    """What a platform later says about a message it accepted (WhatsApp's statuses)."""

    provider_message_id: str
    status: str  # sent, delivered, read, failed
    error: str | None = None
    window_closed: bool = False  # failed because the 24-hour window was closed: retry as a template


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show in one message, declared by its adapter (``capabilities``). None: no limit.
    Lengths count the platform's own units (Telegram counts UTF-16 code units)."""

    text_length: int | None  # the longest text of one message
    caption_length: int | None  # the longest text under an image
    buttons: int | None  # reply buttons on one message; more choices need a list or a numbered menu
    button_label: int | None  # the longest label a reply button shows
    list_rows: int = 0  # choices a list picker holds (0: the platform has none)
    list_label: int | None = None  # the longest label of a list row
    multi_select: bool = False  # buttons she can mark, several, then confirm
    media_kinds: frozenset[str] = frozenset()  # what it sends as a file: voice, audio, photo, document
    # A message the bot started may come back to be sent again another way (WhatsApp: as a template when the
    # platform says later that her 24-hour window was closed): its sealed text is kept until a receipt.
    resends_started: bool = False


class ChannelAdapter(Protocol):
    """What the dispatcher sends through. Two methods are optional, for notes passed on between channels
    (``bot.messaging.media.with_media``): ``fetch_media(ref, kind) -> MediaFile``, the bytes of a file the
    adapter received, by its own reference (raises ``MediaFetchError``); and ``sends_media_from(channel) -> bool``,
    whether it can send a reference of that channel as it is (else the dispatcher fetches the bytes and
    hands them over in ``SendContext.media``). Without the latter, only its own channel's references."""

    name: Channel

    async def send(
        self, external_id: str, message: OutboundMessage, context: SendContext | None = None
    ) -> SendResult: ...


def split_text(text: str, limit: int, units: Callable[[str], int] = lambda _: 1) -> list[str]:
    """``text`` in pieces of at most ``limit`` units (``units(char)``: 1 a character by default; Telegram
    counts UTF-16 units), cut at the last paragraph break that keeps a piece at least half full, else at a
    line break, else at a space, else where it must."""

    def fitting(part: str) -> int:
        used = 0
        for index, char in enumerate(part):
            used += units(char)
            if used > limit:
                return index
        return len(part)

    pieces: list[str] = []
    rest = text
    while (fits := fitting(rest)) < len(rest):
        window = rest[:fits]
        cut, skip = fits, 0
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at >= fits // 2:
                cut, skip = at, len(separator)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut + skip :].lstrip("\n")
    pieces.append(rest)
    return pieces
