"""The WhatsApp channel, on pywa (the WhatsApp Cloud API): only this folder imports ``pywa``.

It has the shape of every adapter (bot/messaging/channel.py): ``receive`` turns a webhook body into
``InboundEvent``s and ``DeliveryStatus``es (parse.py), ``render`` lays an ``OutboundMessage`` out within
WhatsApp's limits (render.py), ``send`` sends it and maps WhatsApp's answer to a ``SendOutcome`` (send.py,
errors.py); templates.py holds the templates for messages outside the 24-hour window.

Every webhook body is signed (``X-Hub-Signature-256``: an HMAC-SHA256 of the raw body with the app secret);
``signature_ok`` checks it in constant time before anything is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from pywa_async.client import WhatsApp

from bot.channels.whatsapp import parse
from bot.channels.whatsapp.render import CAPABILITIES, Translate
from bot.channels.whatsapp.send import Sender
from bot.channels.whatsapp.templates import Templates
from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.messaging.channel import (
    Capabilities,
    DeliveryStatus,
    InboundEvent,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendResult,
)

# pywa logs request bodies (her number, the text) at debug level: never let them through.
logging.getLogger("pywa").setLevel(logging.WARNING)
logging.getLogger("pywa_async").setLevel(logging.WARNING)

WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 15.0
    write: float = 10.0
    pool: float = 5.0


class WhatsAppChannel:
    name: Channel = Channel.WHATSAPP
    capabilities: Capabilities = CAPABILITIES

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        app_secret: str,
        verify_token: str,
        clock: Clock,
        *,
        templates: Templates | None = None,
        base_url: str = "https://graph.facebook.com",
        translate: Translate | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        if not app_secret:
            raise ValueError("WHATSAPP_APP_SECRET is needed: without it webhooks cannot be checked")
        self.phone_number_id = phone_number_id
        self.clock = clock
        self._app_secret = app_secret.encode()
        self._verify_token = verify_token
        t = timeouts or Timeouts()
        self._session = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
        )
        self.client = WhatsApp(
            phone_id=phone_number_id,
            token=access_token,
            session=self._session,
            app_secret=app_secret,
            verify_token=verify_token,
            filter_updates=False,
        )
        # pywa points its session at graph.facebook.com/v<version>/; keep its version, change the host.
        self._session.base_url = httpx.URL(base_url.rstrip("/") + self._session.base_url.path)
        self._sender = Sender(
            self.client, phone_number_id, clock, templates or Templates(), translate, secret=access_token
        )

    @property
    def templates(self) -> Templates:
        return self._sender.templates

    async def stop(self) -> None:
        await self._session.aclose()

    # -- webhook ---

    def verify_challenge(self, mode: str | None, token: str | None, challenge: str | None) -> str | None:
        """The GET Meta makes when the webhook is set up: the challenge back when the token is ours."""
        if mode != "subscribe" or token is None or challenge is None:
            return None
        if not hmac.compare_digest(token.encode(), self._verify_token.encode()):
            return None
        return challenge

    def signature_ok(self, body: bytes, header: str) -> bool:
        """``header`` is ``sha256=<hex HMAC-SHA256 of the raw body with the app secret>``; constant time."""
        expected = "sha256=" + hmac.new(self._app_secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.strip().encode(), expected.encode())

    def receive(self, payload: dict[str, Any]) -> tuple[list[InboundEvent], list[DeliveryStatus]]:
        """A webhook body, signature checked and parsed from JSON (parse.py). Raises ``ValueError`` when it
        is not a WhatsApp Business webhook."""
        return parse.receive(payload, self.phone_number_id, self.clock)

    # -- outbound ---

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        """Send ``message``, or the template that stands for it when she has not written for 24 hours and the
        bot starts this message (``context.kind``), or when WhatsApp refused it as free text before."""
        return await self._sender.send(external_id, message, context)

    def sends_media_from(self, channel: Channel) -> bool:
        """WhatsApp sends only files uploaded to it: not even its own received media ids."""
        return False

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """The bytes of a file she sent, by its media id (send.py); raises ``MediaFetchError``."""
        return await self._sender.fetch_media(ref, kind)
