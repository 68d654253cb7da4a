"""Sending on WhatsApp, through pywa (authentication, the Graph API paths, errors): the parts of a message,
the files it needs uploaded first, and the template that stands for a message the bot starts outside the
24-hour window. A free-text message refused later for the window (status error 131047) is queued again with a
flag that makes it go as a template (``bot/messaging/receipts.py``). Also fetching a file she sent."""

from __future__ import annotations

import asyncio
import dataclasses
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError

from bot.channels.whatsapp.errors import WINDOW_CLOSED, outcome_of
from bot.channels.whatsapp.render import Translate, render
from bot.channels.whatsapp.templates import Templates, window_open
from bot.core.clock import Clock
from bot.messaging.channel import (
    STARTED_KINDS,
    MediaFetchError,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
)


@dataclasses.dataclass
class Sender:
    """The Graph API calls of one phone number, with the token kept out of every error text."""

    client: WhatsApp
    phone_number_id: str
    clock: Clock
    templates: Templates
    translate: Translate | None
    secret: str = dataclasses.field(repr=False)
    # recipient -> her last_inbound_at when a template already went to her for that closed window
    _templated: dict[str, datetime | None] = dataclasses.field(default_factory=dict)

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        """Send ``message``, or the template that stands for it when she has not written for 24 hours and the
        bot starts this message (``context.kind``), or when WhatsApp refused it as free text before."""
        started = context is not None and context.kind in STARTED_KINDS
        if context is not None and started and (context.as_template or not window_open(context, self.clock.now())):
            return await self._send_template(external_id, context)
        media: str | None = None
        if message.media_ref is not None and (context is None or context.media is None):
            # WhatsApp sends only files uploaded to it; the dispatcher fetches the bytes beforehand.
            return SendResult(SendOutcome.FAILED, error="the note's file was not fetched before sending")
        try:
            message, document = await self._upload_files(message)
            if context is not None and context.media is not None and message.media_kind is not None:
                file = context.media
                media = await self._upload(file.data, file.mime_type, file.filename)
        except Exception as exc:  # the upload failed: nothing was sent yet
            return outcome_of(exc, self.secret)
        parts = render(message, self.translate, document, media)
        last_id: str | None = None
        for number, (kind, body) in enumerate(parts):
            try:
                last_id = await self._post(external_id, kind, body)
            except Exception as exc:
                result = outcome_of(exc, self.secret)
                refused = isinstance(exc, WhatsAppError) and exc.code == WINDOW_CLOSED
                if number == 0 and context is not None and started and refused:
                    return await self._send_template(external_id, context)
                if number == 0:
                    return result
                return SendResult(SendOutcome.FAILED, error=f"{result.error} (after {number} of {len(parts)} parts)")
        return SendResult(SendOutcome.SENT, provider_message_id=last_id)

    async def _send_template(self, external_id: str, context: SendContext) -> SendResult:
        if external_id in self._templated and self._templated[external_id] == context.last_inbound_at:
            # One template opens the window; the rest of the same closed-window turn would say it again.
            return SendResult(SendOutcome.FAILED, error="outside the 24-hour window; a template was sent already")
        template = self.templates.message(context.kind, context)
        if template is None:
            return SendResult(
                SendOutcome.FAILED, error=f"outside the 24-hour window and no template for {context.kind}"
            )
        try:
            wamid = await self._post(external_id, *template)
        except Exception as exc:
            return outcome_of(exc, self.secret)
        self._templated[external_id] = context.last_inbound_at
        if len(self._templated) > 10_000:
            self._templated.clear()
        return SendResult(SendOutcome.SENT, provider_message_id=wamid)

    async def _upload_files(self, message: OutboundMessage) -> tuple[OutboundMessage, str | None]:
        """WhatsApp sends a file by the id of an upload: a chart stored on this machine (``image_ref`` is its
        path) and a file made in memory (her data export, ``document_text``) are uploaded first. The export
        goes as ``text/plain``: WhatsApp accepts no JSON documents, and a text file with its ``.json`` name
        opens on any phone. Returns the message with the image's media id, and the document's media id."""
        image = Path(message.image_ref) if message.image_ref and not message.image_ref.startswith("https://") else None
        if image is not None and image.is_absolute() and image.is_file():
            data = await asyncio.to_thread(image.read_bytes)
            message = dataclasses.replace(message, image_ref=await self._upload(data, "image/png", image.name))
        document: str | None = None
        file = message.document_file()
        if file is not None:  # her certificate is a PDF; the export a text file
            mime = "application/pdf" if file[0].endswith(".pdf") else "text/plain"
            document = await self._upload(file[1], mime, file[0])
        return message, document

    async def _upload(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file to this number; returns its media id."""
        uploaded = await self.client.api.upload_media(
            phone_id=self.phone_number_id, media=data, mime_type=mime_type, filename=filename
        )
        return str(uploaded["id"])

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """The bytes of a file she sent, by its media id: the Graph API gives a short-lived URL, downloaded
        with the access token. Raises ``MediaFetchError``; its reason never holds the URL or the token."""
        try:
            info = await self.client.api.get_media_url(ref)
            async with self.client.api.stream_media_bytes(media_url=str(info["url"])) as answer:
                if answer.status_code >= 400:
                    permanent = answer.status_code not in (408, 429) and answer.status_code < 500
                    raise MediaFetchError(f"download answered {answer.status_code}", permanent=permanent)
                data = await answer.aread()
        except MediaFetchError:
            raise
        except WhatsAppError as exc:
            result = outcome_of(exc, self.secret)
            permanent = result.outcome is SendOutcome.FAILED
            raise MediaFetchError(f"whatsapp {exc.code}", permanent=permanent) from None
        except (httpx.TransportError, KeyError, ValueError) as exc:
            raise MediaFetchError(f"WhatsApp could not be reached ({type(exc).__name__})") from None
        mime_type = str(info.get("mime_type") or "").split(";")[0].strip() or "application/octet-stream"
        suffix = mimetypes.guess_extension(mime_type) or ""
        return MediaFile(data=data, mime_type=mime_type, filename=f"{kind}{suffix}")

    async def _post(self, external_id: str, kind: str, body: dict[str, Any]) -> str:
        answer = await self.client.api.send_message(
            sender=self.phone_number_id,
            to=external_id,
            recipient=None,
            recipient_type="individual",
            typ=kind,
            msg=body,
        )
        return str(answer["messages"][0]["id"])
