"""The privacy actions flows call: ``privacy.export`` (the ``mydata`` flow) and ``privacy.forget`` (the
``forget`` flow, after she confirmed). ``consent.share_contact`` lives with the other consent actions in
``bot/conversation/actions.py``. Imported by ``bot/app.py``, which registers them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.conversation.actions import ActionContext, ActionRegistry
from bot.core import i18n
from bot.db.models import ChannelIdentity, Person
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import ALERT_PRIORITY, outbox_row
from bot.privacy.erasure import Reason, erase_person
from bot.privacy.export import export_json, export_person

EXPORT_KIND = "export"
EXPORT_FILE_NAME = "my-data.json"
CONSENT_KINDS = ("data_processing", "messaging", "share_contact")


async def privacy_export(context: ActionContext) -> dict[str, Any]:
    """Her data: a readable summary in her language (``{data_summary}``) and, right after it, the whole of it
    as a JSON file on the channel she wrote from."""
    data = await export_person(context.session, context.person.id, context.service.cipher, context.now)
    if data is None:
        return {"data_summary": ""}
    service, locale = context.service, context.person.locale

    def label(key: str) -> str:
        text = service.flows.texts.get(key)
        return service.renderer.text(text, locale, {}) if text is not None else key

    summary = _summary(context.person, data, label)
    await _send_file(context, data, label("mydata_file"))
    return {"data_summary": summary}


def _summary(person: Person, data: dict[str, Any], label: Callable[[str], str]) -> str:
    """One line per thing kept about her, the labels in her language, the values isolated in a right-to-left
    one."""
    locale = person.locale

    def value(shown: str) -> str:
        return i18n.isolate(shown) if i18n.is_right_to_left(locale) and shown else shown

    latest: dict[str, bool] = {}
    for consent in data["consents"]:
        latest[consent["kind"]] = consent["granted"]
    agreed = i18n.semicolon(locale).join(
        f"{label('mydata_consent_' + kind)}: {label('mydata_yes' if latest[kind] else 'mydata_no')}"
        for kind in CONSENT_KINDS
        if kind in latest
    )
    profile = data["profile"] or {}
    answered = sum(1 for v in profile.values() if v not in (None, [], ""))
    lines = [
        (label("mydata_name"), value(person.display_name or "-")),
        (label("mydata_language"), value(i18n.AUTONYMS.get(locale, locale))),
        (label("mydata_since"), value(i18n.day(person.created_at, locale, person.timezone))),
        (label("mydata_organisation"), value(data["organisation"] or "-")),
        (label("mydata_coach"), value(i18n.listing([c for c in data["coaches"] if c], locale) or "-")),
        (label("mydata_answers"), i18n.number(answered, locale)),
        (label("mydata_checkins"), i18n.number(len(data["checkins"]), locale)),
        (label("mydata_notes"), i18n.number(sum(1 for c in data["checkins"] if c["note"]), locale)),
        (label("mydata_consents"), agreed or "-"),
    ]
    return "\n".join(f"• {name}: {shown}" for name, shown in lines)


async def _send_file(context: ActionContext, data: dict[str, Any], caption: str) -> None:
    """The whole of it as a JSON file, on the channel she wrote from, unless she blocked the bot there."""
    person, locale = context.person, context.person.locale
    identity = await context.session.scalar(
        select(ChannelIdentity)
        .where(ChannelIdentity.person_id == person.id, ChannelIdentity.channel == context.channel)
        .order_by(ChannelIdentity.last_inbound_at.desc().nulls_last(), ChannelIdentity.id.desc())
        .limit(1)
    )
    if identity is None or identity.blocked_at is not None:
        return
    message = OutboundMessage(
        text=caption,
        locale=locale,
        right_to_left=i18n.is_right_to_left(locale),
        document_name=EXPORT_FILE_NAME,
        document_text=export_json(data),
    )
    conversation = context.conversation.id if context.conversation is not None else 0
    context.session.add(
        outbox_row(
            f"export:{conversation}:{context.now.isoformat()}",
            message,
            context.now,
            person_id=person.id,
            identity=identity,
            kind=EXPORT_KIND,
            priority=ALERT_PRIORITY,  # after the summary, which is a reply
        )
    )


async def privacy_forget(context: ActionContext) -> dict[str, Any]:
    """Erase everything about her (she confirmed). The texts after this step are her goodbye."""
    await erase_person(context.session, context.person.id, context.now, reason=Reason.REQUEST, service=context.service)
    return {}


def register(actions: ActionRegistry) -> None:
    """The flow actions of see my data, delete my data."""
    actions.add("privacy.export", privacy_export, frozenset({"data_summary"}))
    actions.add("privacy.forget", privacy_forget)
