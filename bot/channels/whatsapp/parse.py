"""What a WhatsApp webhook body says: ``InboundEvent``s and ``DeliveryStatus``es. Pure.

The body is read here rather than by pywa's update classes: those take only the first message of each
change and need pywa's own web server; the Meta payload is small and documented
(docs/decisions/0005-whatsapp.md).
"""

from __future__ import annotations

from typing import Any

from bot.channels.errors import short
from bot.channels.whatsapp.errors import WINDOW_CLOSED
from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import DeliveryStatus, EventKind, InboundEvent


def receive(
    payload: dict[str, Any], phone_number_id: str, clock: Clock
) -> tuple[list[InboundEvent], list[DeliveryStatus]]:
    """A webhook body, signature checked and parsed from JSON. Raises ``ValueError`` when it is not a
    WhatsApp Business webhook. Changes for another phone number of the same app are left alone."""
    if payload.get("object") != "whatsapp_business_account" or not isinstance(payload.get("entry"), list):
        raise ValueError("not a WhatsApp webhook")
    events: list[InboundEvent] = []
    statuses: list[DeliveryStatus] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise ValueError("not a WhatsApp webhook")
        for change in entry.get("changes", []):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            metadata = value.get("metadata") or {}
            if str(metadata.get("phone_number_id", phone_number_id)) != phone_number_id:
                continue
            for message in value.get("messages") or []:
                event = message_event(message, clock)
                if event is not None:
                    events.append(event)
            for status in value.get("statuses") or []:
                parsed = status_of(status)
                if parsed is not None:
                    statuses.append(parsed)
    return events, statuses


def message_event(message: Any, clock: Clock) -> InboundEvent | None:
    if not isinstance(message, dict):
        raise ValueError("not a WhatsApp message")
    wamid, sender, kind = message.get("id"), message.get("from"), message.get("type")
    if not isinstance(wamid, str) or not isinstance(sender, str) or not wamid or not sender:
        raise ValueError("not a WhatsApp message")

    def event(event_kind: EventKind, **details: Any) -> InboundEvent:
        return InboundEvent(
            channel=Channel.WHATSAPP,
            external_id=sender,
            dedupe_key=f"whatsapp:{wamid}",
            kind=event_kind,
            received_at=clock.now(),
            typed_choices=True,  # a multiple choice is a numbered menu (render.py): she types the numbers
            **details,
        )

    if kind == "text":
        return event(EventKind.TEXT, text=str((message.get("text") or {}).get("body", "")))
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get(interactive.get("type")) if interactive.get("type") else None
        if interactive.get("type") in ("button_reply", "list_reply") and isinstance(reply, dict):
            return event(EventKind.CHOICE, choice=str(reply.get("id", "")))
        return event(EventKind.TEXT, text="")
    if kind == "button":  # a quick-reply button of a template: what it says
        return event(EventKind.TEXT, text=str((message.get("button") or {}).get("text", "")))
    if kind in ("audio", "voice", "image"):
        media = message.get(kind) or {}
        media_kind = "photo" if kind == "image" else ("voice" if kind == "voice" or media.get("voice") else "audio")
        return event(EventKind.MEDIA, media_kind=media_kind, media_ref=str(media.get("id", "")))
    if kind in ("reaction", "system", "ephemeral", "request_welcome"):
        return None  # nothing she said to the bot
    # A sticker, video, document, location, contact or unsupported message: an empty text, so she is
    # told what the bot can read.
    return event(EventKind.TEXT, text="")


def status_of(status: Any) -> DeliveryStatus | None:
    if not isinstance(status, dict) or not isinstance(status.get("id"), str):
        raise ValueError("not a WhatsApp status")
    state = status.get("status")
    if state not in ("sent", "delivered", "read", "failed"):
        return None
    errors = status.get("errors") or []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code")
    error = short(f"whatsapp {code}: {first.get('title', '')}") if state == "failed" else None
    return DeliveryStatus(
        provider_message_id=status["id"],
        status=state,
        error=error,
        window_closed=state == "failed" and str(code) == str(WINDOW_CLOSED),
    )
