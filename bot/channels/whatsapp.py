"""The WhatsApp channel, on pywa (the WhatsApp Cloud API): the only module that imports ``pywa``.

It has the shape of every adapter (see base.py): ``receive`` turns a webhook body into ``InboundEvent``s and
``DeliveryStatus``es, ``render`` lays an ``OutboundMessage`` out within WhatsApp's limits, ``send`` sends it
and maps WhatsApp's answer to a ``SendOutcome``. Platform quirks stay in this file:

- Every webhook body is signed (``X-Hub-Signature-256``: an HMAC-SHA256 of the raw body with the app
  secret); ``signature_ok`` checks it in constant time before anything is parsed.
- Up to 3 short choices are reply buttons, up to 10 are a list message, more (or labels too long for
  either) are a numbered text menu answered by number. A multiple choice is always a numbered menu,
  answered with several numbers ("1 3 5"): WhatsApp has no buttons that can be marked.
- The 24-hour customer-service window: a message the bot starts (nudge, reminder, alert) while her last
  message is older than 24 hours goes as a pre-approved template (``conversations/_whatsapp_templates.yaml``),
  in her language when Meta has a template language for it, else in one she also speaks, else the
  configured fallback. A free-text message refused later for the window (status error 131047) is queued
  again with a flag that makes it go as a template (``bot/messaging/receipts.py``).

The webhook body is read here rather than by pywa's update classes: those take only the first message of
each change and need pywa's own web server; the Meta payload is small and documented
(docs/decisions/0005-whatsapp.md). pywa does the sending: authentication, the Graph API paths, errors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import mimetypes
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError

from bot.core.channel import Channel
from bot.core.clock import Clock
from bot.core.i18n import locale_from_hint
from bot.messaging.channel import (
    STARTED_KINDS,
    DeliveryStatus,
    EventKind,
    InboundEvent,
    MediaFetchError,
    MediaFile,
    OutboundMessage,
    SendContext,
    SendOutcome,
    SendResult,
    split_text,
)

log = logging.getLogger(__name__)
# pywa logs request bodies (her number, the text) at debug level: never let them through.
logging.getLogger("pywa").setLevel(logging.WARNING)
logging.getLogger("pywa_async").setLevel(logging.WARNING)

WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 4096
MAX_BODY = 1024  # the body of an interactive message, and an image caption
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_LIST_BUTTON = 20
WINDOW = timedelta(hours=24)

# Meta's error codes that mean something to the dispatcher.
WINDOW_CLOSED = 131047  # re-engagement: more than 24 hours since her last message
PAIR_RATE = 131056  # too many messages to the same person
THROUGHPUT = 130429  # the number's messages per second
PAIR_RATE_WAIT = 6.0  # seconds; Meta allows about one message every 6 seconds to one person in a burst
THROTTLE_WAIT = 2.0

# Texts the adapter needs in her language, as message ids of conversations/_texts.yaml.
LIST_BUTTON_TEXT = "whatsapp_list_button"
MULTIPLE_HINT_TEXT = "whatsapp_multiple_hint"
Translate = Callable[[str, str], str]  # (text id, locale) -> the text in that locale

# A message object for the Graph API's /messages: its type and the object under that type.
Outgoing = tuple[str, dict[str, Any]]


# -- templates ---


class TemplateError(ValueError):
    """The templates file is broken; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Template:
    name: str
    params: tuple[str, ...] = ()  # body parameters, in order: "name" (her display name)
    text: str = ""  # the English body, a message id translated in locales/; {name} is Meta's {{1}}
    category: str = "UTILITY"  # Meta's template category


@dataclass(frozen=True)
class Templates:
    """Which pre-approved template stands for a message the bot starts outside the window."""

    by_kind: Mapping[str, Template] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)  # our locale -> Meta's template language
    fallback: tuple[str, ...] = ("fr", "en")  # our locales, tried in order when hers has no template language

    def language_for(self, locale: str | None, spoken: tuple[str, ...] = ()) -> str | None:
        """Her language when Meta has it, else the first other language she speaks that Meta has, else the
        fallback (French, then English)."""
        for candidate in (locale, *spoken, *self.fallback):
            if candidate is None:
                continue
            # Exact codes only: Dari (fa_AF, "prs" among the languages she speaks) must not become Persian.
            for key in (candidate, candidate.lower(), locale_from_hint(candidate) or candidate):
                if key in self.languages:
                    return self.languages[key]
        return None

    def message(self, kind: str, context: SendContext) -> Outgoing | None:
        template = self.by_kind.get(kind)
        language = self.language_for(context.locale, context.second_locales)
        if template is None or language is None:
            return None
        values = {"name": context.name or "🙂"}
        body: dict[str, Any] = {"name": template.name, "language": {"policy": "deterministic", "code": language}}
        if template.params:
            body["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": values[p]} for p in template.params]}
            ]
        return "template", body


def invite_link(phone_number: str, code: str) -> str:
    """The click-to-chat link that opens a chat with the bot's number, ``START CODE`` already typed."""
    return f"https://wa.me/{phone_number}?text={quote('START ' + code)}"


def load_templates(path: Path) -> Templates:
    """Read the templates file; raises ``TemplateError`` with one line when it is broken."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("templates"), dict):
        raise TemplateError(f"{path.name}: needs a 'templates' mapping")
    by_kind: dict[str, Template] = {}
    for kind, spec in data["templates"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise TemplateError(f"{path.name}: template for '{kind}' needs a name")
        params = tuple(str(p) for p in spec.get("params") or ())
        unknown = [p for p in params if p != "name"]
        if unknown:
            raise TemplateError(f"{path.name}: template for '{kind}' has unknown parameters {unknown}")
        text = spec.get("text") or ""
        if not isinstance(text, str) or set(_placeholders(text)) != set(params):
            raise TemplateError(f"{path.name}: the body of the template for '{kind}' must use exactly its params")
        by_kind[str(kind)] = Template(spec["name"], params, text, str(spec.get("category") or "UTILITY").upper())
    languages = data.get("languages") or {}
    fallback = data.get("fallback_languages") or ["fr", "en"]
    if not isinstance(languages, dict) or not isinstance(fallback, list):
        raise TemplateError(f"{path.name}: 'languages' must be a mapping and 'fallback_languages' a list")
    return Templates(
        by_kind,
        {str(k): str(v) for k, v in languages.items() if v},
        tuple(str(code) for code in fallback),
    )


def _placeholders(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["<broken braces>"]


def window_open(context: SendContext | None, now: datetime) -> bool:
    """Her last message is less than 24 hours old (free-form messages are allowed)."""
    if context is None or context.last_inbound_at is None:
        return False
    return now - context.last_inbound_at < WINDOW


# -- rendering: pure ---


def render(
    message: OutboundMessage,
    translate: Translate | None = None,
    document: str | None = None,
    media: str | None = None,
) -> list[Outgoing]:
    """Lay ``message`` out as WhatsApp messages, in order: buttons when there are at most 3 short choices, a
    list for up to 10, else a numbered text menu; a multiple choice always as a numbered menu. A text too
    long for an interactive body goes first on its own. ``document``: the media id of the message's file
    (``document_name``), uploaded beforehand; it goes last, after the text that presents it. ``media``: the
    media id of a note passed on (``media_kind``), uploaded beforehand: an image for a photo, else audio,
    after the text that says whose note it is."""
    parts = _render(message, translate)
    if document is not None:
        parts.append(("document", {"id": document, "filename": message.document_name or "file"}))
    if media is not None:
        parts.append(("image" if message.media_kind == "photo" else "audio", {"id": media}))
    return parts


def _render(message: OutboundMessage, translate: Translate | None) -> list[Outgoing]:
    tr = translate or (lambda text_id, locale: _FALLBACK_TEXTS.get(text_id, text_id))
    parts: list[Outgoing] = []
    text = message.text
    buttons = [(b.id, b.label) for b in message.buttons]
    if message.image_ref:
        image = {"link": message.image_ref} if message.image_ref.startswith("https://") else {"id": message.image_ref}
        if not buttons and text and len(text) <= MAX_BODY:
            return [("image", {**image, "caption": text})]
        parts.append(("image", image))
        if not text and not buttons:
            return parts
    interactive: dict[str, Any] | None = None
    if buttons and not message.multiple:
        interactive = _interactive(buttons, tr(LIST_BUTTON_TEXT, message.locale))
    if interactive is None:
        if buttons:
            text = f"{text}\n\n{numbered_menu(buttons)}"
            if message.multiple:
                text = f"{text}\n\n{tr(MULTIPLE_HINT_TEXT, message.locale)}"
        return parts + [("text", {"body": chunk, "preview_url": False}) for chunk in split_text(text, MAX_TEXT)]
    chunks = split_text(text, MAX_BODY)
    parts += [("text", {"body": chunk, "preview_url": False}) for chunk in _regroup(chunks[:-1])]
    interactive["body"] = {"text": chunks[-1]}
    return [*parts, ("interactive", interactive)]


def _interactive(buttons: list[tuple[str, str]], list_button: str) -> dict[str, Any] | None:
    """Reply buttons or a list, or None when the choices need the numbered menu."""
    if len(buttons) <= MAX_BUTTONS and all(len(label) <= MAX_BUTTON_TITLE for _, label in buttons):
        return {
            "type": "button",
            "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": label}} for i, label in buttons]},
        }
    if len(buttons) <= MAX_ROWS and all(len(label) <= MAX_ROW_TITLE for _, label in buttons):
        return {
            "type": "list",
            "action": {
                "button": _fit(list_button, MAX_LIST_BUTTON),
                "sections": [{"rows": [{"id": i, "title": label} for i, label in buttons]}],
            },
        }
    return None


def numbered_menu(buttons: list[tuple[str, str]]) -> str:
    """ "1. 😄 Very good" a line; the skip button, when there is one, is last, as the renderer puts it."""
    return "\n".join(f"{number}. {label}" for number, (_, label) in enumerate(buttons, start=1))


def _regroup(chunks: list[str]) -> list[str]:
    """Pieces cut for the 1024-character body, joined again into as few 4096-character texts as fit."""
    grouped: list[str] = []
    for chunk in chunks:
        if grouped and len(grouped[-1]) + 2 + len(chunk) <= MAX_TEXT:
            grouped[-1] = f"{grouped[-1]}\n\n{chunk}"
        else:
            grouped.append(chunk)
    return grouped


def _fit(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


_FALLBACK_TEXTS = {
    LIST_BUTTON_TEXT: "Choose",
    MULTIPLE_HINT_TEXT: "Write the numbers of your choices, for example: 1 3",
}


# -- what WhatsApp's answers mean ---


def outcome_of(exc: Exception, secret: str = "") -> SendResult:
    """Map a failed Graph API call to one of the few outcomes the dispatcher acts on."""
    if isinstance(exc, WhatsAppError):
        if exc.code == PAIR_RATE:
            return SendResult(SendOutcome.THROTTLED, retry_after=PAIR_RATE_WAIT, error="pair rate limit (131056)")
        if exc.code == THROUGHPUT or exc.status_code == 429:
            wait = _retry_after(exc.raw_response) or THROTTLE_WAIT
            return SendResult(SendOutcome.THROTTLED, retry_after=wait, error=f"throttled by WhatsApp ({exc.code})")
        if exc.code == WINDOW_CLOSED:
            return SendResult(SendOutcome.FAILED, error="outside the 24-hour window (131047)")
        if exc.code == 190:
            return SendResult(SendOutcome.FAILED, error="WhatsApp rejected the access token (190)")
        return SendResult(SendOutcome.FAILED, error=_short(f"whatsapp {exc.code}: {exc.message}", secret))
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendResult(SendOutcome.UNREACHABLE, error="could not connect to WhatsApp")
    if isinstance(exc, httpx.TimeoutException):
        # The request left: WhatsApp may have sent it. The Cloud API has no idempotency key.
        return SendResult(SendOutcome.UNCERTAIN, error="no answer from WhatsApp in time; it may have arrived")
    if isinstance(exc, httpx.TransportError):
        return SendResult(SendOutcome.UNCERTAIN, error=f"connection lost ({type(exc).__name__}); it may have arrived")
    return SendResult(SendOutcome.FAILED, error=_short(f"{type(exc).__name__}", secret))


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def _short(text: str, secret: str = "") -> str:
    if secret:
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= 160 else f"{line[:157]}..."


# -- the adapter ---


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 15.0
    write: float = 10.0
    pool: float = 5.0


class WhatsAppChannel:
    name: Channel = Channel.WHATSAPP

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
        self.templates = templates or Templates()
        self.translate = translate
        self._token = access_token
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
        # recipient -> her last_inbound_at when a template already went to her for that closed window
        self._templated: dict[str, datetime | None] = {}

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
        """A webhook body, signature checked and parsed from JSON. Raises ``ValueError`` when it is not a
        WhatsApp Business webhook. Changes for another phone number of the same app are left alone."""
        if payload.get("object") != "whatsapp_business_account" or not isinstance(payload.get("entry"), list):
            raise ValueError("not a WhatsApp webhook")
        events: list[InboundEvent] = []
        statuses: list[DeliveryStatus] = []
        for entry in payload["entry"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
                raise ValueError("not a WhatsApp webhook")
            for change in entry.get("changes", []):
                value = change.get("value") if isinstance(change, dict) else None
                if not isinstance(value, dict) or change.get("field") != "messages":
                    continue
                metadata = value.get("metadata") or {}
                if str(metadata.get("phone_number_id", self.phone_number_id)) != self.phone_number_id:
                    continue
                for message in value.get("messages") or []:
                    event = self._message_event(message)
                    if event is not None:
                        events.append(event)
                for status in value.get("statuses") or []:
                    parsed = _status(status)
                    if parsed is not None:
                        statuses.append(parsed)
        return events, statuses

    def _message_event(self, message: Any) -> InboundEvent | None:
        if not isinstance(message, dict):
            raise ValueError("not a WhatsApp message")
        wamid, sender, kind = message.get("id"), message.get("from"), message.get("type")
        if not isinstance(wamid, str) or not isinstance(sender, str) or not wamid or not sender:
            raise ValueError("not a WhatsApp message")

        def event(event_kind: EventKind, **details: Any) -> InboundEvent:
            return InboundEvent(
                channel=Channel.WHATSAPP,
                external_id=sender,
                dedupe_key=f"whatsapp:{wamid}",
                kind=event_kind,
                received_at=self.clock.now(),
                typed_choices=True,  # a multiple choice is a numbered menu (``_render``): she types the numbers
                **details,
            )

        if kind == "text":
            return event(EventKind.TEXT, text=str((message.get("text") or {}).get("body", "")))
        if kind == "interactive":
            interactive = message.get("interactive") or {}
            reply = interactive.get(interactive.get("type")) if interactive.get("type") else None
            if interactive.get("type") in ("button_reply", "list_reply") and isinstance(reply, dict):
                return event(EventKind.CHOICE, choice=str(reply.get("id", "")))
            return event(EventKind.TEXT, text="")
        if kind == "button":  # a quick-reply button of a template: what it says
            return event(EventKind.TEXT, text=str((message.get("button") or {}).get("text", "")))
        if kind in ("audio", "voice", "image"):
            media = message.get(kind) or {}
            media_kind = "photo" if kind == "image" else ("voice" if kind == "voice" or media.get("voice") else "audio")
            return event(EventKind.MEDIA, media_kind=media_kind, media_ref=str(media.get("id", "")))
        if kind in ("reaction", "system", "ephemeral", "request_welcome"):
            return None  # nothing she said to the bot
        # A sticker, video, document, location, contact or unsupported message: an empty text, so she is
        # told what the bot can read.
        return event(EventKind.TEXT, text="")

    # -- outbound ---

    async def send(self, external_id: str, message: OutboundMessage, context: SendContext | None = None) -> SendResult:
        """Send ``message``, or the template that stands for it when she has not written for 24 hours and the
        bot starts this message (``context.kind``), or when WhatsApp refused it as free text before."""
        started = context is not None and context.kind in STARTED_KINDS
        if context is not None and started and (context.as_template or not window_open(context, self.clock.now())):
            return await self._send_template(external_id, context)
        media: str | None = None
        if message.media_ref is not None and (context is None or context.media is None):
            # WhatsApp sends only files uploaded to it; the dispatcher fetches the bytes beforehand.
            return SendResult(SendOutcome.FAILED, error="the note's file was not fetched before sending")
        try:
            message, document = await self._upload_files(message)
            if context is not None and context.media is not None and message.media_kind is not None:
                file = context.media
                media = await self._upload(file.data, file.mime_type, file.filename)
        except Exception as exc:  # the upload failed: nothing was sent yet
            return outcome_of(exc, self._token)
        parts = render(message, self.translate, document, media)
        last_id: str | None = None
        for number, (kind, body) in enumerate(parts):
            try:
                last_id = await self._post(external_id, kind, body)
            except Exception as exc:
                result = outcome_of(exc, self._token)
                refused = isinstance(exc, WhatsAppError) and exc.code == WINDOW_CLOSED
                if number == 0 and context is not None and started and refused:
                    return await self._send_template(external_id, context)
                if number == 0:
                    return result
                return SendResult(SendOutcome.FAILED, error=f"{result.error} (after {number} of {len(parts)} parts)")
        return SendResult(SendOutcome.SENT, provider_message_id=last_id)

    async def _send_template(self, external_id: str, context: SendContext) -> SendResult:
        if external_id in self._templated and self._templated[external_id] == context.last_inbound_at:
            # One template opens the window; the rest of the same closed-window turn would say it again.
            return SendResult(SendOutcome.FAILED, error="outside the 24-hour window; a template was sent already")
        template = self.templates.message(context.kind, context)
        if template is None:
            return SendResult(
                SendOutcome.FAILED, error=f"outside the 24-hour window and no template for {context.kind}"
            )
        try:
            wamid = await self._post(external_id, *template)
        except Exception as exc:
            return outcome_of(exc, self._token)
        self._templated[external_id] = context.last_inbound_at
        if len(self._templated) > 10_000:
            self._templated.clear()
        return SendResult(SendOutcome.SENT, provider_message_id=wamid)

    async def _upload_files(self, message: OutboundMessage) -> tuple[OutboundMessage, str | None]:
        """WhatsApp sends a file by the id of an upload: a chart stored on this machine (``image_ref`` is its
        path) and a file made in memory (her data export, ``document_text``) are uploaded first. The export
        goes as ``text/plain``: WhatsApp accepts no JSON documents, and a text file with its ``.json`` name
        opens on any phone. Returns the message with the image's media id, and the document's media id."""
        image = Path(message.image_ref) if message.image_ref and not message.image_ref.startswith("https://") else None
        if image is not None and image.is_absolute() and image.is_file():
            data = await asyncio.to_thread(image.read_bytes)
            message = dataclasses.replace(message, image_ref=await self._upload(data, "image/png", image.name))
        document: str | None = None
        if message.document_name is not None and message.document_text is not None:
            document = await self._upload(message.document_text.encode("utf-8"), "text/plain", message.document_name)
        return message, document

    async def _upload(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file to this number; returns its media id."""
        uploaded = await self.client.api.upload_media(
            phone_id=self.phone_number_id, media=data, mime_type=mime_type, filename=filename
        )
        return str(uploaded["id"])

    def sends_media_from(self, channel: Channel) -> bool:
        """WhatsApp sends only files uploaded to it: not even its own received media ids."""
        return False

    async def fetch_media(self, ref: str, kind: str) -> MediaFile:
        """The bytes of a file she sent, by its media id: the Graph API gives a short-lived URL, downloaded
        with the access token. Raises ``MediaFetchError``; its reason never holds the URL or the token."""
        try:
            info = await self.client.api.get_media_url(ref)
            async with self.client.api.stream_media_bytes(media_url=str(info["url"])) as answer:
                if answer.status_code >= 400:
                    permanent = answer.status_code not in (408, 429) and answer.status_code < 500
                    raise MediaFetchError(f"download answered {answer.status_code}", permanent=permanent)
                data = await answer.aread()
        except MediaFetchError:
            raise
        except WhatsAppError as exc:
            result = outcome_of(exc, self._token)
            permanent = result.outcome is SendOutcome.FAILED
            raise MediaFetchError(f"whatsapp {exc.code}", permanent=permanent) from None
        except (httpx.TransportError, KeyError, ValueError) as exc:
            raise MediaFetchError(f"WhatsApp could not be reached ({type(exc).__name__})") from None
        mime_type = str(info.get("mime_type") or "").split(";")[0].strip() or "application/octet-stream"
        suffix = mimetypes.guess_extension(mime_type) or ""
        return MediaFile(data=data, mime_type=mime_type, filename=f"{kind}{suffix}")

    async def _post(self, external_id: str, kind: str, body: dict[str, Any]) -> str:
        answer = await self.client.api.send_message(
            sender=self.phone_number_id,
            to=external_id,
            recipient=None,
            recipient_type="individual",
            typ=kind,
            msg=body,
        )
        return str(answer["messages"][0]["id"])


def _status(status: Any) -> DeliveryStatus | None:
    if not isinstance(status, dict) or not isinstance(status.get("id"), str):
        raise ValueError("not a WhatsApp status")
    state = status.get("status")
    if state not in ("sent", "delivered", "read", "failed"):
        return None
    errors = status.get("errors") or []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code")
    error = _short(f"whatsapp {code}: {first.get('title', '')}") if state == "failed" else None
    return DeliveryStatus(
        provider_message_id=status["id"],
        status=state,
        error=error,
        window_closed=state == "failed" and str(code) == str(WINDOW_CLOSED),
    )
