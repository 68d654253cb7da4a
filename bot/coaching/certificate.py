"""Her certificate of volunteer work (issue 21): one A4 page she shows an employer. Her name, the organisation
and its region, each place with the dates of her first and last attended shift and the hours there, the hours
she or her coach reported as other volunteer work, the total (``milestones.volunteer_minutes``), the tasks and
skills her coach confirms (given by the coach on the command line, never stored), her coach's name and the date.

Two columns side by side: the staff's language (Dutch or French: the organisation's default, or chosen) and
hers; English instead when hers is the staff's. Laid out like the invite sheet (``invite_sheet.py``, decision
0025): HTML and WeasyPrint with the Noto fonts, so Arabic, Dari and Pashto are shaped right to left and
Tigrinya is in Ethiopic script. Decision 0034.

Nothing here reads settings, the environment or a file: the texts and the clock's ``now`` come in.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.invite_sheet import FONTS
from bot.coaching.milestones import volunteer_minutes
from bot.coaching.texts import CoachTexts, texts_for
from bot.conversation.actions import ActionContext, ActionRegistry
from bot.core import i18n
from bot.core.timing import local
from bot.db.models import ChannelIdentity, Organisation, Person, Role, ShiftStatus, VolunteerShift
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import ALERT_PRIORITY, outbox_row
from bot.people.caseload import coach_of
from bot.people.directory import DomainError

STAFF_LOCALES = ("nl", "fr")
FALLBACK = "en"  # her column when her language is the staff's: the one an employer from elsewhere reads
FILE_NAME = "certificate.pdf"

STYLE = f"""
@page {{ size: A4; margin: 16mm 14mm; }}
body {{ font-family: {FONTS}; color: #111; font-size: 9.5pt; line-height: 1.35; margin: 0; }}
table.columns {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
table.columns > tbody > tr > td {{ vertical-align: top; width: 50%; padding: 0 3mm; }}
table.columns > tbody > tr > td + td {{ border-inline-start: 0.4pt solid #888; }}
h1 {{ font-size: 14pt; margin: 0 0 3mm; }}
p {{ margin: 0 0 2.5mm; }}
table.places {{ width: 100%; border-collapse: collapse; margin: 0 0 3mm; }}
table.places th, table.places td {{ text-align: start; padding: 1mm 1mm; border-bottom: 0.3pt solid #bbb; }}
table.places td.hours, table.places th.hours {{ text-align: end; white-space: nowrap; }}
tr.total td {{ font-weight: bold; border-bottom: none; }}
h2 {{ font-size: 10pt; margin: 2mm 0 1mm; }}
.signed {{ margin-top: 8mm; }}
"""


@dataclass(frozen=True)
class Place:
    name: str
    first: date
    last: date
    minutes: int


@dataclass(frozen=True)
class Facts:
    """What the page says, in no language yet."""

    name: str
    locale: str
    organisation: str
    region: str | None
    default_locale: str
    places: tuple[Place, ...]
    other_minutes: int
    total_minutes: int
    coach: str | None
    today: date


async def certificate_facts(session: AsyncSession, participant_id: int, now: datetime) -> Facts:
    """Her volunteer work until ``now``, from her attended shifts and the hours reported. Raises DomainError
    for someone who is not a participant."""
    person = await session.get(Person, participant_id)
    if person is None or person.role is not Role.PARTICIPANT:
        raise DomainError(f"no participant with id {participant_id}")
    organisation = await session.get(Organisation, person.organisation_id)
    assert organisation is not None
    shifts = await session.execute(
        select(VolunteerShift.place, VolunteerShift.starts_at, VolunteerShift.ends_at)
        .where(
            VolunteerShift.participant_id == participant_id,
            VolunteerShift.status == ShiftStatus.ATTENDED,
            VolunteerShift.starts_at <= now,
        )
        .order_by(VolunteerShift.starts_at, VolunteerShift.id)
    )
    places: dict[str, Place] = {}
    attended = 0
    for name, starts_at, ends_at in shifts.all():
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        attended += minutes
        day = local(starts_at, person.timezone).date()
        seen = places.get(name)
        places[name] = (
            Place(name, day, day, minutes)
            if seen is None
            else Place(name, seen.first, max(seen.last, day), seen.minutes + minutes)
        )
    total = await volunteer_minutes(session, participant_id, now)
    coach = await coach_of(session, participant_id)
    return Facts(
        name=person.display_name or "",
        locale=person.locale,
        organisation=organisation.name,
        region=organisation.region,
        default_locale=organisation.default_locale,
        places=tuple(places.values()),
        other_minutes=max(total - attended, 0),
        total_minutes=total,
        coach=coach.display_name if coach is not None else None,
        today=local(now, person.timezone).date(),
    )


def languages(facts: Facts, staff: str | None = None) -> tuple[str, str]:
    """The page's two languages: the staff's (``staff``, else the organisation's when it is Dutch or French,
    else Dutch), then hers, or English when hers is the staff's."""
    first = staff or (facts.default_locale if facts.default_locale in STAFF_LOCALES else STAFF_LOCALES[0])
    return first, (facts.locale if facts.locale != first else FALLBACK)


def hours(minutes: int, locale: str) -> str:
    """Minutes as hours in a language, to a tenth ("12,5" in Dutch)."""
    return i18n.number(round(minutes / 60, 1), locale)


def certificate_html(facts: Facts, texts: CoachTexts, staff: str | None = None, skills: str | None = None) -> str:
    """The page as HTML: two columns, the staff's language first (on the left)."""
    columns = "".join(f"<td>{_column(facts, texts, locale, skills)}</td>" for locale in languages(facts, staff))
    title = html.escape(texts.say("certificate_title", FALLBACK))
    return (
        f'<!doctype html>\n<html lang="{_lang(languages(facts, staff)[0])}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n"
        f'<table class="columns" dir="ltr"><tbody><tr>{columns}</tr></tbody></table>\n</body></html>\n'
    )


def certificate_pdf(facts: Facts, texts: CoachTexts, staff: str | None = None, skills: str | None = None) -> bytes:
    """The page as a PDF, laid out by WeasyPrint."""
    from weasyprint import HTML  # imported here: it loads Pango, which no other command needs

    pdf: bytes = HTML(string=certificate_html(facts, texts, staff, skills)).write_pdf()
    return pdf


def _column(facts: Facts, texts: CoachTexts, locale: str, skills: str | None) -> str:
    def say(key: str, **values: str) -> str:
        return html.escape(texts.say(key, locale, **values))

    organisation = ", ".join(filter(None, (facts.organisation, facts.region)))
    rows: list[Sequence[str]] = [
        (_data(place.name), _span(place.first, place.last, locale), hours(place.minutes, locale))
        for place in facts.places
    ]
    if facts.other_minutes:
        rows.append((say("certificate_other"), "", hours(facts.other_minutes, locale)))
    body = "".join(
        f"<tr><td>{name}</td><td>{when}</td><td class='hours'>{shown}</td></tr>" for name, when, shown in rows
    )
    body += (
        f"<tr class='total'><td>{say('certificate_total')}</td><td></td>"
        f"<td class='hours'>{hours(facts.total_minutes, locale)}</td></tr>"
    )
    head = (
        f"<tr><th>{say('certificate_place')}</th><th>{say('certificate_dates')}</th>"
        f"<th class='hours'>{say('certificate_hours')}</th></tr>"
    )
    tasks = f"<h2>{say('certificate_tasks')}</h2><p>{_data(skills)}</p>" if skills else ""
    signed = f"<p>{say('certificate_coach')}: {_data(facts.coach or '')}</p>" if facts.coach else ""
    signed += f"<p>{say('certificate_date')}: {html.escape(i18n.day(facts.today, locale))}</p>"
    direction = "rtl" if i18n.is_right_to_left(locale) else "ltr"
    return (
        f'<section lang="{_lang(locale)}" dir="{direction}"><h1>{say("certificate_title")}</h1>'
        f"<p>{say('certificate_intro', name=facts.name, organisation=organisation)}</p>"
        f'<table class="places"><thead>{head}</thead><tbody>{body}</tbody></table>'
        f'{tasks}<div class="signed">{signed}</div></section>'
    )


def _span(first: date, last: date, locale: str) -> str:
    shown = [i18n.day(first, locale)] + ([i18n.day(last, locale)] if last != first else [])
    return " – ".join(f"<bdi>{html.escape(day)}</bdi>" for day in shown)


def _data(text: str | None) -> str:
    """A name or the coach's words, in whatever script, isolated from the column's direction."""
    return f"<bdi>{html.escape(text or '')}</bdi>"


def _lang(locale: str) -> str:
    return locale.replace("_", "-")


# -- the chat: ``certificate`` ---

CERTIFICATE_KIND = "certificate"


async def certificate_send(context: ActionContext) -> dict[str, Any]:
    """Her certificate as a PDF, on the channel she wrote from (``certificate_sent``: yes), unless she has no
    volunteer hours yet (no) or blocked the bot there."""
    person = context.person
    facts = await certificate_facts(context.session, person.id, context.now)
    if not facts.total_minutes:
        return {"certificate_sent": "no"}
    identity = await context.session.scalar(
        select(ChannelIdentity)
        .where(ChannelIdentity.person_id == person.id, ChannelIdentity.channel == context.channel)
        .order_by(ChannelIdentity.last_inbound_at.desc().nulls_last(), ChannelIdentity.id.desc())
        .limit(1)
    )
    if identity is None or identity.blocked_at is not None:
        return {"certificate_sent": "no"}
    texts = texts_for(context.service)
    pdf = await asyncio.to_thread(certificate_pdf, facts, texts)
    message = OutboundMessage(
        text=texts.say("certificate_file", person.locale),
        locale=person.locale,
        right_to_left=i18n.is_right_to_left(person.locale),
        document_name=FILE_NAME,
        document_bytes=pdf,
    )
    conversation = context.conversation.id if context.conversation is not None else 0
    context.session.add(
        outbox_row(
            f"certificate:{conversation}:{context.now.isoformat()}",
            message,
            context.now,
            person_id=person.id,
            identity=identity,
            kind=CERTIFICATE_KIND,
            priority=ALERT_PRIORITY,  # after the flow's reply
        )
    )
    return {"certificate_sent": "yes"}


def register(actions: ActionRegistry) -> None:
    actions.add("certificate.send", certificate_send, frozenset({"certificate_sent"}))
