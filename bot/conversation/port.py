"""What a flow action (and a nudge handler) may use of the conversation engine: its texts, its keys, and the
few things only the engine does (tell her coach, start a flow at its time, remind her, how she is reached).
Actions get this, never the whole ``ConversationService``, so an action cannot reach into routing or the
inbox's group."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.flows import FlowSet
from bot.conversation.render import Renderer
from bot.core.crypto import Cipher
from bot.core.i18n import Catalogs
from bot.db.models import Alert, ChannelIdentity, Conversation, Person
from bot.people.directory import InviteTerms


class Engine(Protocol):
    @property
    def flows(self) -> FlowSet: ...

    @property
    def catalogs(self) -> Catalogs: ...

    @property
    def cipher(self) -> Cipher: ...

    @property
    def renderer(self) -> Renderer: ...

    @property
    def images(self) -> Path:
        """Where charts and QR codes are written for the outbox to send."""
        ...

    @property
    def invites(self) -> InviteTerms:
        """How an invite made in the chat is made (its validity, its links)."""
        ...

    def contact_for(self, identity: ChannelIdentity) -> str | None:
        """How another person reaches her on this channel, as its adapter writes it; None when it cannot say."""
        ...

    async def alert_coach(self, session: AsyncSession, participant: Person, kind: str, now: datetime) -> Alert:
        """Tell her coach at once (an alert row and its message)."""
        ...

    async def close_other_conversations(self, session: AsyncSession, person_id: int, keep: Conversation | None) -> None:
        """Close every open conversation of hers but ``keep``."""
        ...

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
        """Start ``flow_name`` because its time has come (``variables``: its ``var.*`` values from the start);
        returns ``started`` or why not."""
        ...

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
        """One gentle reminder of an open question in ``flow_name``."""
        ...
