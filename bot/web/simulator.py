"""The web simulator at /simulator: three phones side by side (a participant, a buddy and a coach, each with
a role and a language) chatting with the bot, and a clock control that fast-forwards to the next nudge.

It is not a second bot. A phone's typing and presses become events of the simulator channel, go through
``inbox.submit`` like a Telegram update, and what the bot answers comes back through the outbox dispatcher
to ``app.simulator``, whose listener files it under the phone that received it. The page polls for new
messages; each one arrives as an HTML fragment rendered and escaped in ``simulator_page.py`` (with the page
itself), so the browser needs no build step and only a little JavaScript. Here are the phones and the routes.

It is on only with the embedded default (SQLite, no platform token) or ``TRAMPOLINE_SIMULATOR=on``: anyone
who reaches it can make people and move the clock. Both are the demo's (decision 0027): ``app.py`` hands in a
demo with a database and a clock of its own, so the real people, their ids and reports and the service's
time are never touched. The page's own words are English, like the command line; what the bot says is in
each phone's language.
"""

from __future__ import annotations

import itertools
import logging
import mimetypes
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select

from bot.channels.simulator import SimulatorChannel
from bot.core.clock import Clock
from bot.core.i18n import AUTONYMS, Catalogs
from bot.core.safe_json import RefusedJson, loads
from bot.db.engine import Database
from bot.db.models import Nudge, NudgeStatus, Organisation, OutboxMessage, OutboxStatus, Person, Role
from bot.messaging.channel import InboundEvent, OutboundMessage
from bot.messaging.dispatcher import Dispatcher
from bot.people.directory import DEMO_COACH, DEMO_ORGANISATION, InviteTerms, add_organisation, create_invite
from bot.runtime.inbox import Inbox
from bot.scheduling.planner import NudgeRunner, plan_checkins
from bot.web.simulator_page import ROLES, Attachment, from_bot, mine, page_html

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

MAX_TEXT = 4000
MAX_VOICE_MB = 5  # a voice note of a few minutes
PHONE_FILES = 50  # the files a phone keeps to show (its newest): images, her data export, voice notes
SESSION_COOKIE = "trampoline_simulator"  # this browser's session: a phone's files are served to it only
# How far "fast-forward" looks for the next nudge; a demo never needs more than a few weeks.
HORIZON = timedelta(days=60)


class App(Protocol):
    """What the simulator needs of the running service (``bot.app.App`` is one)."""

    @property
    def web(self) -> FastAPI: ...
    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def catalogs(self) -> Catalogs: ...
    @property
    def simulator(self) -> SimulatorChannel: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def nudges(self) -> NudgeRunner: ...
    @property
    def dispatcher(self) -> Dispatcher: ...
    @property
    def invites(self) -> InviteTerms: ...
    @property
    def default_locale(self) -> str: ...
    @property
    def timezone(self) -> str: ...


class AdjustableClock(Protocol):
    def now(self) -> datetime: ...

    def set(self, moment: datetime) -> datetime: ...


@dataclass
class Entry:
    number: int
    html: str


@dataclass(frozen=True)
class File:
    """A file a phone shows, in memory: served to the browser session that started the phone, never logged."""

    data: bytes = field(repr=False)
    mime_type: str
    name: str


@dataclass
class Phone:
    id: str
    role: Role
    locale: str
    person_id: int
    external_id: str
    session: str = ""  # the browser session that started it (``SESSION_COOKIE``)
    entries: list[Entry] = field(default_factory=list)
    files: OrderedDict[str, File] = field(default_factory=OrderedDict)

    def keep(self, kind: str, file: File) -> Attachment:
        """Keep ``file`` to be served to this phone's session; how the phone shows it."""
        token = secrets.token_urlsafe(12)
        self.files[token] = file
        while len(self.files) > PHONE_FILES:
            self.files.popitem(last=False)
        return Attachment(kind, f"/simulator/phones/{self.id}/files/{token}", file.name)


class Simulator:
    """The phones of this process and what each one has seen. Phones live in memory (a restart forgets
    them); everything the bot knows about their people is in the database, as for real ones."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.phones: dict[str, Phone] = {}
        self._by_external: dict[str, Phone] = {}
        self._numbers = itertools.count(1)
        self.coach_id: int | None = None  # the newest coach phone's person: participants started later are hers
        app.simulator.listeners.append(self._received)

    # -- phones ---

    async def start_phone(self, role: Role, locale: str, browser: str = "") -> Phone:
        """Make (once) the demo organisation and coach, invite a person of ``role`` and send ``/start CODE``.
        ``browser``: the session of the browser that starts it, the only one its files are served to."""
        app = self.app
        async with app.db.transaction() as session:
            organisation_id, demo_coach_id = await self._demo(session)
            coach_id = None if role is Role.COACH else (self.coach_id or demo_coach_id)
            created = await create_invite(
                session,
                app.clock,
                app.invites,
                role=role,
                organisation_id=organisation_id,
                coach_id=coach_id,
                name=f"{role.value.title()} {secrets.randbelow(900) + 100}" if role is Role.COACH else None,
                locale=locale,
            )
        phone_id = secrets.token_urlsafe(9)
        phone = Phone(phone_id, role, locale, created.person_id, f"web-{role.value}-{phone_id}", browser)
        self.phones[phone_id] = phone
        self._by_external[phone.external_id] = phone
        if role is Role.COACH:
            self.coach_id = created.person_id
        log.info("simulator: %s phone started for person %s", role.value, created.person_id)
        await self.send_text(phone, f"/start {created.code}")
        return phone

    async def _demo(self, session: AsyncSession) -> tuple[int, int]:
        """The demo organisation and its demo coach (the same ones ``trampoline chat`` uses)."""
        app = self.app
        organisation = await session.scalar(select(Organisation.id).where(Organisation.name == DEMO_ORGANISATION))
        if organisation is None:
            organisation = (
                await add_organisation(
                    session, app.clock, DEMO_ORGANISATION, locale=app.default_locale, timezone=app.timezone
                )
            ).id
        coach = await session.scalar(
            select(Person.id).where(
                Person.organisation_id == organisation, Person.role == Role.COACH, Person.display_name == DEMO_COACH
            )
        )
        if coach is None:
            coach = (
                await create_invite(
                    session, app.clock, app.invites, role=Role.COACH, organisation_id=organisation, name=DEMO_COACH
                )
            ).person_id
        return int(organisation), int(coach)

    # -- what a phone does ---

    async def send_text(self, phone: Phone, text: str) -> None:
        self._show(phone, mine(text, phone.locale))
        await self._submit(self.app.simulator.text(phone.external_id, text, language_hint=phone.locale))

    async def press(self, phone: Phone, button: str, label: str) -> None:
        self._show(phone, mine(label, phone.locale))
        await self._submit(self.app.simulator.press(phone.external_id, button))

    async def choose(self, phone: Phone, buttons: tuple[str, ...], labels: list[str]) -> None:
        """``labels``: the ticked ones, or the confirm button's when none is ticked."""
        self._show(phone, mine(", ".join(labels) or "✓", phone.locale))
        await self._submit(self.app.simulator.choose(phone.external_id, buttons))

    async def voice(self, phone: Phone, data: bytes, mime_type: str) -> None:
        """A voice note recorded or picked on the phone: it arrives as a Telegram voice note does."""
        event = self.app.simulator.voice_note(phone.external_id, data, mime_type)
        played = phone.keep("audio", File(data, mime_type, "voice"))
        self._show(phone, mine("🎤", phone.locale, played))
        await self._submit(event)

    async def _submit(self, event: InboundEvent) -> None:
        await self.app.inbox.submit(event)  # committed; the dispatcher was woken and sends the replies

    def _received(self, external_id: str, message: OutboundMessage) -> None:
        phone = self._by_external.get(external_id)
        if phone is not None:
            if message.locale:
                phone.locale = message.locale
            hint = self.app.simulator.text_for("multiple_hint", phone.locale) if message.multiple else ""
            self._show(phone, from_bot(message, hint, self._attachments(phone, message)))

    def _attachments(self, phone: Phone, message: OutboundMessage) -> tuple[Attachment, ...]:
        """The image (a chart: a file of this machine), the file (her data export) and the note (a voice note
        or photo passed on) of ``message``, kept for the phone to fetch."""
        shown: list[Attachment] = []
        if message.image_ref:
            shown.append(self._image(phone, message.image_ref))
        file = message.document_file()
        if file is not None:
            shown.append(phone.keep("document", File(file[1], _mime(file[0]), file[0])))
        if message.media_kind is not None and message.media_ref is not None:
            passed_on = self.app.simulator.files.get(message.media_ref)
            if passed_on is None:  # a note that came on another platform: its file stays there
                shown.append(Attachment("missing", name=message.media_kind))
            else:
                kind = "image" if message.media_kind == "photo" else "audio"
                shown.append(phone.keep(kind, File(passed_on.data, passed_on.mime_type, passed_on.filename)))
        return tuple(shown)

    def _image(self, phone: Phone, ref: str) -> Attachment:
        if ref.startswith("https://"):
            return Attachment("image", ref)
        path = Path(ref)
        try:
            data = path.read_bytes()  # a small chart, read once, when it is received
        except OSError as exc:
            log.warning("simulator: an image to show could not be read (%s)", type(exc).__name__)
            return Attachment("missing", name="image")
        return phone.keep("image", File(data, _mime(path.name), path.name))

    def _show(self, phone: Phone, fragment: str) -> None:
        phone.entries.append(Entry(next(self._numbers), fragment))

    # -- the clock ---

    async def fast_forward(self) -> datetime | None:
        """Move the clock to the next planned nudge (or a message held back for quiet hours), start what is
        due and wake the dispatcher. None when nothing is planned within ``HORIZON``."""
        app = self.app
        clock: AdjustableClock = app.clock  # type: ignore[assignment]
        now = clock.now()
        await plan_checkins(app.db, now)
        async with app.db.reading() as session:
            next_nudge = await session.scalar(
                # A check-in planned for a moment that just passed (within the planner's grace) is due now.
                select(func.min(Nudge.due_at)).where(Nudge.status == NudgeStatus.PENDING)
            )
            next_message = await session.scalar(
                select(func.min(OutboxMessage.due_at)).where(
                    OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at > now
                )
            )
        moments = [_aware(m) for m in (next_nudge, next_message) if m is not None]
        if not moments or min(moments) > now + HORIZON:
            return None
        return await self.move_to(max(min(moments), now))

    async def move_to(self, moment: datetime) -> datetime:
        """Set the clock to ``moment`` (never back), start what has come due and wake the dispatcher."""
        app = self.app
        clock: AdjustableClock = app.clock  # type: ignore[assignment]
        moment = clock.set(moment)
        await plan_checkins(app.db, moment)
        await app.nudges.run_due(moment)
        app.dispatcher.wake.set()
        log.info("simulator: clock moved forward to %s", moment.isoformat())
        return moment


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _aware(moment: datetime) -> datetime:
    """SQLite hands times back without their zone; they are stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- routes ---


# About 120 lines on purpose: every route of the simulator in one place, each a few lines over ``Simulator``.
def mount_simulator(app: App) -> Simulator:
    """Serve the simulator of ``app`` (the demo, whose web app is the service's) at /simulator on ``app.web``."""
    simulator = Simulator(app)
    web: FastAPI = app.web
    languages = [(code, AUTONYMS.get(code, code)) for code in app.catalogs.available()]
    codes = {code for code, _ in languages}
    can_move_clock = callable(getattr(app.clock, "set", None))

    @web.get("/simulator", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(page_html(languages, can_move_clock))

    @web.get("/simulator/clock")
    async def clock_now() -> JSONResponse:
        return JSONResponse({"now": app.clock.now().isoformat(timespec="minutes")})

    @web.post("/simulator/clock/next-nudge")
    async def next_nudge() -> JSONResponse:
        if not can_move_clock:
            return _error(409, "this service's clock cannot be moved")
        moment = await simulator.fast_forward()
        if moment is None:
            return JSONResponse({"moved": False, "now": app.clock.now().isoformat(timespec="minutes")})
        return JSONResponse({"moved": True, "now": moment.isoformat(timespec="minutes")})

    @web.post("/simulator/clock/next-hour")
    async def next_hour() -> JSONResponse:
        if not can_move_clock:
            return _error(409, "this service's clock cannot be moved")
        moment = await simulator.move_to(app.clock.now() + timedelta(hours=1))
        return JSONResponse({"moved": True, "now": moment.isoformat(timespec="minutes")})

    @web.post("/simulator/phones")
    async def start(request: Request) -> Response:
        body = await _json(request)
        if body is None:
            return _error(400, "send a JSON object")
        role = str(body.get("role", ""))
        locale = str(body.get("locale", ""))
        if role not in {r.value for r in ROLES}:
            return _error(400, "role must be participant, buddy or coach")
        if locale not in codes:
            return _error(400, f"language must be one of {', '.join(sorted(codes))}")
        session = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(18)
        phone = await simulator.start_phone(Role(role), locale, session)
        answer = JSONResponse({"phone": phone.id, "person_id": phone.person_id})
        answer.set_cookie(SESSION_COOKIE, session, path="/simulator", httponly=True, samesite="strict")
        return answer

    @web.get("/simulator/phones/{phone_id}/messages")
    async def messages(phone_id: str, after: int = 0) -> Response:
        phone = simulator.phones.get(phone_id)
        if phone is None:
            return _error(404, "no such phone (the service may have restarted): start it again")
        new = [entry for entry in phone.entries if entry.number > after]
        last = new[-1].number if new else after
        return JSONResponse({"after": last, "html": "".join(entry.html for entry in new), "locale": phone.locale})

    @web.post("/simulator/phones/{phone_id}/text")
    async def text(phone_id: str, request: Request) -> Response:
        phone = simulator.phones.get(phone_id)
        body = await _json(request)
        if phone is None:
            return _error(404, "no such phone (the service may have restarted): start it again")
        typed = str((body or {}).get("text", "")).strip()
        if not typed or len(typed) > MAX_TEXT:
            return _error(400, f"type a message of 1 to {MAX_TEXT} characters")
        await simulator.send_text(phone, typed)
        return JSONResponse({"ok": True})

    @web.post("/simulator/phones/{phone_id}/press")
    async def press(phone_id: str, request: Request) -> Response:
        phone = simulator.phones.get(phone_id)
        body = await _json(request)
        if phone is None:
            return _error(404, "no such phone (the service may have restarted): start it again")
        buttons = (body or {}).get("buttons")
        labels = (body or {}).get("labels") or []
        if not isinstance(buttons, list) or not all(isinstance(b, str) and 0 < len(b) <= 200 for b in buttons):
            return _error(400, "buttons must be a list of button ids")
        shown = [str(label)[:200] for label in labels] if isinstance(labels, list) else []
        if body and body.get("multiple"):
            await simulator.choose(phone, tuple(buttons), shown)
        elif len(buttons) == 1:
            await simulator.press(phone, buttons[0], shown[0] if shown else buttons[0])
        else:
            return _error(400, "press exactly one button")
        return JSONResponse({"ok": True})

    @web.post("/simulator/phones/{phone_id}/voice")
    async def voice(phone_id: str, request: Request) -> Response:
        phone = simulator.phones.get(phone_id)
        if phone is None:
            return _error(404, "no such phone (the service may have restarted): start it again")
        mime_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        refused = f"send a voice note: an audio file of at most {MAX_VOICE_MB} MB"
        declared = request.headers.get("content-length", "")
        if not mime_type.startswith("audio/") or (declared.isdigit() and int(declared) > MAX_VOICE_MB * 2**20):
            return _error(400, refused)
        data = await request.body()
        if not data or len(data) > MAX_VOICE_MB * 2**20:
            return _error(400, refused)
        await simulator.voice(phone, data, mime_type)
        return JSONResponse({"ok": True})

    @web.get("/simulator/phones/{phone_id}/files/{token}")
    async def file(phone_id: str, token: str, request: Request) -> Response:
        phone = simulator.phones.get(phone_id)
        kept = phone.files.get(token) if phone is not None else None
        if phone is None or kept is None or request.cookies.get(SESSION_COOKIE) != phone.session:
            return _error(404, "no such file on this phone")
        disposition = "inline" if kept.mime_type.startswith(("image/", "audio/")) else "attachment"
        return Response(
            kept.data,
            media_type=kept.mime_type,
            headers={
                "Content-Disposition": f'{disposition}; filename="{kept.name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return simulator


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = loads(await request.body())
    except RefusedJson:
        return None
    return body if isinstance(body, dict) else None


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)
