"""Messages the bot starts itself: a flow whose time has come, and a gentle reminder of an open question.
Each is sent on the channel she used last (not one she blocked)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.flows import FlowSet
from bot.conversation.lifecycle import Lifecycle
from bot.conversation.turn import Turn, make_turn, queue
from bot.db.models import Person
from bot.messaging.rows import NUDGE_PRIORITY
from bot.people.caseload import reachable_identity


class Nudging:
    def __init__(self, flows: FlowSet, lifecycle: Lifecycle) -> None:
        self.flows = flows
        self.lifecycle = lifecycle

    async def _nudge_turn(self, session: AsyncSession, person: Person, key: str, now: datetime) -> Turn | None:
        """A turn for a message the bot starts: sent on the channel she used last (not one she blocked)."""
        identity = await reachable_identity(session, person.id)
        if identity is None:
            return None
        turn = await make_turn(session, None, now, person, identity)
        turn.key, turn.kind, turn.priority = key, "nudge", NUDGE_PRIORITY
        return turn

    async def start_scheduled(
        self,
        session: AsyncSession,
        person: Person,
        flow_name: str,
        *,
        key: str,
        now: datetime,
        stale_after: datetime,
        variables: dict[str, Any] | None = None,
    ) -> str:
        """Start ``flow_name`` because its time has come (not because she asked). Returns what happened:
        ``started``, or the reason it did not (the flow waits behind an open one, or she has no channel)."""
        turn = await self._nudge_turn(session, person, key, now)
        if turn is None:
            return "she has no channel the bot can write to"
        active = await self.lifecycle.active(session, person.id, now)
        if active is not None and active.flow == flow_name:
            return "this flow is already open"
        turn.stale_after = stale_after
        started = await self.lifecycle.start_flow(turn, flow_name, explicit=False, variables=variables)
        queue(turn)
        return "started" if started else "queued behind an open conversation"

    async def remind(
        self,
        session: AsyncSession,
        person: Person,
        flow_name: str,
        *,
        key: str,
        now: datetime,
        lead: str = "checkin_reminder",
    ) -> str:
        """One gentle reminder of an open question in ``flow_name``: the reminder text (``lead``, a text of
        _texts.yaml) and the question."""
        active = await self.lifecycle.active(session, person.id, now)
        if active is None or active.flow != flow_name:
            return "nothing open to remind her of"
        if active.expires_at is not None and active.expires_at <= now:
            return "the conversation has closed"
        turn = await self._nudge_turn(session, person, key, now)
        if turn is None:
            return "she has no channel the bot can write to"
        turn.kind = "reminder"
        turn.stale_after = active.expires_at
        self.lifecycle.ask_again(turn, active, lead=self.flows.texts[lead])
        queue(turn)
        return "reminded"
