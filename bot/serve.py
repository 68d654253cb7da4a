"""Serving the built ``App`` until it is stopped: the listening socket opened first, the migration, the inbox
worker, the dispatcher, the scheduler's ticks and Telegram started, the signals, and the shutdown in order.
``trampoline run`` calls it; ``bot/app.py`` only builds what it runs."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.app import App, retention_policy
from bot.channels.telegram import WEBHOOK_PATH, TokenRejected
from bot.core.settings import Settings
from bot.db.migrate import upgrade
from bot.db.models import ServiceSetting
from bot.runtime.ticks import Ticks, start_scheduler

log = logging.getLogger("trampoline")


async def telegram_webhook_secret(app: App) -> str:
    """``TELEGRAM_WEBHOOK_SECRET``, or one made once and kept in the database, so every worker and every
    restart uses the same one."""
    if app.settings.telegram_webhook_secret is not None:
        return app.settings.telegram_webhook_secret.get_secret_value()
    name = "telegram_webhook_secret"
    insert_ = pg_insert if app.db.backend == "postgresql" else sqlite_insert
    async with app.db.transaction() as session:
        # Two workers starting together both try; the first one's secret is the one both use.
        await session.execute(
            insert_(ServiceSetting)
            .values(name=name, value=secrets.token_urlsafe(32))
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return str(await session.scalar(select(ServiceSetting.value).where(ServiceSetting.name == name)))


async def start_telegram(app: App) -> asyncio.Task[None] | None:
    """Telegram by webhook (with a public URL) or by polling, in a task that stops with the service.
    A rejected token turns the channel off with one log line; the rest of the service keeps running."""
    telegram = app.telegram
    if telegram is None:
        return None
    webhook_secret = await telegram_webhook_secret(app) if app.settings.public_url else None
    if webhook_secret is not None:
        telegram.webhook_secret = webhook_secret  # the webhook route accepts updates from now on

    async def run() -> None:
        try:
            await telegram.start()
            if webhook_secret is not None:
                url = f"{app.settings.public_url}{WEBHOOK_PATH}"
                await telegram.register_webhook(url, webhook_secret, app.stopping)
            else:
                await telegram.poll(app.inbox.submit, app.stopping)
        except TokenRejected as exc:
            log.error("%s: the Telegram channel is off until the token is fixed", exc)

    return asyncio.create_task(run(), name="telegram")


async def stop_telegram(app: App, task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if app.telegram is not None:
        await app.telegram.stop()


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: ``serve`` stops everything in order instead,
    and the process then exits 0 rather than re-raising the signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ListenError(Exception):
    """The web port cannot be opened (taken, not allowed, an address this machine does not have)."""


def listen(host: str, port: int) -> socket.socket:
    """Open the service's listening socket before anything else starts, so a port that is taken is one
    clear line (naming the setting) instead of a half-started service and a wall of tracebacks."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {str(exc.strerror).lower()} (TRAMPOLINE_HOST)") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        setting = "TRAMPOLINE_HOST" if exc.errno == errno.EADDRNOTAVAIL else "TRAMPOLINE_PORT"
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ListenError(f"cannot listen on {host}:{port}: {reason} ({setting})") from None
    sock.setblocking(False)
    return sock


async def start_demo(app: App) -> Callable[[], Awaitable[None]] | None:
    """The simulator's demo, when there is one (decision 0027): its own database migrated, its inbox worker,
    dispatcher and ticks on its own clock. Returns what stops them, once ``app.stopping`` is set."""
    demo = app.demo
    if demo is None:
        return None
    await upgrade(demo.db)
    demo.inbox.start()
    dispatching = asyncio.create_task(demo.dispatcher.run(app.stopping), name="demo dispatcher")
    ticks = Ticks(demo.db, demo.nudges, demo.clock, demo.dispatcher.wake.set, retention_policy(demo.settings))
    scheduler = start_scheduler(ticks)

    async def stop() -> None:
        scheduler.shutdown(wait=False)
        await dispatching
        await demo.inbox.stop()
        await demo.db.dispose()

    return stop


# About 60 lines on purpose: the order of start-up and of shutdown reads in one place.
async def serve(app: App, listening: socket.socket | None = None) -> None:
    """Run the service until SIGINT or SIGTERM: open the port, migrate, then serve HTTP, run the inbox
    worker, the outbox dispatcher and the scheduler's ticks; on a signal stop claiming, finish what is in
    flight, and exit. A port that cannot be opened raises ``ListenError`` before anything has started."""
    settings = app.settings
    listening = listening or listen(settings.host, settings.port)
    try:
        await upgrade(app.db)
    except BaseException:
        listening.close()
        raise
    log.info("database %s is up to date", app.db.backend)
    log.info("%d flows loaded; languages: %s", len(app.flows.flows), ", ".join(app.catalogs.available()))
    _log_channels(settings)
    app.inbox.start()
    dispatching = asyncio.create_task(app.dispatcher.run(app.stopping), name="dispatcher")
    retention = retention_policy(settings)
    scheduler = start_scheduler(Ticks(app.db, app.nudges, app.clock, app.dispatcher.wake.set, retention))
    telegram = await start_telegram(app)
    stop_demo = await start_demo(app)

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
    freeze_startup_objects()
    log.info("serving on http://%s:%d (health: /healthz)", settings.host, settings.port)
    if settings.simulator_enabled:
        log.info("simulator: open http://%s:%d/simulator in a browser", _browsable(settings.host), settings.port)
    try:
        await server.serve(sockets=[listening])
    finally:
        listening.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        # Stop claiming new work, let what is in flight finish, then close the database.
        scheduler.shutdown(wait=False)
        app.stopping.set()
        await stop_telegram(app, telegram)
        await dispatching
        if app.whatsapp is not None:
            await app.whatsapp.stop()
        await app.inbox.stop()
        if stop_demo is not None:
            await stop_demo()
        await app.db.dispose()
        log.info("stopped")


def freeze_startup_objects() -> None:
    """What start-up loaded (flows, catalogs, the ORM's mappings, the libraries) stays for the life of the
    process. Moved out of the garbage collector's view, a full collection no longer walks it: with it, one
    such collection paused everything for about 70 ms, which every message in flight waited for (it was
    most of ``bench.inbound``'s p99 at 200 messages a second: 22 ms with it, 8 ms without)."""
    gc.collect()
    gc.freeze()


def _browsable(host: str) -> str:
    """An address a browser on this machine can open: a wildcard listen address is not one."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared, not bound


def _log_channels(settings: Settings) -> None:
    if settings.telegram_enabled:
        log.info("channel telegram: configured (%s)", settings.telegram_mode)
    if settings.whatsapp_enabled:
        log.info("channel whatsapp: configured (webhook at /webhooks/whatsapp)")
    if not settings.telegram_enabled and not settings.whatsapp_enabled:
        log.info("no platform token set: only the local simulator channel is available")
