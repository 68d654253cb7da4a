"""Local stand-ins for the platforms' APIs, served over real HTTP on 127.0.0.1, so the tests drive the real
client libraries and never reach an outside host.

``LocalServer`` serves any ASGI app on a free port: inside the test's event loop (``await start()``) or in
a thread of its own (``with``), for tests that run the service as a separate process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import uvicorn

STARTUP_LIMIT_S = 10.0


class _Server(uvicorn.Server):
    """No signal handlers: the test process keeps its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LocalServer:
    """An ASGI app on http://127.0.0.1:<free port>. The port is known at once (before the app is even
    built), so a service can be configured with its own public URL first."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def _make(self, app: Any) -> _Server:
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1)
        self._server = _Server(config)
        return self._server

    # -- in this event loop ---

    async def start(self, app: Any) -> None:
        server = self._make(app)
        self._task = asyncio.create_task(server.serve(sockets=[self._socket]))
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not server.started:  # real I/O: the listener comes up
            if self._task.done() or time.monotonic() > deadline:
                raise RuntimeError("the local server did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._socket.close()

    # -- in a thread of its own ---

    def serve_in_thread(self, app: Any) -> LocalServer:
        server = self._make(app)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[self._socket])), name="local-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not server.started:  # real I/O: the listener comes up
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local server did not start")
            time.sleep(0.01)
        return self

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_LIMIT_S)
        self._socket.close()
