"""The web simulator's page and what it shows: the HTML of each message (what a phone typed, what the bot
said, with its buttons) and the page itself with its style and its little script. Every text is escaped
here. ``bot/web/simulator.py`` holds the phones and the routes that serve this."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.core.i18n import is_right_to_left
from bot.db.models import Role
from bot.messaging.channel import OutboundMessage

ROLES = (Role.PARTICIPANT, Role.BUDDY, Role.COACH)
NOTE_SUFFIX = "|_note"  # the conversation's button "send this to my coach as a note": last, after skip


@dataclass(frozen=True)
class Attachment:
    """What a message carries besides its text, as the phone shows it: ``kind`` image, document, audio (played
    back) or missing (a note whose file the simulator does not have); ``url`` where this phone gets it."""

    kind: str
    url: str = ""
    name: str = ""


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


def mine(text: str, locale: str, attachment: Attachment | None = None) -> str:
    body = _body(text, own_direction=True) + (_attachment(attachment) if attachment is not None else "")
    return f'<li class="msg me" {_attrs(locale)}><span class="who">You:</span> {body}</li>'


def from_bot(message: OutboundMessage, hint: str = "", attachments: tuple[Attachment, ...] = ()) -> str:
    """``hint``: what the boxes of a multiple choice ask of her, in her language; ``attachments``: the image,
    file or note the message carries, where this phone gets them."""
    locale = message.locale or "en"
    direction = "rtl" if message.right_to_left else "ltr"
    lang = html.escape(locale.replace("_", "-"), quote=True)
    parts = [f'<li class="msg bot" lang="{lang}" dir="{direction}"><span class="who">Bot:</span> ']
    parts.append(_body(message.text))
    parts.extend(_attachment(attachment) for attachment in attachments)
    buttons = list(message.buttons)
    if message.multiple and buttons:
        # Skip and "send this to my coach as a note" are plain presses beside the confirm button, not boxes.
        note = buttons.pop() if buttons[-1].id.endswith(NOTE_SUFFIX) else None
        skip = buttons.pop() if message.skippable and buttons else None
        parts.append(f'<fieldset class="answers multi"><legend>{html.escape(hint)}</legend>')
        for button in buttons:
            parts.append(
                f'<label><input type="checkbox" value="{html.escape(button.id, quote=True)}"> '
                f"<span>{html.escape(button.label)}</span></label>"
            )
        parts.append(f'<button type="button" class="done">{html.escape(message.confirm_label or "OK")}</button>')
        parts.extend(_button(extra.id, extra.label) for extra in (skip, note) if extra is not None)
        parts.append("</fieldset>")
    elif buttons:
        parts.append('<div class="answers" role="group" aria-label="Answers">')
        parts.extend(_button(b.id, b.label) for b in buttons)
        parts.append("</div>")
    parts.append("</li>")
    return "".join(parts)


def _attachment(attachment: Attachment) -> str:
    url, name = html.escape(attachment.url, quote=True), html.escape(attachment.name)
    if attachment.kind == "image":
        return f'<img class="image" src="{url}" alt="{html.escape(attachment.name, quote=True)}">'
    if attachment.kind == "document":
        download = html.escape(attachment.name, quote=True)
        return f'<p><a class="document" href="{url}" download="{download}">📎 {name}</a></p>'
    if attachment.kind == "audio":
        return f'<audio controls src="{url}"></audio>'
    mark = {"photo": "📷", "image": "🖼"}.get(attachment.name, "🎤")  # said, not shown: the file is elsewhere
    return f"<p>{mark} {name}</p>"


def _button(button_id: str, label: str) -> str:
    value = html.escape(button_id, quote=True)
    return f'<button type="button" class="press" value="{value}">{html.escape(label)}</button>'


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
.voice{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin-top:.4rem;font-size:.85rem}
.voice button{padding:.35rem .6rem;border-radius:.5rem;border:1px solid #446;background:#e8ecff;font:inherit}
.msg img.image{max-width:100%;height:auto;border-radius:.4rem;margin:.3rem 0} .msg audio{max-width:100%}
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
      record.disabled = false; picker.disabled = false;
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
      // Nothing ticked: her bubble shows the button she pressed, and the bot asks again.
      const labels = marked.length ? marked.map((b) => b.parentElement.textContent.trim()) : [button.textContent];
      await act("press", {multiple: true, buttons: marked.map((b) => b.value), labels});
    } else if (button.classList.contains("press")) {
      message.querySelectorAll("button, input").forEach((b) => { b.disabled = true; });
      await act("press", {buttons: [button.value], labels: [button.textContent]});
    }
  });
  // A voice note: recorded here (MediaRecorder) or picked from a file, sent as it is.
  const record = phone.querySelector(".record");
  const picker = phone.querySelector(".voice input");
  async function sendVoice(blob) {
    status.textContent = "";
    try {
      const response = await fetch(`/simulator/phones/${id}/voice`,
        {method: "POST", headers: {"Content-Type": blob.type || "audio/ogg"}, body: blob});
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
      await poll();
    } catch (error) { status.textContent = error.message; }
  }
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    picker.value = "";
    if (file && id !== null) await sendVoice(file);
  });
  let recorder = null;
  record.addEventListener("click", async () => {
    if (recorder !== null) { recorder.stop(); return; }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({audio: true});
      const chunks = [];
      const recording = new MediaRecorder(stream);
      recording.addEventListener("dataavailable", (event) => {
        chunks.push(event.data);
        record.dataset.recorded = String(chunks.length);  // some sound is in: "Stop and send" has something
      });
      recording.addEventListener("stop", async () => {
        stream.getTracks().forEach((track) => track.stop());
        recorder = null;
        delete record.dataset.recorded;
        record.textContent = "Record a voice note";
        await sendVoice(new Blob(chunks, {type: (recording.mimeType || "audio/webm").split(";")[0]}));
      });
      recording.start(250);  // hands over what it has every quarter of a second
      recorder = recording;
      record.textContent = "Stop and send";
      status.textContent = "Recording…";
    } catch (error) { status.textContent = `No microphone (${error.message}): pick an audio file instead.`; }
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


def page_html(languages: list[tuple[str, str]], can_move_clock: bool) -> str:
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
  <div class="voice">
    <button type="button" class="record" disabled>Record a voice note</button>
    <label>Or pick an audio file <input type="file" accept="audio/*" disabled></label>
  </div>
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
<kbd>menu</kbd>, <kbd>check-in</kbd>, <kbd>coach</kbd>), or send a voice note.</p>
<p class="hint">A demo database with its own clock: the real people, their reports and the time the commands
see are never touched.</p>
{clock}
<div class="phones">{phone(1, Role.PARTICIPANT)}{phone(2, Role.BUDDY)}{phone(3, Role.COACH)}</div>
</main>
<script>{SCRIPT}
fetch("/simulator/clock").then((r) => r.json()).then((d) => {{
  const now = document.getElementById("clock-now"); if (now) now.textContent = d.now; }});
</script>
</body></html>"""
