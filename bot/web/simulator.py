"""The web simulator at /simulator: three phones side by side (a participant, a buddy and a coach, each with
a role and a language) chatting with the bot, and a clock control that fast-forwards to the next nudge.

It is not a second bot. A phone's typing and presses become events of the simulator channel, go through
``inbox.submit`` like a Telegram update, and what the bot answers comes back through the outbox dispatcher
to ``app.simulator``, whose listener files it under the phone that received it. The page polls for new
messages; each one arrives as an HTML fragment rendered and escaped here, so the browser needs no build
step and only a little JavaScript.

It is on only with the embedded default (SQLite, no platform token) or ``TRAMPOLINE_SIMULATOR=on``: anyone
who reaches it can make people and move the service's clock. The page's own words are English, like the
command line; what the bot says is in each phone's language.
"""

from __future__ import annotations

import html
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
from bot.core.i18n import AUTONYMS, Catalogs, is_right_to_left
from bot.core.safe_json import RefusedJson, loads
from bot.db.engine import Database
from bot.db.models import Nudge, NudgeStatus, Organisation, OutboxMessage, OutboxStatus, Person, Role
from bot.messaging.channel import InboundEvent, OutboundMessage
from bot.messaging.dispatcher import Dispatcher
from bot.people.directory import DEMO_COACH, DEMO_ORGANISATION, InviteTerms, add_organisation, create_invite
from bot.runtime.inbox import Inbox
from bot.scheduling.planner import NudgeRunner, plan_checkins

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

ROLES = (Role.PARTICIPANT, Role.BUDDY, Role.COACH)
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
        self._show(phone, _mine(text, phone.locale))
        await self._submit(self.app.simulator.text(phone.external_id, text, language_hint=phone.locale))

    async def press(self, phone: Phone, button: str, label: str) -> None:
        self._show(phone, _mine(label, phone.locale))
        await self._submit(self.app.simulator.press(phone.external_id, button))

    async def choose(self, phone: Phone, buttons: tuple[str, ...], labels: list[str]) -> None:
        self._show(phone, _mine(", ".join(labels) or "-", phone.locale))
        await self._submit(self.app.simulator.choose(phone.external_id, buttons))

    async def _submit(self, event: InboundEvent) -> None:
        await self.app.inbox.submit(event)  # committed; the dispatcher was woken and sends the replies

    def _received(self, external_id: str, message: OutboundMessage) -> None:
        phone = self._by_external.get(external_id)
        if phone is not None:
            if message.locale:
                phone.locale = message.locale
            self._show(phone, _from_bot(message))

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


# -- rendering: every text is escaped here ---


def _attrs(locale: str) -> str:
    lang = html.escape(locale.replace("_", "-"), quote=True)
    return f'lang="{lang}" dir="{"rtl" if is_right_to_left(locale) else "ltr"}"'


def _body(text: str, own_direction: bool = False) -> str:
    """Paragraphs and lists from the bot's plain text: lines starting with a bullet become a list. With
    ``own_direction`` (what she typed) each paragraph and item takes the direction of its own first letter
    (``dir="auto"``): "/start CODE" reads left to right on a right-to-left phone, her Arabic right to left."""
    auto = ' dir="auto"' if own_direction else ""
    parts: list[str] = []
    items: list[str] = []
    lines: list[str] = []

    def flush_lines() -> None:
        if lines:
            parts.append(f"<p{auto}>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
            lines.clear()

    def flush_items() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li{auto}>{html.escape(item)}</li>" for item in items) + "</ul>")
            items.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if stripped[:2] in ("• ", "- "):
            flush_lines()
            items.append(stripped[2:])
        elif not stripped:
            flush_lines()
            flush_items()
        else:
            flush_items()
            lines.append(line)
    flush_lines()
    flush_items()
    return "".join(parts)


def _mine(text: str, locale: str) -> str:
    return f'<li class="msg me" {_attrs(locale)}><span class="who">You:</span> {_body(text, own_direction=True)}</li>'


def _from_bot(message: OutboundMessage) -> str:
    locale = message.locale or "en"
    direction = "rtl" if message.right_to_left else "ltr"
    lang = html.escape(locale.replace("_", "-"), quote=True)
    parts = [f'<li class="msg bot" lang="{lang}" dir="{direction}"><span class="who">Bot:</span> ']
    parts.append(_body(message.text))
    buttons = list(message.buttons)
    if message.multiple and buttons:
        skip = buttons.pop() if message.skippable else None
        parts.append('<fieldset class="answers multi"><legend>Choose one or more, then press the last button</legend>')
        for button in buttons:
            parts.append(
                f'<label><input type="checkbox" value="{html.escape(button.id, quote=True)}"> '
                f"<span>{html.escape(button.label)}</span></label>"
            )
        parts.append(f'<button type="button" class="done">{html.escape(message.confirm_label or "OK")}</button>')
        if skip is not None:
            parts.append(_button(skip.id, skip.label))
        parts.append("</fieldset>")
    elif buttons:
        parts.append('<div class="answers" role="group" aria-label="Answers">')
        parts.extend(_button(b.id, b.label) for b in buttons)
        parts.append("</div>")
    parts.append("</li>")
    return "".join(parts)


def _button(button_id: str, label: str) -> str:
    value = html.escape(button_id, quote=True)
    return f'<button type="button" class="press" value="{value}">{html.escape(label)}</button>'


# -- routes ---


def mount_simulator(app: App) -> Simulator:
    """Serve the simulator on ``app.web`` at /simulator."""
    simulator = Simulator(app)
    web: FastAPI = app.web
    languages = [(code, AUTONYMS.get(code, code)) for code in app.catalogs.available()]
    codes = {code for code, _ in languages}
    can_move_clock = callable(getattr(app.clock, "set", None))

    @web.get("/simulator", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(_page(languages, can_move_clock))

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


# -- the page ---

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#eef1f4;color:#111}
h1{font-size:1.4rem;margin:0 0 .5rem} .hint{margin:.2rem 0 1rem;max-width:70rem}
.clock{display:flex;gap:1rem;align-items:center;margin-bottom:1rem;flex-wrap:wrap}
.phones{display:flex;gap:1rem;flex-wrap:wrap}
.phone{background:#fff;border:2px solid #333;border-radius:1.5rem;flex:1 1 18rem;max-width:26rem;padding:1rem;
 display:flex;flex-direction:column;height:44rem}
.phone h2{font-size:1.1rem;margin:0 0 .5rem}
.start{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end;margin-bottom:.5rem}
.start label{display:flex;flex-direction:column;font-size:.85rem}
.chat{flex:1;overflow-y:auto;list-style:none;margin:0;padding:.5rem;background:#f6f7f9;border-radius:.5rem}
.msg{margin:.4rem 0;padding:.5rem .7rem;border-radius:.8rem;max-width:90%;white-space:normal}
.msg p{margin:.2rem 0} .msg ul{margin:.2rem 0;padding-inline-start:1.2rem}
.bot{background:#fff;border:1px solid #ccd} .me{background:#d9f2d0;margin-inline-start:auto}
.who{position:absolute;left:-10000px}
.answers{display:flex;flex-direction:column;gap:.3rem;margin:.4rem 0 0;border:0;padding:0}
.answers legend{font-size:.8rem;color:#444;padding:0}
.answers button,.start button,.compose button,.clock button{padding:.45rem .6rem;border-radius:.5rem;
 border:1px solid #446;background:#e8ecff;font:inherit;cursor:pointer}
.answers button:disabled{opacity:.5;cursor:default}
button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #1a5fd0;outline-offset:2px}
.compose{display:flex;gap:.4rem;margin-top:.5rem} .compose input{flex:1;padding:.4rem}
.status{min-height:1.2rem;font-size:.85rem;color:#333}
"""

SCRIPT = """
"use strict";
async function call(method, url, body) {
  const options = {method, headers: {"Content-Type": "application/json"}};
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch(url, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}
function setUp(phone) {
  const chat = phone.querySelector(".chat");
  const status = phone.querySelector(".status");
  const compose = phone.querySelector(".compose");
  let id = null, after = 0, busy = false, refocus = false;
  async function poll() {
    if (id === null || busy) return;
    busy = true;
    try {
      const data = await call("GET", `/simulator/phones/${id}/messages?after=${after}`);
      if (data.html) {
        chat.insertAdjacentHTML("beforeend", data.html);
        chat.scrollTop = chat.scrollHeight;
        // After a press the pressed button is gone: keyboard focus moves to the next question's answers.
        const answers = [...chat.querySelectorAll(".msg.bot")].pop();
        const next = answers && answers.querySelector("button:enabled, input:enabled");
        if (refocus && next) { next.focus(); refocus = false; }
      }
      after = data.after;
    } catch (error) { status.textContent = error.message; }
    finally { busy = false; }
  }
  async function act(path, body) {
    status.textContent = "";
    try { await call("POST", `/simulator/phones/${id}/${path}`, body); await poll(); }
    catch (error) { status.textContent = error.message; }
  }
  phone.querySelector(".start").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    status.textContent = "Starting…";
    try {
      const data = await call("POST", "/simulator/phones", {role: form.role.value, locale: form.locale.value});
      id = data.phone; after = 0; chat.innerHTML = "";
      phone.dataset.phone = id;
      compose.querySelector("input").disabled = false;
      compose.querySelector("button").disabled = false;
      status.textContent = "Started: invite sent with /start.";
      await poll();
    } catch (error) { status.textContent = error.message; }
  });
  compose.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = compose.querySelector("input");
    const text = input.value.trim();
    if (!text || id === null) return;
    input.value = "";
    await act("text", {text});
  });
  chat.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button || button.disabled) return;
    const message = button.closest(".msg");
    refocus = true;
    if (button.classList.contains("done")) {
      const marked = [...message.querySelectorAll("input:checked")];
      message.querySelectorAll("button, input").forEach((b) => { b.disabled = true; });
      await act("press", {multiple: true, buttons: marked.map((b) => b.value),
        labels: marked.map((b) => b.parentElement.textContent.trim())});
    } else if (button.classList.contains("press")) {
      message.querySelectorAll("button, input").forEach((b) => { b.disabled = true; });
      await act("press", {buttons: [button.value], labels: [button.textContent]});
    }
  });
  setInterval(poll, 700);
}
document.querySelectorAll(".phone").forEach(setUp);
const clockStatus = document.getElementById("clock-status");
document.querySelectorAll("button[data-clock]").forEach((clockButton) => {
  clockButton.addEventListener("click", async () => {
    clockStatus.textContent = "Moving the clock…";
    try {
      const data = await call("POST", `/simulator/clock/${clockButton.dataset.clock}`);
      document.getElementById("clock-now").textContent = data.now;
      clockStatus.textContent = data.moved ? `Moved to ${data.now} (UTC); what came due was sent.`
        : "Nothing is planned: finish onboarding first, or wait for replies.";
    } catch (error) { clockStatus.textContent = error.message; }
  });
});
"""


def _page(languages: list[tuple[str, str]], can_move_clock: bool) -> str:
    def phone(number: int, role: Role) -> str:
        roles = "".join(
            f'<option value="{r.value}"{" selected" if r is role else ""}>{r.value.title()}</option>' for r in ROLES
        )
        options = "".join(
            f'<option value="{html.escape(code, quote=True)}" lang="{html.escape(code.replace("_", "-"), quote=True)}"'
            f"{' selected' if code == 'en' else ''}>{html.escape(name)} ({html.escape(code)})</option>"
            for code, name in languages
        )
        return f"""
<section class="phone" aria-labelledby="phone-{number}-title" data-slot="{number}">
  <h2 id="phone-{number}-title">Phone {number}</h2>
  <form class="start">
    <label>Role <select name="role">{roles}</select></label>
    <label>Language <select name="locale">{options}</select></label>
    <button type="submit">Start</button>
  </form>
  <ol class="chat" role="log" aria-live="polite" aria-label="Messages on phone {number}"></ol>
  <p class="status" role="status"></p>
  <form class="compose">
    <label for="phone-{number}-text" class="who">Message</label>
    <input id="phone-{number}-text" name="text" autocomplete="off" placeholder="Type a message" disabled>
    <button type="submit" disabled>Send</button>
  </form>
</section>"""

    clock = (
        """<section class="clock" aria-labelledby="clock-title">
  <h2 id="clock-title" class="who">Clock</h2>
  <span>Simulated time (UTC): <time id="clock-now">…</time></span>
  <button type="button" data-clock="next-nudge">Fast-forward to the next nudge</button>
  <button type="button" data-clock="next-hour">Forward one hour</button>
  <span id="clock-status" role="status"></span>
</section>"""
        if can_move_clock
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trampoline simulator</title><style>{STYLE}</style></head>
<body><main>
<h1>Trampoline simulator</h1>
<p class="hint">Three phones on the real inbox, conversation engine and outbox. Start a coach first: participants
started after her are in her caseload and her phone receives their alerts. Press the buttons or type (for example
<kbd>menu</kbd>, <kbd>check-in</kbd>, <kbd>coach</kbd>).</p>
{clock}
<div class="phones">{phone(1, Role.PARTICIPANT)}{phone(2, Role.BUDDY)}{phone(3, Role.COACH)}</div>
</main>
<script>{SCRIPT}
fetch("/simulator/clock").then((r) => r.json()).then((d) => {{
  const now = document.getElementById("clock-now"); if (now) now.textContent = d.now; }});
</script>
</body></html>"""
