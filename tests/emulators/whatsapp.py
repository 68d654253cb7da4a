"""A local WhatsApp Cloud API (Graph API) for end-to-end tests: pywa talks real HTTP to it.

It serves ``POST /v<version>/<phone number id>/messages`` as Meta does: checks the bearer token, records
every message the bot sends, answers with a new ``wamid``, and can be told to answer the next sends with
one of Meta's errors (131047 outside the window, 131056 pair rate, 130429 throughput, with the HTTP status
Meta uses). ``POST .../media`` takes an upload (multipart, as Meta's) and answers with its media id
(``uploads`` keeps them, to check what a message sent by id contained). The files people send
(``add_media``) are served as Meta serves them: ``GET /v<version>/<media id>`` answers with a download URL,
and that URL with the bytes, both for the bearer token only; ``fail_downloads`` answers the next downloads
with a server error. ``WhatsAppUser`` is a person on a
phone: she writes, presses a reply button or picks a list row of the last interactive message she got,
sends a voice note or a photo; each returns the webhook body
Meta would post (``webhook``), and ``sign`` signs a body exactly as Meta does (``X-Hub-Signature-256``:
HMAC-SHA256 of the raw bytes with the app secret; Meta's JSON escapes non-ASCII characters).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators import LocalServer

PHONE_NUMBER_ID = "109876543210987"
DISPLAY_NUMBER = "32470000001"
WABA_ID = "102290129340398"
ACCESS_TOKEN = "EAAGemulatorTokenForTestsOnly0123456789"
APP_SECRET = "emulator-app-secret-for-tests"
VERIFY_TOKEN = "emulator-verify-token"
TIMESTAMP = "1795000000"  # what Meta puts in "timestamp"; the bot never reads it

ERRORS = {
    131047: (400, "Re-engagement message"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    130429: (429, "Rate limit hit"),
    131026: (400, "Message Undeliverable"),
}


@dataclass
class Sent:
    to: str
    type: str
    body: dict[str, Any]  # the object under the message's type
    wamid: str


@dataclass
class Upload:
    filename: str
    mime_type: str
    data: bytes


@dataclass
class WhatsAppEmulator:
    token: str = ACCESS_TOKEN
    phone_number_id: str = PHONE_NUMBER_ID
    sent: list[Sent] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # requests answered with an error
    uploads: dict[str, Upload] = field(default_factory=dict)  # by media id
    media: dict[str, Upload] = field(default_factory=dict)  # files people sent, by media id
    downloads: int = 0  # files downloaded by the bot

    def __post_init__(self) -> None:
        self._wamids = itertools.count(1)
        self._failures: list[int] = []
        self._download_failures = 0
        self.app = Starlette(
            routes=[
                Route("/whatsapp_business/attachments/{media_id}", self._download, methods=["GET"]),
                Route("/{version}/{media_id}", self._media_url, methods=["GET"]),
                Route("/{version}/{phone_id}/messages", self._messages, methods=["POST"]),
                Route("/{version}/{phone_id}/media", self._media, methods=["POST"]),
            ]
        )
        self.server = LocalServer()
        self.url = self.server.url

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[WhatsAppEmulator]:
        await self.server.start(self.app)
        try:
            yield self
        finally:
            await self.server.stop()

    def fail_next(self, code: int, times: int = 1) -> None:
        """Answer the next ``times`` sends with Meta's error ``code``."""
        self._failures += [code] * times

    def add_media(self, media_id: str, data: bytes, mime_type: str = "audio/ogg; codecs=opus") -> None:
        """A file someone sent, as Meta keeps it for the business to download."""
        self.media[media_id] = Upload(media_id, mime_type, data)

    def fail_downloads(self, times: int = 1) -> None:
        """Answer the next ``times`` downloads with a server error (500)."""
        self._download_failures += times

    def to(self, wa_id: str) -> list[Sent]:
        return [s for s in self.sent if s.to == wa_id]

    def new_wamid(self) -> str:
        return f"wamid.HBgLMzI0NzAwMDAwMDEVAgARGBI{next(self._wamids):08d}AA=="

    async def _messages(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.path_params["phone_id"] != self.phone_number_id or not request.path_params["version"].startswith(
            "v"
        ):
            return _error(400, 100, "Unsupported post request")
        data = await request.json()
        if self._failures:
            code = self._failures.pop(0)
            self.refused.append(data)
            status, title = ERRORS[code]
            return _error(status, code, title)
        kind = data["type"]
        wamid = self.new_wamid()
        self.sent.append(Sent(data["to"], kind, data[kind], wamid))
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": data["to"], "wa_id": data["to"]}],
                "messages": [{"id": wamid, "message_status": "accepted"} if kind == "template" else {"id": wamid}],
            }
        )

    async def _media(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.path_params["phone_id"] != self.phone_number_id:
            return _error(400, 100, "Unsupported post request")
        # multipart/form-data, read with the standard library's MIME parser
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        form = BytesParser(policy=HTTP).parsebytes(head + await request.body())
        fields: dict[str, Any] = {}
        for part in form.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = part
        file, product = fields.get("file"), fields.get("messaging_product")
        if file is None or product is None or product.get_content().strip() != "whatsapp":
            return _error(400, 100, "Param file and messaging_product are required")
        media_id = f"{900000000000000 + len(self.uploads) + 1}"
        data = file.get_payload(decode=True)
        self.uploads[media_id] = Upload(str(file.get_filename()), file.get_content_type(), data)
        return JSONResponse({"id": media_id})

    async def _media_url(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        media_id = request.path_params["media_id"]
        stored = self.media.get(media_id)
        if stored is None or not request.path_params["version"].startswith("v"):
            return _error(400, 100, "Unsupported get request")
        return JSONResponse(
            {
                "url": f"{self.url}/whatsapp_business/attachments/{media_id}?mid={media_id}&ext=1795000000",
                "mime_type": stored.mime_type,
                "sha256": hashlib.sha256(stored.data).hexdigest(),
                "file_size": len(stored.data),
                "id": media_id,
                "messaging_product": "whatsapp",
            }
        )

    async def _download(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(status_code=401)
        stored = self.media.get(request.path_params["media_id"])
        if stored is None:
            return Response(status_code=404)
        if self._download_failures:
            self._download_failures -= 1
            return Response(status_code=500)
        self.downloads += 1
        return Response(stored.data, media_type=stored.mime_type.split(";")[0])


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "AbCdEfGhIjKlMnOp",
            }
        },
        status_code=status,
    )


# -- what Meta posts ---


def webhook(value: dict[str, Any]) -> dict[str, Any]:
    """A webhook body with one change for the test number."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def raw(payload: dict[str, Any]) -> bytes:
    """The bytes Meta posts: compact JSON with non-ASCII characters escaped."""
    return json.dumps(payload, separators=(",", ":")).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def status(wamid: str, state: str, wa_id: str, error_code: int | None = None) -> dict[str, Any]:
    """A status update for a message the bot sent."""
    entry: dict[str, Any] = {"id": wamid, "status": state, "timestamp": TIMESTAMP, "recipient_id": wa_id}
    if state in ("sent", "delivered"):
        entry["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "utility"}}
        entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
    if error_code is not None:
        title = ERRORS[error_code][1]
        entry["errors"] = [
            {
                "code": error_code,
                "title": title,
                "message": title,
                "error_data": {"details": "Message failed to send because more than 24 hours have passed."},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    return webhook({"statuses": [entry]})


@dataclass
class WhatsAppUser:
    graph: WhatsAppEmulator
    wa_id: str = "32471234567"
    name: str = "Amina"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def inbox(self) -> list[Sent]:
        return self.graph.to(self.wa_id)

    @property
    def last(self) -> Sent:
        return self.inbox[-1]

    def _message(self, kind: str, content: dict[str, Any], context: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "from": self.wa_id,
            "id": f"wamid.HBgLMzI0NzEyMzQ1NjcVAgASGBQ{self.wa_id}{next(self._ids):06d}==",
            "timestamp": TIMESTAMP,
            "type": kind,
            kind: content,
        }
        if context is not None:
            message["context"] = {"from": DISPLAY_NUMBER, "id": context}
        return webhook({"contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}], "messages": [message]})

    def text(self, body: str) -> dict[str, Any]:
        return self._message("text", {"body": body})

    def press(self, label: str) -> dict[str, Any]:
        """Press the reply button, or pick the list row, whose title contains ``label`` in the last
        interactive message she got."""
        question = next(s for s in reversed(self.inbox) if s.type == "interactive")
        if question.body["type"] == "button":
            options = [b["reply"] for b in question.body["action"]["buttons"]]
            kind = "button_reply"
        else:
            options = [row for section in question.body["action"]["sections"] for row in section["rows"]]
            kind = "list_reply"
        chosen = next((o for o in options if label in o["title"]), None)
        assert chosen is not None, f"no option with {label!r} in {[o['title'] for o in options]}"
        reply = {"id": chosen["id"], "title": chosen["title"]}
        return self._message("interactive", {"type": kind, kind: reply}, context=question.wamid)

    def voice(self, media_id: str = "1037543291543636") -> dict[str, Any]:
        return self._message(
            "audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "id": media_id, "voice": True}
        )

    def photo(self, media_id: str = "2754859441498128") -> dict[str, Any]:
        return self._message("image", {"mime_type": "image/jpeg", "sha256": "def=", "id": media_id})
