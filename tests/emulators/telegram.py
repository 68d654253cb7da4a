"""A local Telegram Bot API for end-to-end tests: python-telegram-bot talks real HTTP to it.

It serves the methods the bot uses under ``/bot<token>/<method>`` (getMe, getUpdates, setWebhook,
deleteWebhook, setMyCommands, sendMessage, sendPhoto, editMessageText, editMessageReplyMarkup,
answerCallbackQuery), records every call, keeps the messages the bot sent (edits change them in place, as
on her phone), queues updates for getUpdates with Telegram's confirmation rule (a call with ``offset``
forgets every update before it), posts updates to the bot's webhook with the secret it registered, and can
be told to answer a method with an error (429 with retry_after, 403 blocked, 500) or not at all. The files
people sent (``add_file``) are served as Telegram serves them: ``getFile`` gives a path, and
``/file/bot<token>/<path>`` the bytes. A voice note, audio or photo the bot uploads (multipart) is kept in
``uploads`` by the file id the emulator gives it.

``TelegramUser`` is a person on a phone: she writes, presses buttons of the messages she got, sends a
voice note; each returns the update Telegram would deliver.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators import LocalServer

TOKEN = "7001234567:AAEmulatorTokenForTestsOnly_abcdefgh"
BOT_USERNAME = "trampoline_test_bot"
DATE = 1_795_000_000  # what Telegram puts in "date"; the bot never reads it
JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "link_preview_options", "reply_parameters", "entities"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class TelegramEmulator:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    # (chat id, message id) -> the message as her phone shows it now
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    commands: dict[str | None, list[dict[str, str]]] = field(default_factory=dict)
    confirmed: int = 0  # every update below this id has been confirmed by a getUpdates call
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file id -> (file path, bytes)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> the bytes the bot uploaded

    def __post_init__(self) -> None:
        self.bot_id = int(self.token.split(":")[0])
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(500_001)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        self._hanging: set[str] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._closing = False
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )
        self.server = LocalServer()
        self.url = self.server.url

    # -- running it ---

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[TelegramEmulator]:
        """Serve in this event loop."""
        await self.server.start(self.app)
        try:
            yield self
        finally:
            self._close()
            await self.server.stop()

    @contextmanager
    def serving_in_thread(self) -> Iterator[TelegramEmulator]:
        """Serve from a thread of its own, for a service that runs as a separate process."""
        with self.server.serve_in_thread(self.app):
            try:
                yield self
            finally:
                self._close()

    def _close(self) -> None:
        self._closing = True
        self._notify()

    def _notify(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- what the test arranges ---

    def add_file(self, file_id: str, data: bytes, file_path: str = "voice/file_0.oga") -> None:
        """A file someone sent, kept by Telegram for the bot to download."""
        self.files[file_id] = (file_path, data)

    def queue(self, *updates: dict[str, Any]) -> None:
        """Updates waiting for the bot's next getUpdates."""
        with self._lock:
            self._updates += updates
        self._notify()

    def fail_next(
        self, method: str, status: int, description: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        self._failures[method] += [_Failure(status, description, retry_after)] * times

    def hang(self, method: str) -> None:
        """Never answer ``method`` (until the emulator stops): the bot's read timeout runs out."""
        self._hanging.add(method)

    async def post_webhook(self, update: dict[str, Any], *, secret: str | None = None) -> httpx.Response:
        """Deliver ``update`` to the registered webhook, as Telegram does, with the registered secret unless
        another is given."""
        assert self.webhook is not None, "no webhook registered"
        headers = {}
        token = secret if secret is not None else self.webhook.get("secret_token")
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(self.webhook["url"], json=update, headers=headers)

    def post_webhook_blocking(self, update: dict[str, Any]) -> httpx.Response:
        assert self.webhook is not None, "no webhook registered"
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook.get("secret_token") or ""}
        return httpx.post(self.webhook["url"], json=update, headers=headers, timeout=30)

    # -- what the bot did ---

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def chat(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to ``chat_id``, oldest first, as they look now."""
        return [m for (chat, _), m in sorted(self.messages.items()) if chat == chat_id]

    def user(self, user_id: int = 4242, first_name: str = "Amina", language_code: str | None = "en") -> TelegramUser:
        return TelegramUser(self, user_id, first_name, language_code)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    # -- the Bot API ---

    async def _endpoint(self, request: Request) -> JSONResponse:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = _params(await request.body(), request.headers.get("content-type", ""))
        self.calls.append(Call(method, params))
        if self._failures[method]:
            failure = self._failures[method].pop(0)
            return _error(failure.status, failure.description, failure.retry_after)
        if method in self._hanging:
            while not self._closing:
                await self._wait(1.0)
            return _error(500, "Internal Server Error: emulator closing")
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        answer = await handler(params)
        if isinstance(answer, _Failure):
            return _error(answer.status, answer.description)
        return JSONResponse({"ok": True, "result": answer})

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        for file_path, data in self.files.values():
            if file_path == request.path_params["path"]:
                return Response(data, media_type="application/octet-stream")
        return Response(status_code=404)

    async def _wait(self, seconds: float) -> None:
        assert self._wake is not None
        self._wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Trampoline", "username": BOT_USERNAME}

    async def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": False, "can_read_all_group_messages": False}

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            return _Failure(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = params.get("offset")
        with self._lock:
            if offset is not None:
                self.confirmed = max(self.confirmed, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing and loop.time() < deadline:
            await self._wait(deadline - loop.time())
        with self._lock:
            return list(self._updates[: int(params.get("limit") or 100)])

    async def _setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[params.get("language_code")] = params["commands"]
        return True

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _new_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        if chat_id < 0:
            chat["title"] = "A group"
        message = {"message_id": next(self._message_ids), "date": DATE, "chat": chat, "from": self._bot_user()}
        message.update({k: v for k, v in content.items() if v is not None})
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        text = params.get("text") or ""
        if not text.strip():
            return _Failure(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _Failure(400, "Bad Request: message is too long")
        return self._new_message(params["chat_id"], text=text, reply_markup=params.get("reply_markup"))

    async def _getFile(self, params: dict[str, Any]) -> Any:
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            return _Failure(400, "Bad Request: invalid file_id")
        file_path, data = found
        return {"file_id": params["file_id"], "file_unique_id": "f1", "file_size": len(data), "file_path": file_path}

    def _file_id(self, value: Any) -> str:
        """A file id as sent, or a new one for uploaded bytes (kept in ``uploads``)."""
        if isinstance(value, bytes):
            file_id = f"uploaded-{len(self.uploads) + 1}"
            self.uploads[file_id] = value
            return file_id
        return str(value)

    async def _sendVoice(self, params: dict[str, Any]) -> Any:
        voice = {"file_id": self._file_id(params["voice"]), "file_unique_id": "v2", "duration": 1}
        return self._new_message(params["chat_id"], voice=voice)

    async def _sendAudio(self, params: dict[str, Any]) -> Any:
        audio = {"file_id": self._file_id(params["audio"]), "file_unique_id": "a2", "duration": 1}
        return self._new_message(params["chat_id"], audio=audio)

    async def _sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = [{"file_id": self._file_id(params["photo"]), "file_unique_id": "p1", "width": 640, "height": 480}]
        return self._new_message(
            params["chat_id"], photo=photo, caption=params.get("caption"), reply_markup=params.get("reply_markup")
        )

    async def _sendDocument(self, params: dict[str, Any]) -> Any:
        document = {"file_id": self._file_id(params["document"]), "file_unique_id": "d1", "file_name": "file"}
        return self._new_message(params["chat_id"], document=document, caption=params.get("caption"))

    async def _editMessageText(self, params: dict[str, Any]) -> Any:
        message = self.messages.get((params["chat_id"], params["message_id"]))
        if message is None:
            return _Failure(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if message.get("text") == params["text"] and message.get("reply_markup") == markup:
            return _Failure(400, "Bad Request: message is not modified")
        message["text"] = params["text"]
        message["edit_date"] = DATE + 1
        if markup is None:
            message.pop("reply_markup", None)  # an edit without a keyboard takes the keyboard away
        else:
            message["reply_markup"] = markup
        return message

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self.messages.get((params["chat_id"], params["message_id"]))
        if message is None:
            return _Failure(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            return _Failure(400, "Bad Request: message is not modified")
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = DATE + 1
        return message


@dataclass
class TelegramUser:
    """A person with Telegram on her phone. Each action returns the update Telegram would deliver."""

    telegram: TelegramEmulator
    id: int
    first_name: str
    language_code: str | None

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, chat: dict[str, Any] | None = None, **content: Any) -> dict[str, Any]:
        chat = chat or {"id": self.id, "type": "private", "first_name": self.first_name}
        message = {
            "message_id": 10_000 + self.telegram.next_update_id(),
            "date": DATE,
            "chat": chat,
            "from": self._from(),
        }
        return {"update_id": self.telegram.next_update_id(), "message": {**message, **content}}

    @property
    def inbox(self) -> list[dict[str, Any]]:
        return self.telegram.chat(self.id)

    @property
    def last(self) -> dict[str, Any]:
        return self.inbox[-1]

    def text(self, text: str) -> dict[str, Any]:
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else None
        )
        extra = {"entities": entities} if entities else {}
        return self._message(text=text, **extra)

    def voice(self, file_id: str = "AwACAgQAAxkBAAIBvoice", duration: int = 4) -> dict[str, Any]:
        return self._message(
            voice={"file_id": file_id, "file_unique_id": "v1", "duration": duration, "mime_type": "audio/ogg"}
        )

    def in_group(self, chat_id: int, text: str) -> dict[str, Any]:
        return self._message(chat={"id": chat_id, "type": "group", "title": "Neighbours"}, text=text)

    def press(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Press the button whose label holds ``label`` on ``message`` (default: her latest message with a
        keyboard), as that message looks now."""
        if message is None:
            with_keyboard = [m for m in self.inbox if m.get("reply_markup")]
            assert with_keyboard, "no message with buttons"
            message = with_keyboard[-1]
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        matches = [b for b in buttons if label in b["text"]]
        assert matches, f"no button with {label!r} in {[b['text'] for b in buttons]}"
        query = {
            "id": f"cb{next(self.telegram._callback_ids)}",
            "from": self._from(),
            "chat_instance": "-5550001",
            "message": copy.deepcopy(message),
            "data": matches[0]["callback_data"],
        }
        return {"update_id": self.telegram.next_update_id(), "callback_query": query}


def _params(body: bytes, content_type: str) -> dict[str, Any]:
    """The parameters as python-telegram-bot sends them: form fields, objects JSON-encoded."""
    if content_type.startswith("application/json"):
        raw: dict[str, Any] = json.loads(body or b"{}")
        return raw
    fields: list[tuple[str, str | bytes]]
    if content_type.startswith("multipart/form-data"):  # a file upload: files as bytes, the rest as text
        form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields = []
        for part in form.iter_parts():
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            fields.append(
                (
                    str(part.get_param("name", header="content-disposition")),
                    data if part.get_filename() else data.decode(),
                )
            )
    else:
        fields = list(parse_qsl(body.decode(), keep_blank_values=True))
    params: dict[str, Any] = {}
    for key, value in fields:
        if isinstance(value, bytes):
            params[key] = value
        elif key in JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in INT_FIELDS and value.lstrip("-").isdigit():
            params[key] = int(value)
        else:
            params[key] = value
    return params


def _error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)
