"""A conversation's life: started (honouring the start mode of the flow when another one is open), stepped
on (answers saved, actions run, replies rendered), finished (what it interrupted comes back, what waited
starts), expired on first sight, closed for another one."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.flows import FlowSet
from bot.conversation.interpreter import Interpreter, Message, Outcome
from bot.conversation.port import Engine
from bot.conversation.prefetch import prefetched
from bot.conversation.render import Renderer
from bot.conversation.routing import Router
from bot.conversation.saving import open_checkin, save
from bot.conversation.turn import Turn
from bot.conversation.wording import Text, addressee
from bot.core.crypto import Cipher
from bot.db.models import Conversation, ConversationStatus, PersonStatus
from bot.messaging.unkept import erased

log = logging.getLogger(__name__)


class Lifecycle:
    """Starts, steps and ends her conversations. ``engine``: what the flow actions it runs are given."""

    def __init__(
        self,
        flows: FlowSet,
        interpreter: Interpreter,
        renderer: Renderer,
        actions: ActionRegistry,
        cipher: Cipher,
        router: Router,
        engine: Engine,
    ) -> None:
        self.flows = flows
        self.interpreter = interpreter
        self.renderer = renderer
        self.actions = actions
        self.cipher = cipher
        self.router = router
        self.engine = engine

    # -- starting ---

    async def start_flow(
        self,
        turn: Turn,
        flow_name: str,
        *,
        explicit: bool,
        mode: str | None = None,
        variables: dict[str, Any] | None = None,
    ) -> bool:
        """Start ``flow_name`` for her, honouring its start mode when another flow is open. ``explicit``:
        she asked for it (she is told to finish the open one first, rather than it being queued silently).
        ``variables``: the flow's ``var.*`` values from the start (the command ``command_offer`` asks about)."""
        flow = self.flows.flow(flow_name)
        active = await self.active(turn.session, turn.person.id, turn.now)
        group = prefetched(turn.session)
        if group is not None:
            group.forget(turn.person.id, conversation=True)  # what follows changes which conversation is open
        if active is not None and not self._make_way(turn, active, flow_name, mode or flow.start_mode, explicit):
            return False
        expires_at = turn.now + flow.expires_after if flow.expires_after else None
        row = _new_conversation(turn, flow_name, ConversationStatus.ACTIVE, expires_at=expires_at, version=flow.version)
        outcome = self.interpreter.start(flow_name, turn.context(), variables=variables)
        if flow.record == "checkin":
            outcome.state["record_id"] = await open_checkin(turn)  # writes the new conversation too
        else:
            await turn.session.flush()  # the conversation's id, for actions that name it
        await self.apply(turn, row, outcome)
        return True

    def _make_way(self, turn: Turn, active: Conversation, flow_name: str, mode: str, explicit: bool) -> bool:
        """What becomes of her open conversation when ``flow_name`` starts in ``mode``; whether it starts now
        (interrupt: the open one ends; nest: it waits to come back; wait: the new one waits its turn; skip,
        or she asked while in another flow: nothing starts, and she is asked to finish the open one)."""
        now = turn.now
        if mode == "interrupt":
            active.status = ConversationStatus.CANCELLED
            active.updated_at = now
            return True
        if mode == "nest":
            active.status = ConversationStatus.WAITING
            active.state = {**active.state, "suspended": True}
            active.updated_at = now
            return True
        if mode == "wait" and not explicit:
            _new_conversation(
                turn, flow_name, ConversationStatus.WAITING, expires_at=None, version=self.flows.flow(flow_name).version
            )
            return False
        if explicit:
            self.ask_again(turn, active, lead=self.flows.texts["finish_first"])
        return False

    # -- stepping on ---

    async def apply(self, turn: Turn, row: Conversation, outcome: Outcome) -> None:
        """Carry out what the interpreter decided: save, run actions, keep the position, say it, go on."""
        for item in outcome.saves:
            await save(turn, outcome.state, item.target, item.value, self.cipher)
        results = await self._run_actions(turn, row, outcome)
        if erased(turn.session, turn.person.id):
            # She was erased by this step: its goodbye is the last she hears; no flow goes on or comes back.
            self.render(turn, row.flow, outcome.state, outcome.messages, results)
            return
        row.step = outcome.step or row.step
        row.state = outcome.state
        flag_modified(row, "state")
        row.updated_at = turn.now
        if outcome.finished and row.status is ConversationStatus.ACTIVE:
            row.status = ConversationStatus.COMPLETED
        self.render(turn, row.flow, outcome.state, outcome.messages, results)
        if outcome.continue_after_actions and outcome.step is not None:
            # A ``wait`` action: its results become variables the rest of the flow can use (choices, texts).
            state = {**outcome.state, "vars": {**outcome.state.get("vars", {}), **_jsonable(results)}}
            await self.apply(turn, row, self.interpreter.proceed(row.flow, outcome.step, state, turn.context()))
            return
        if outcome.next_flow is not None:
            next_flow = self.router.own_flow(turn.person, outcome.next_flow)  # her role's menu, not the participant's
            await self.start_flow(turn, next_flow, explicit=True, mode="interrupt")
        elif outcome.finished:
            await self._continue_waiting(turn)

    async def _run_actions(self, turn: Turn, row: Conversation, outcome: Outcome) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for call in outcome.actions:
            context = ActionContext(
                session=turn.session,
                now=turn.now,
                person=turn.person,
                conversation=row,
                state=outcome.state,
                args=call.args,
                channel=turn.identity.channel,
                service=self.engine,
                coach_gender=turn.coach_gender,
            )
            results |= await self.actions.run(call.name, context)
        return results

    async def _continue_waiting(self, turn: Turn) -> None:
        """After a flow ends: go back to a flow it interrupted, or start one that was waiting its turn."""
        if turn.person.status is PersonStatus.STOPPED or erased(turn.session, turn.person.id):
            return
        waiting = await self._waiting(turn)
        suspended = [c for c in waiting if c.state.get("suspended")]
        if suspended:
            row = suspended[-1]
            if row.expires_at is not None and row.expires_at <= turn.now:
                row.status = ConversationStatus.EXPIRED
                return
            row.status = ConversationStatus.ACTIVE
            row.state = {k: v for k, v in row.state.items() if k != "suspended"}
            row.updated_at = turn.now
            self.ask_again(turn, row)
            return
        if waiting:
            queued = waiting[0]
            queued.status = ConversationStatus.CANCELLED  # replaced by the row start_flow makes
            await self.start_flow(turn, queued.flow, explicit=False)

    async def _waiting(self, turn: Turn) -> list[Conversation]:
        """Her waiting conversations, oldest first."""
        group = prefetched(turn.session)
        if group is not None and turn.person.id in group.waiting:
            return [c for c in group.waiting[turn.person.id] if c.status is ConversationStatus.WAITING]
        return list(
            await turn.session.scalars(
                select(Conversation)
                .where(Conversation.person_id == turn.person.id, Conversation.status == ConversationStatus.WAITING)
                .order_by(Conversation.id)
            )
        )

    def ask_again(self, turn: Turn, row: Conversation, lead: Text | None = None) -> None:
        outcome = self.interpreter.ask_again(row.flow, row.step, row.state, turn.context(), lead=lead)
        self.render(turn, row.flow, row.state, outcome.messages, {})

    # -- which is open ---

    async def active(self, session: AsyncSession, person_id: int, now: datetime) -> Conversation | None:
        """Her open conversation, if any. One past its expiry is closed here, on first sight."""
        group = prefetched(session)
        if group is not None and person_id in group.active:
            active = group.active[person_id]
            if active is not None and active.status is not ConversationStatus.ACTIVE:
                del group.active[person_id]  # a step of the group closed it: read again
                return await self.active(session, person_id, now)
        else:
            result = await session.scalars(
                select(Conversation)
                .where(Conversation.person_id == person_id, Conversation.status == ConversationStatus.ACTIVE)
                .order_by(Conversation.id.desc())
                .limit(1)
            )
            active = result.first()
        if active is not None and active.expires_at is not None and active.expires_at <= now:
            active.status = ConversationStatus.EXPIRED
            active.updated_at = now
            return None
        if active is not None:
            self._follow_flow_changes(active)
        return active

    def _follow_flow_changes(self, active: Conversation) -> None:
        """A conversation started in an older version of its flow continues at the step its wait step became
        (``Flow.step_now``); a step that is gone altogether gives way to the flow's first question, so she is
        asked again instead of being stuck."""
        flow = self.flows.flows.get(active.flow)
        if flow is None or not active.step or active.flow_version == flow.version:
            return
        step = flow.step_now(active.step, active.flow_version or 1)
        if step is None:
            step = next((s.id for s in flow.steps if s.ask is not None), flow.steps[0].id)
            log.warning("a conversation of flow %s waited at a step that is gone; asking its first question", flow.flow)
        active.step, active.flow_version = step, flow.version

    async def close_other_conversations(self, session: AsyncSession, person_id: int, keep: Conversation | None) -> None:
        rows = await session.scalars(
            select(Conversation).where(
                Conversation.person_id == person_id,
                Conversation.status.in_([ConversationStatus.ACTIVE, ConversationStatus.WAITING]),
            )
        )
        for row in rows:
            if keep is None or row.id != keep.id:
                row.status = ConversationStatus.CANCELLED

    # -- saying it ---

    def render(
        self,
        turn: Turn,
        flow_name: str,
        state: dict[str, Any],
        messages: list[Message],
        results: dict[str, Any],
    ) -> None:
        """``messages`` in her language, with her answers, the flow's variables and ``results`` to fill in."""
        locale = turn.person.locale
        context = turn.context()
        answers = state.get("answers", {})
        context |= {k: v for k, v in answers.items() if k not in context}
        context |= state.get("vars", {})
        context |= self.renderer.answer_labels(self.flows.flow(flow_name), answers, locale, state, context)
        context |= results
        to = addressee(flow_name)  # a coach flow's texts are addressed to her as a coach (decision 0016)
        for message in messages:
            turn.outgoing.append(self.renderer.message(message, locale, context, turn.person.timezone, to))


def _new_conversation(
    turn: Turn, flow_name: str, status: ConversationStatus, *, expires_at: datetime | None, version: int
) -> Conversation:
    """A new conversation of hers in ``flow_name``, at its start."""
    row = Conversation(
        person_id=turn.person.id,
        flow=flow_name,
        step="",
        flow_version=version,
        state={},
        status=status,
        started_at=turn.now,
        updated_at=turn.now,
        expires_at=expires_at,
    )
    turn.session.add(row)
    return row


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Action results as the conversation state can keep them (times as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
