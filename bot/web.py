"""The one ASGI app of the service: health and readiness now; webhooks, the simulator and metrics join it
as their issues land."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.db.engine import Database
from bot.db.migrate import is_current


def create_web_app(db: Database) -> FastAPI:
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

    return web
