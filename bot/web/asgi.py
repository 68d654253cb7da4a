"""The one ASGI app of the service: health, readiness, metrics and the Telegram and WhatsApp webhooks; the
web simulator (``bot/web/simulator.py``) is mounted on it when it is on.

A webhook answers 200 only once the update is committed (the inbox's ``submit`` returns after the commit),
so an update is never acknowledged and then lost; 503 when it could not be stored, so the platform delivers
it again. Anything the platform sent that cannot be an update gets a 4xx, never a 500.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from bot.core.safe_json import RefusedJson, loads
from bot.db.engine import Database
from bot.db.migrate import is_current
from bot.messaging.channel import DeliveryStatus, InboundEvent, wrong_typed

log = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WEBHOOK_BODY_LIMIT = 1024 * 1024  # Telegram updates are a few kilobytes


class TelegramReceiver(Protocol):
    """What the webhook needs of the Telegram adapter (``bot.channels.telegram.TelegramChannel``)."""

    webhook_secret: str | None

    async def receive(self, payload: dict[str, Any]) -> list[InboundEvent]: ...


class WhatsAppReceiver(Protocol):
    """What the webhook needs of the WhatsApp adapter (``bot.channels.whatsapp.WhatsAppChannel``)."""

    def verify_challenge(self, mode: str | None, token: str | None, challenge: str | None) -> str | None: ...

    def signature_ok(self, body: bytes, header: str) -> bool: ...

    def receive(self, payload: dict[str, Any]) -> tuple[list[InboundEvent], list[DeliveryStatus]]: ...


def create_web_app(
    db: Database,
    *,
    submit: Callable[[InboundEvent], Awaitable[object]] | None = None,
    telegram: TelegramReceiver | None = None,
    whatsapp: WhatsAppReceiver | None = None,
    statuses: Callable[[list[DeliveryStatus]], Awaitable[object]] | None = None,
    metrics: Callable[[], Awaitable[str]] | None = None,
) -> FastAPI:
    """``submit`` hands an event to the inbox and returns once it is committed; with ``telegram`` the
    Telegram webhook is served at /webhooks/telegram."""
    web = FastAPI(title="Trampoline", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive and serving HTTP."""
        return {"status": "ok"}

    @web.get("/readyz")
    async def readyz() -> JSONResponse:
        """The database answers and its schema is current: safe to send traffic here."""
        if not await db.ping():
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if not await is_current(db):
            return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
        return JSONResponse({"status": "ok"})

    if metrics is not None:

        @web.get("/metrics")
        async def prometheus() -> PlainTextResponse:
            """Counters and gauges in the Prometheus text format (``bot/runtime/metrics.py``)."""
            return PlainTextResponse(await metrics(), media_type=METRICS_CONTENT_TYPE)

    if telegram is not None and submit is not None:
        _telegram_webhook(web, telegram, submit)
    if whatsapp is not None and submit is not None and statuses is not None:
        _whatsapp_webhook(web, whatsapp, submit, statuses)

    return web


def _answer(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"ok": status == 200, "reason": reason}, status_code=status)


def _telegram_webhook(
    web: FastAPI, telegram: TelegramReceiver, submit: Callable[[InboundEvent], Awaitable[object]]
) -> None:
    @web.post("/webhooks/telegram")
    async def telegram_webhook(request: Request) -> JSONResponse:
        """One Telegram update: 200 once committed; 403 without the right secret; 413 when too large; 400 when
        not an update; 503 when it could not be stored (Telegram then delivers it again)."""
        secret = telegram.webhook_secret
        if secret is None:
            return _answer(503, "not ready")
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return _answer(403, "wrong secret")
        body = await _read_body(request)
        if body is None:
            return _answer(413, "too large")
        payload = _json_object(body)
        if isinstance(payload, JSONResponse):
            return payload
        try:
            events = await telegram.receive(payload)
        except ValueError as exc:  # one line, without the body: wrong shape or a wrong-typed field
            log.warning("telegram webhook: refused (%s)", exc)
            return _answer(400, "not an update")
        except Exception:  # a bug on our side must not become a 500 loop; logged without the update
            log.exception("telegram webhook: the update could not be read")
            return _answer(400, "not understood")
        for event in events:
            try:
                await submit(event)
            except Exception as exc:  # the database is away: Telegram keeps the update and tries again
                log.error("telegram webhook: update %s not stored (%s)", event.dedupe_key, type(exc).__name__)
                return _answer(503, "not stored")
        return _answer(200, "stored")


def _json_object(body: bytes) -> dict[str, Any] | JSONResponse:
    """The body as a JSON object, or the 400 to answer: too deep or too large is refused before it is parsed,
    and a lone surrogate is replaced (``bot.core.safe_json``)."""
    try:
        payload = loads(body, max_bytes=WEBHOOK_BODY_LIMIT)
    except RefusedJson as refused:
        return _answer(400, refused.reason)
    if not isinstance(payload, dict):
        return _answer(400, "not an object")
    return payload


async def _read_body(request: Request) -> bytes | None:
    """The raw body, or None when it is (or says it will be) over the webhook size limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > WEBHOOK_BODY_LIMIT:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > WEBHOOK_BODY_LIMIT:
            return None
    return bytes(body)


def _whatsapp_webhook(
    web: FastAPI,
    whatsapp: WhatsAppReceiver,
    submit: Callable[[InboundEvent], Awaitable[object]],
    statuses: Callable[[list[DeliveryStatus]], Awaitable[object]],
) -> None:
    @web.get("/webhooks/whatsapp")
    async def whatsapp_verification(request: Request) -> PlainTextResponse:
        """Meta's check when the webhook is set up: the challenge back when the verify token is ours."""
        params = request.query_params
        challenge = whatsapp.verify_challenge(
            params.get("hub.mode"), params.get("hub.verify_token"), params.get("hub.challenge")
        )
        if challenge is None:
            return PlainTextResponse("wrong verify token", status_code=403)
        return PlainTextResponse(challenge)

    @web.post("/webhooks/whatsapp")
    async def whatsapp_webhook(request: Request) -> JSONResponse:
        """One WhatsApp webhook: 200 once its messages and statuses are committed; 401 unsigned, 403 wrongly
        signed (checked on the raw body before anything is parsed); 413 too large; 400 not a webhook; 503
        when it could not be stored (Meta delivers it again)."""
        signature = request.headers.get("x-hub-signature-256")
        if not signature:
            return _answer(401, "not signed")
        body = await _read_body(request)
        if body is None:
            return _answer(413, "too large")
        if not whatsapp.signature_ok(body, signature):
            return _answer(403, "wrong signature")
        payload = _json_object(body)
        if isinstance(payload, JSONResponse):
            return payload
        try:
            events, receipts = whatsapp.receive(payload)
            wrong = next((name for name in map(wrong_typed, events) if name is not None), None)
            if wrong is not None:
                raise ValueError(f"{wrong} has the wrong type")
        except (ValueError, TypeError, AttributeError) as exc:  # one line, without the body
            log.warning(
                "whatsapp webhook: refused (%s)", type(exc).__name__ if not isinstance(exc, ValueError) else exc
            )
            return _answer(400, "not a webhook")
        except Exception:  # a bug on our side must not become a 500 loop; logged without the body
            log.exception("whatsapp webhook: the body could not be read")
            return _answer(400, "not understood")
        try:
            for event in events:
                await submit(event)
            await statuses(receipts)
        except Exception as exc:  # the database is away: Meta keeps the webhook and tries again
            log.error("whatsapp webhook: not stored (%s)", type(exc).__name__)
            return _answer(503, "not stored")
        return _answer(200, "stored")
