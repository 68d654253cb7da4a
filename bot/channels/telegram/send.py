"""Sending on Telegram: the parts of a message, her data export, a note passed on; and fetching a file she
sent. Only the outbox dispatcher sends, through ``TelegramChannel.send``; the dispatcher also does the
retries, by the outcome each failure maps to (errors.py)."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from telegram import Bot, Message
from telegram.error import BadRequest, TelegramError

from bot.channels.errors import short
from bot.channels.telegram.errors import outcome_of
from bot.channels.telegram.render import markup, render
from bot.messaging.channel import MediaFetchError, MediaFile, OutboundMessage, SendContext, SendOutcome, SendResult


class Sender:
    """The Bot API calls that send, with the token kept out of every error text."""

    def __init__(self, bot: Bot, secret: str) -> None:
        self.bot = bot
        self._secret = secret

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None) -> SendResult:
        parts = render(message)
        last_id: int | None = None
        for number, part in enumerate(parts):
            try:
                if part.photo is not None:
                    sent = await self.bot.send_photo(
                        chat_id=external_id, photo=part.photo, caption=part.text, reply_markup=markup(part.keyboard)
                    )
                else:
                    sent = await self.bot.send_message(
                        chat_id=external_id, text=part.text or "", reply_markup=markup(part.keyboard)
                    )
            except TelegramError as exc:
                result = outcome_of(exc, self._secret)
                if number == 0 or result.outcome is SendOutcome.STOPPED:
                    return result
                # Part of it went out: sending it all again would repeat those parts.
                return SendResult(SendOutcome.FAILED, error=f"{result.error} (after {number} of {len(parts)} parts)")
            last_id = sent.message_id
        for what, extra in (("the file", self._document), ("the note", self._note)):
            try:
                sent_extra = await extra(external_id, message, context)
            except TelegramError as exc:
                return SendResult(SendOutcome.FAILED, error=f"{outcome_of(exc, self._secret).error} ({what})")
            if sent_extra is not None:
                last_id = sent_extra.message_id
        return SendResult(SendOutcome.SENT, provider_message_id=f"{external_id}:{last_id}")

    async def _document(self, external_id: str, message: OutboundMessage, _: SendContext | None) -> Message | None:
        """Her data export or her certificate: a file made in memory, never written to disk."""
        file = message.document_file()
        if file is None:
            return None
        return await self.bot.send_document(chat_id=external_id, document=file[1], filename=file[0])

    async def _note(self, external_id: str, message: OutboundMessage, context: SendContext | None) -> Message | None:
        """A note passed on to her coach: the file id Telegram gave us, sent again by the same bot, or the
        file's bytes when it came on another channel (fetched by the dispatcher, ``context.media``)."""
        if message.media_kind is None or message.media_ref is None:
            return None
        media = context.media if context is not None else None
        ref: str | bytes = media.data if media is not None else message.media_ref
        name = media.filename if media is not None else None
        kind = message.media_kind
        if kind == "voice":
            return await self.bot.send_voice(chat_id=external_id, voice=ref, filename=name)
        if kind == "audio":
            return await self.bot.send_audio(chat_id=external_id, audio=ref, filename=name)
        if kind == "photo":
            return await self.bot.send_photo(chat_id=external_id, photo=ref, filename=name)
        return await self.bot.send_document(chat_id=external_id, document=ref, filename=name)

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """The bytes of a file she sent, by its file id: ``getFile``, then a download from the file server
        (the local Bot API server's when one is configured). Raises ``MediaFetchError``; its reason never
        holds the file's URL, which holds the token."""
        try:
            file = await self.bot.get_file(ref)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            result = outcome_of(exc, self._secret)
            if result.outcome in (SendOutcome.FAILED, SendOutcome.STOPPED):
                reason = short(exc.message, self._secret) if isinstance(exc, BadRequest) else "Telegram refused it"
                raise MediaFetchError(reason, permanent=True) from None
            raise MediaFetchError("Telegram could not be reached") from None
        suffix = PurePosixPath(file.file_path or "").suffix.lower()
        if kind == "voice":
            mime_type, suffix = "audio/ogg", ".ogg"
        elif kind == "photo":
            mime_type, suffix = "image/jpeg", suffix or ".jpg"
        else:
            mime_type = mimetypes.guess_type(f"file{suffix}")[0] or "application/octet-stream"
        return MediaFile(data=data, mime_type=mime_type, filename=f"{kind}{suffix}")
