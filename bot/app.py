"""The composition root: the one place that builds the database, the web app and (as later issues land)
the channels, the dispatcher and the scheduler from the settings. Tests call ``build_app`` with their own
settings and a fake clock; nothing else constructs infrastructure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from bot.clock import Clock, SystemClock
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.settings import Settings
from bot.web import create_web_app

log = logging.getLogger("trampoline")


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    web: FastAPI
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


def build_app(settings: Settings, clock: Clock | None = None) -> App:
    db = Database(settings.database_url)
    return App(settings=settings, clock=clock or SystemClock(), db=db, web=create_web_app(db))


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: ``serve`` stops everything in order instead,
    and the process then exits 0 rather than re-raising the signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: App) -> None:
    """Run the service until SIGINT or SIGTERM: migrate, then serve HTTP (and, later, the channels,
    the dispatcher and the scheduler), then shut down cleanly."""
    settings = app.settings
    await upgrade(app.db)
    log.info("database %s is up to date", app.db.backend)
    _log_channels(settings)

    server = _Server(
        uvicorn.Config(
            app.web,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    loop = asyncio.get_running_loop()

    def request_stop(signum: int) -> None:
        if app.stopping.is_set():
            server.force_exit = True
            return
        log.info("received %s: shutting down", signal.Signals(signum).name)
        app.stopping.set()
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop, signum)
    log.info("serving on http://%s:%d (health: /healthz)", settings.host, settings.port)
    try:
        await server.serve()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await app.db.dispose()
        log.info("stopped")


def _log_channels(settings: Settings) -> None:
    if settings.telegram_enabled:
        log.info("channel telegram: configured (%s)", settings.telegram_mode)
    if settings.whatsapp_enabled:
        log.info("channel whatsapp: configured (webhook at /webhooks/whatsapp)")
    if not settings.telegram_enabled and not settings.whatsapp_enabled:
        log.info("no platform token set: only the local simulator channel is available")
