"""People the bot does not know yet: an invite code links her account and starts her onboarding; anyone
else, and a group chat, gets one short line, and nothing about them is kept."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.flows import FlowSet
from bot.conversation.lifecycle import Lifecycle
from bot.conversation.render import Renderer
from bot.conversation.routing import Router, invite_code
from bot.conversation.turn import make_turn, queue
from bot.core import i18n
from bot.db.models import ChannelIdentity, Invite, Person, PersonStatus
from bot.messaging.channel import InboundEvent, OutboundMessage
from bot.messaging.rows import outbox_row
from bot.messaging.unkept import anonymous_key
from bot.people.directory import InviteStatus, invite_status

log = logging.getLogger(__name__)


class Strangers:
    def __init__(
        self, flows: FlowSet, catalogs: i18n.Catalogs, renderer: Renderer, router: Router, lifecycle: Lifecycle
    ) -> None:
        self.flows = flows
        self.catalogs = catalogs
        self.renderer = renderer
        self.router = router
        self.lifecycle = lifecycle

    async def first_message(self, session: AsyncSession, event: InboundEvent, now: datetime) -> int | None:
        """A first message: an invite code links her account and starts onboarding (her id is returned);
        anything else gets a short answer and nothing about her is kept."""
        code = invite_code(event)
        if code is None:
            self.short_answer(session, event, now, "stranger")
            return None
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        if invite is not None and invite_status(invite, now) is InviteStatus.PENDING:
            person = await session.get(Person, invite.person_id)
            if person is not None:
                invite.used_at = now
                await self._link(session, event, now, person)
                return person.id
        self.short_answer(session, event, now, "invite_invalid")
        return None

    async def _link(self, session: AsyncSession, event: InboundEvent, now: datetime, person: Person) -> None:
        """Link her account on this channel to ``person`` and start her onboarding, in her phone's language
        when she has not chosen one yet."""
        identity = ChannelIdentity(
            person_id=person.id,
            channel=event.channel,
            external_id=event.external_id,
            last_inbound_at=now,
            created_at=now,
        )
        session.add(identity)
        await session.flush()
        log.info("invite used: person %s linked on %s", person.id, event.channel.value)
        turn = await make_turn(session, event, now, person, identity)
        hint = i18n.locale_from_hint(event.language_hint)
        if hint is not None and person.status is PersonStatus.INVITED:
            person.locale = hint if hint in self.catalogs.available() else person.locale
        await self.lifecycle.start_flow(turn, self.router.onboarding_flow(person), explicit=False, mode="interrupt")
        queue(turn)

    def short_answer(self, session: AsyncSession, event: InboundEvent, now: datetime, text_key: str) -> None:
        """One line to whoever wrote (addressed by platform id), in her phone's language when there is a
        catalog for it."""
        hint = i18n.locale_from_hint(event.language_hint)
        locale = hint if hint in self.catalogs.available() else i18n.DEFAULT_LOCALE
        text = self.renderer.text(self.flows.texts[text_key], locale, {})
        message = OutboundMessage(text=text, locale=locale, right_to_left=i18n.is_right_to_left(locale))
        key = f"reply:{anonymous_key(event.dedupe_key)}:0"  # the platform's event id can hold her number
        session.add(outbox_row(key, message, now, recipient=(event.channel, event.external_id)))
