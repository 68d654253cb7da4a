"""Telling her coach at once: an alert row, and a message when the coach is on a channel."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.flows import FlowSet
from bot.conversation.render import Renderer
from bot.core import i18n
from bot.db.models import Alert, Person
from bot.messaging.channel import OutboundMessage
from bot.messaging.rows import ALERT_PRIORITY, outbox_row
from bot.people.caseload import coach_of, reachable_identity

log = logging.getLogger(__name__)


async def alert_coach(
    session: AsyncSession,
    participant: Person,
    kind: str,
    now: datetime,
    *,
    flows: FlowSet,
    renderer: Renderer,
) -> Alert:
    """Record an alert for her coach and, when the coach is on a channel, tell her at once."""
    coach = await coach_of(session, participant.id)
    alert = Alert(participant_id=participant.id, coach_id=coach.id if coach else None, kind=kind, created_at=now)
    session.add(alert)
    await session.flush()
    log.info("alert %s for person %s (coach %s)", kind, participant.id, coach.id if coach else None)
    if coach is None:
        return alert
    identity = await reachable_identity(session, coach.id)
    text_key = f"coach_alert_{kind}" if f"coach_alert_{kind}" in flows.texts else "coach_alert_contact_request"
    if identity is not None:
        text = renderer.text(
            flows.texts[text_key],
            coach.locale,
            {"name": participant.display_name or f"#{participant.id}"},
        )
        message = OutboundMessage(text=text, locale=coach.locale, right_to_left=i18n.is_right_to_left(coach.locale))
        session.add(
            outbox_row(
                f"alert:{alert.id}", message, now, person_id=coach.id, identity=identity, kind="alert",
                priority=ALERT_PRIORITY,
            )
        )  # fmt: skip
    return alert
