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
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from bot.web.simulator_page import ROLES, from_bot, mine, page_html

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

MAX_TEXT = 4000
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


@dataclass
class Phone:
    id: str
    role: Role
    locale: str
    person_id: int
    external_id: str
    entries: list[Entry] = field(default_factory=list)


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

    async def start_phone(self, role: Role, locale: str) -> Phone:
        """Make (once) the demo organisation and coach, invite a person of ``role`` and send ``/start CODE``."""
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
        phone = Phone(phone_id, role, locale, created.person_id, f"web-{role.value}-{phone_id}")
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
        self._show(phone, mine(", ".join(labels) or "-", phone.locale))
        await self._submit(self.app.simulator.choose(phone.external_id, buttons))

    async def _submit(self, event: InboundEvent) -> None:
        await self.app.inbox.submit(event)  # committed; the dispatcher was woken and sends the replies

    def _received(self, external_id: str, message: OutboundMessage) -> None:
        phone = self._by_external.get(external_id)
        if phone is not None:
            if message.locale:
                phone.locale = message.locale
            self._show(phone, from_bot(message))

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


def _aware(moment: datetime) -> datetime:
    """SQLite hands times back without their zone; they are stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- routes ---


# About 90 lines on purpose: every route of the simulator in one place, each a few lines over ``Simulator``.
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
        phone = await simulator.start_phone(Role(role), locale)
        return JSONResponse({"phone": phone.id, "person_id": phone.person_id})

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

    return simulator


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = loads(await request.body())
    except RefusedJson:
        return None
    return body if isinstance(body, dict) else None


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)
