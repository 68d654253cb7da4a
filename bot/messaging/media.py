"""A note's file passed on between channels: when the channel a message goes to cannot send the file's
reference as it is, the dispatcher fetches the bytes from the channel the file belongs to."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from bot.core.channel import Channel
from bot.messaging.channel import (
    ChannelAdapter,
    MediaFetchError,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
)

log = logging.getLogger(__name__)


async def with_media(
    adapters: Mapping[Channel, ChannelAdapter], channel: Channel, context: SendContext | None, message: OutboundMessage
) -> tuple[SendContext | None, SendResult | None]:
    """The send context with the bytes of the message's media when the target channel cannot send the
    reference as it is (the target adapter's ``sends_media_from``: WhatsApp sends only files uploaded to
    it, Telegram only its own file ids). The bytes come from the adapter of the channel the reference
    belongs to (unknown in old rows: the target's own). Nothing is sent yet, so a fetch that may work later
    (or an adapter this worker lacks) is an ``UNREACHABLE`` result, retried like any other; a file that is
    gone fails the row with its reason."""
    if message.media_kind is None or message.media_ref is None:
        return context, None
    source = message.media_channel or channel.value
    known = source in {c.value for c in Channel}
    sends = getattr(adapters[channel], "sends_media_from", None)
    as_is = sends(Channel(source)) if sends is not None and known else source == channel.value
    if as_is:
        return context, None
    adapter = adapters.get(Channel(source)) if source in {c.value for c in Channel} else None
    fetch = getattr(adapter, "fetch_media", None)
    if fetch is None:
        error = f"the note's file is on {source}, which this worker cannot read"
        return context, SendResult(SendOutcome.UNREACHABLE, error=error)
    try:
        media: MediaFile = await fetch(message.media_ref, message.media_kind)
    except MediaFetchError as exc:
        error = f"the note's file could not be fetched from {source}: {exc.reason}"
        outcome = SendOutcome.FAILED if exc.permanent else SendOutcome.UNREACHABLE
        return context, SendResult(outcome, error=error)
    except Exception as exc:  # an adapter bug: fetching is only reading, so trying again is safe
        log.warning("fetching media on %s raised %s", source, type(exc).__name__)
        error = f"the note's file could not be fetched from {source} ({type(exc).__name__})"
        return context, SendResult(SendOutcome.UNREACHABLE, error=error)
    base = context or SendContext(kind="reply")
    return dataclasses.replace(base, media=media), None
