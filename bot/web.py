"""The one ASGI app of the service: health, readiness and the Telegram webhook; the WhatsApp webhook, the
simulator and metrics join it as their issues land.

A webhook answers 200 only once the update is committed (the inbox's ``submit`` returns after the commit),
so an update is never acknowledged and then lost; 503 when it could not be stored, so the platform delivers
it again. Anything the platform sent that cannot be an update gets a 4xx, never a 500.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.channels.base import InboundEvent
from bot.db.engine import Database
from bot.db.migrate import is_current

log = logging.getLogger(__name__)

WEBHOOK_BODY_LIMIT = 1024 * 1024  # Telegram updates are a few kilobytes


class TelegramReceiver(Protocol):
    """What the webhook needs of the Telegram adapter (``bot.channels.telegram.TelegramChannel``)."""

    webhook_secret: str | None

    async def receive(self, payload: dict[str, Any]) -> list[InboundEvent]: ...


def create_web_app(
    db: Database,
    *,
    submit: Callable[[InboundEvent], Awaitable[object]] | None = None,
    telegram: TelegramReceiver | None = None,
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

    if telegram is not None and submit is not None:
        _telegram_webhook(web, telegram, submit)

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
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > WEBHOOK_BODY_LIMIT:
            return _answer(413, "too large")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > WEBHOOK_BODY_LIMIT:
                return _answer(413, "too large")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _answer(400, "not JSON")
        if not isinstance(payload, dict):
            return _answer(400, "not an object")
        try:
            events = await telegram.receive(payload)
        except ValueError:
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
