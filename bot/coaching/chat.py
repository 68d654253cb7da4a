"""The coach in the chat: her own onboarding settings, ``summary``, ``participants``, ``participant``,
``invite`` and ``hold`` (pause a woman's nudges); and a note or voice note a woman leaves for her coach,
passed on at once. The weekly summary sent at her chosen time is ``bot/coaching/summary_nudge.py``.

Every action checks that the person is a coach and reads only through her caseload
(``caseload.mine`` and ``caseload.one_of_mine``); reading one woman's details is written to the audit log.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching import caseload
from bot.coaching.chart import ChartFonts, photo, store_image
from bot.coaching.invite_sheet import try_locally
from bot.coaching.summary import collect
from bot.coaching.summary_nudge import DEFAULT_SUMMARY_TIME, DEFAULT_SUMMARY_WEEKDAY, SUMMARY_KIND, send_summary
from bot.coaching.summary_text import render_chart, render_text
from bot.coaching.texts import texts_for
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.interpreter import SEND_NOTE_ACTION
from bot.core import i18n
from bot.core.timing import iso_week
from bot.db.models import (
    ChannelIdentity,
    CheckIn,
    CoachSetting,
    Person,
    PersonStatus,
    Role,
)
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import outbox_row
from bot.people.caseload import coach_of, participant_of, reachable_identity
from bot.people.directory import DomainError, create_invite
from bot.scheduling.planner import NudgeKinds

log = logging.getLogger(__name__)


async def _coach_and_identity(session: AsyncSession, participant_id: int) -> tuple[Person, ChannelIdentity] | None:
    """Her coach and where to reach her, read without first writing the inbox group's pending changes (a
    flush per note was most of a note's cost). Nothing pending can matter: an identity is written as soon as
    it is made (an invite used), and a caseload entry is only made unwritten for a newly invited woman, who
    has no messages yet."""
    with session.no_autoflush:
        coach = await coach_of(session, participant_id)
        identity = await reachable_identity(session, coach.id) if coach is not None else None
    return None if coach is None or identity is None else (coach, identity)


def _is_coach(context: ActionContext) -> bool:
    return context.person.role is Role.COACH


# -- her settings (coach_onboarding) ---


async def save_settings(context: ActionContext) -> dict[str, Any]:
    """Her summary day and time (``var.summary_day``, ``var.summary_time``) and whether alerts wait for the
    end of her quiet hours (``var.alerts_quiet``)."""
    if not _is_coach(context):
        return {}
    chosen = context.state.get("vars", {})
    row = await context.session.get(CoachSetting, context.person.id)
    if row is None:
        row = CoachSetting(
            person_id=context.person.id,
            summary_weekday=DEFAULT_SUMMARY_WEEKDAY,
            summary_time=DEFAULT_SUMMARY_TIME,
            alerts_respect_quiet_hours=False,
            updated_at=context.now,
        )
        context.session.add(row)
    if isinstance(chosen.get("summary_day"), int):
        row.summary_weekday = int(chosen["summary_day"])
    if chosen.get("summary_time"):
        row.summary_time = time.fromisoformat(str(chosen["summary_time"]))
    if isinstance(chosen.get("alerts_quiet"), bool):
        row.alerts_respect_quiet_hours = bool(chosen["alerts_quiet"])
    row.updated_at = context.now
    return {}


# -- commands ---


async def summary_now(context: ActionContext, fonts: ChartFonts) -> dict[str, Any]:
    """``summary``: this week's summary now, the chart as a photo after it."""
    if not _is_coach(context):
        return {"summary": ""}
    texts = texts_for(context.service)
    [made] = await collect(context.session, [context.person.id], context.now)
    identity = await reachable_identity(context.session, context.person.id)
    if identity is not None:
        image = store_image(render_chart(texts, made, fonts), context.service.images)
        caption = texts.say("summary_chart_caption", made.locale)
        key = f"summary-chart:{context.person.id}:{context.now.isoformat()}"
        context.session.add(
            outbox_row(
                key, photo(image, caption, made.locale), context.now, person_id=context.person.id, identity=identity
            )
        )
    return {"summary": render_text(texts, made)}


async def participants(context: ActionContext) -> dict[str, Any]:
    """``participants``: her caseload with each woman's status and last contact."""
    if not _is_coach(context):
        return {"caseload": ""}
    texts = texts_for(context.service)
    locale, zone = context.person.locale, context.person.timezone
    people = await caseload.mine(context.session, context.person.id)
    lines = [texts.say("caseload_title", locale, count=len(people))]
    for p in people:
        last = i18n.day(p.last_contact, locale, zone) if p.last_contact else texts.say("caseload_never", locale)
        status = texts.say(f"status_{p.status.value}", locale)
        lines.append(texts.say("caseload_line", locale, zone, status=status, name=p.name, last=last))
    return {"caseload": "\n".join(lines)}


async def choices(context: ActionContext) -> dict[str, Any]:
    """Her women as choices (typed names work too: a choice's label is an answer)."""
    if not _is_coach(context):
        return {"women": [], "women_count": 0}
    people = await caseload.mine(context.session, context.person.id)
    made = [{"value": str(p.id), "label": p.name} for p in people]
    return {"women": made, "women_count": len(made)}


async def participant(context: ActionContext) -> dict[str, Any]:
    """``participant``: one woman's recent check-ins, steps, obstacles, shifts and buddy; only one of HER
    women (checked in the query), and the read is audited."""
    if not _is_coach(context):
        return {"details": ""}
    chosen = context.state.get("vars", {}).get("woman")
    texts = texts_for(context.service)
    try:
        found = await caseload.one_of_mine(context.session, context.person.id, int(str(chosen)), context.now)
    except ValueError:
        found = None
    if found is None:
        if not str(chosen or "").strip():
            return {"details": texts.say("participant_not_found", context.person.locale)}
        return {"details": texts.say("participant_unknown", context.person.locale, query=str(chosen))}
    return {"details": caseload.describe(texts, found, context.person.locale, context.person.timezone)}


async def hold(context: ActionContext) -> dict[str, Any]:
    """Pause one of her women's nudges for ``var.weeks`` weeks (she can still write any time)."""
    if not _is_coach(context):
        return {"held": ""}
    chosen = context.state.get("vars", {})
    texts = texts_for(context.service)
    try:
        woman = await participant_of(context.session, context.person.id, int(str(chosen.get("woman"))))
        weeks = int(str(chosen.get("weeks", 1)))
    except ValueError:
        woman = None
        weeks = 1
    if woman is None:
        return {"held": texts.say("participant_not_found", context.person.locale)}
    woman.status = PersonStatus.PAUSED if woman.status is PersonStatus.ACTIVE else woman.status
    woman.paused_until = context.now + timedelta(weeks=weeks)
    woman.updated_at = context.now
    until = i18n.day(woman.paused_until, context.person.locale, context.person.timezone)
    name = woman.display_name or f"#{woman.id}"
    return {"held": texts.say("pause_done", context.person.locale, name=name, until=until)}


async def invite(context: ActionContext) -> dict[str, Any]:
    """``invite``: a participant (in her caseload) or buddy invite, with the link, and its QR code as a photo."""
    if not _is_coach(context):
        return {"invite_text": ""}
    role = Role.BUDDY if context.state.get("vars", {}).get("invite_role") == "buddy" else Role.PARTICIPANT
    texts = texts_for(context.service)
    locale = context.person.locale
    try:
        made = await create_invite(
            context.session,
            _Now(context.now),
            context.service.invites,
            role=role,
            organisation_id=context.person.organisation_id,
            coach_id=context.person.id,
        )
    except DomainError:
        return {"invite_text": texts.say("not_a_coach", locale)}
    link = made.first_link
    if link is None:
        simulator = context.service.invites.simulator
        lines = [
            texts.say("invite_code_only", locale, code=made.code),
            *try_locally(texts, locale, made.code, simulator),
        ]
        return {"invite_text": "\n".join(lines)}
    identity = await reachable_identity(context.session, context.person.id)
    if identity is not None:
        qr = segno.make(link, error="m")
        data = io.BytesIO()
        qr.save(data, kind="png", scale=8, border=2)
        image = store_image(data.getvalue(), context.service.images)
        context.session.add(
            outbox_row(
                f"invite-qr:{made.code}",
                photo(image, made.code, locale),
                context.now,
                person_id=context.person.id,
                identity=identity,
            )
        )
    return {"invite_text": texts.say("invite_made", locale, link=link)}


class _Now:
    """The action's moment as a clock, for services that take one."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


# -- her note reaches her coach ---


async def forward_note(context: ActionContext) -> dict[str, Any]:
    """After a check-in: a typed note goes to her coach as text, a voice note as audio the coach can play
    (the platform's file reference, decrypted only here, on its way to the coach, with the channel it belongs
    to: the dispatcher fetches the file from there when the coach's channel cannot send that reference)."""
    checkin = await context.session.get(CheckIn, context.state.get("record_id"))
    if checkin is None or checkin.note_ciphertext is None or checkin.note_kind is None:
        return {}
    content = context.service.cipher.decrypt(checkin.note_ciphertext)
    await _pass_note_on(context, checkin.note_kind, content, f"note:{checkin.id}:{checkin.week}")
    return {}


async def send_held_note(context: ActionContext) -> dict[str, Any]:
    """What she sent at a choice question, sent to her coach when she tapped "send this to my coach as a
    note" (``args: notes``, as ``note.hold`` kept them, encrypted). It is stored as a check-in note is, in a
    check-in record of its own that holds only the note and is never completed: so it counts as no check-in
    (no mood, no steps, no "checked in this week"), the coach's summary marks it like every note, her export
    lists it and forgetting her erases it. It goes to her coach at once (decision 0015)."""
    cipher = context.service.cipher
    content = "\n\n".join(cipher.decrypt(str(note)) for note in context.args.get("notes", []))
    if not content:
        return {}
    week = iso_week(context.now, context.person.timezone)
    context.session.add(
        CheckIn(
            person_id=context.person.id,
            week=week,
            steps=[],
            obstacles=[],
            note_ciphertext=cipher.encrypt(content),
            note_kind="text",
            started_at=context.now,
        )
    )
    await _pass_note_on(context, "text", content, f"held-note:{context.person.id}:{week}")
    return {}


async def _pass_note_on(context: ActionContext, kind: str, content: str, key: str) -> None:
    """Her note to her coach, now: a typed note as text, a voice note as audio."""
    found = await _coach_and_identity(context.session, context.person.id)
    if found is None:
        return
    coach, identity = found
    texts = texts_for(context.service)
    name = context.person.display_name or f"#{context.person.id}"
    rtl = i18n.is_right_to_left(coach.locale)
    if kind == "text":
        message = OutboundMessage(
            text=f"{texts.say('note_from', coach.locale, name=name)}\n\n{content}",
            locale=coach.locale,
            right_to_left=rtl,
        )
    else:
        message = OutboundMessage(
            text=texts.say("voice_from", coach.locale, name=name),
            locale=coach.locale,
            right_to_left=rtl,
            media_kind=kind,
            media_ref=content,
            media_channel=context.channel.value,  # the channel of her reference: the coach may be on another
        )
    row = outbox_row(f"{key}:{context.now.isoformat()}", message, context.now,
                     person_id=coach.id, identity=identity, kind="alert", priority=1)  # fmt: skip
    context.session.add(row)


def register(actions: ActionRegistry, nudges: NudgeKinds, fonts: ChartFonts | None = None) -> None:
    """The flow actions and nudge kinds of the coach's tools in the chat; the summary's chart is drawn with
    ``fonts`` (``app.chart_fonts``)."""
    fonts = fonts or ChartFonts()
    actions.add("coaching.settings", save_settings)
    actions.add("coaching.summary", partial(summary_now, fonts=fonts), frozenset({"summary"}))
    actions.add("coaching.participants", participants, frozenset({"caseload"}))
    actions.add("coaching.choices", choices, frozenset({"women", "women_count"}))
    actions.add("coaching.participant", participant, frozenset({"details"}))
    actions.add("coaching.hold", hold, frozenset({"held"}))
    actions.add("coaching.invite", invite, frozenset({"invite_text"}))
    actions.add("coaching.forward_note", forward_note)
    actions.add(SEND_NOTE_ACTION, send_held_note)
    nudges.add(SUMMARY_KIND, partial(send_summary, fonts=fonts))
