"""One inbound event from a private chat: who wrote (a stranger goes to ``strangers``), the flood gate, what
her message means (``routing``), and the step it leads to; then her replies become outbox rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.flows import FlowSet
from bot.conversation.interpreter import Interpreter, Outcome
from bot.conversation.lifecycle import Lifecycle
from bot.conversation.prefetch import prefetched
from bot.conversation.render import Renderer
from bot.conversation.routing import COMMAND_OFFER_FLOW, MENU_FLOW, STOPPED_FLOW, Router, reply_of
from bot.conversation.strangers import Strangers
from bot.conversation.turn import Turn, make_turn, queue
from bot.core import i18n
from bot.db.models import ChannelIdentity, Conversation, Person, PersonStatus
from bot.messaging.channel import InboundEvent, OutboundMessage
from bot.messaging.inbound import FloodGate, Verdict, clean_event
from bot.messaging.unkept import erased, forget_event_key, queue_farewell


class EventHandler:
    def __init__(
        self,
        flows: FlowSet,
        interpreter: Interpreter,
        renderer: Renderer,
        router: Router,
        lifecycle: Lifecycle,
        strangers: Strangers,
        *,
        lock_rows: bool,
    ) -> None:
        self.flows = flows
        self.interpreter = interpreter
        self.renderer = renderer
        self.router = router
        self.lifecycle = lifecycle
        self.strangers = strangers
        self.lock_rows = lock_rows

    async def handle(self, session: AsyncSession, event: InboundEvent, now: datetime, flood: FloodGate) -> int | None:
        """Process one event; return the person's id (None for a stranger or a group chat)."""
        event = clean_event(event)  # text cut, control and bidi characters neutralised (bot/messaging/inbound.py)
        verdict = flood.check_event(event, now)
        if event.is_group:
            # The bot works in private chats only: one polite line to the group, nothing else kept.
            if verdict is Verdict.OK:
                self.strangers.short_answer(session, event, now, "private_only")
            return None
        found = await self._identify(session, event)
        if found is None:
            person_id = await self.strangers.first_message(session, event, now) if verdict is Verdict.OK else None
            if person_id is None:  # nothing about a stranger is kept, not even her platform's event id
                await forget_event_key(session, event.dedupe_key)
            return person_id
        identity, person = found
        identity.last_inbound_at = now
        turn = await make_turn(session, event, now, person, identity)
        if verdict is Verdict.OK:
            await self._route(turn, event)
        elif verdict is Verdict.WARN:  # answered once, kindly; then ignored until she calms down
            text = self.renderer.text(self.flows.texts["flood_slow_down"], person.locale, {})
            rtl = i18n.is_right_to_left(person.locale)
            turn.outgoing.append(OutboundMessage(text=text, locale=person.locale, right_to_left=rtl))
        if erased(session, person.id):  # she asked to forget her: only the goodbye goes, to her account
            queue_farewell(session, identity, turn.outgoing, turn.key, now)
            await forget_event_key(session, event.dedupe_key)
            return None
        queue(turn)
        return person.id

    async def _identify(self, session: AsyncSession, event: InboundEvent) -> tuple[ChannelIdentity, Person] | None:
        group = prefetched(session)
        if group is not None and (event.channel, event.external_id) in group.identities:
            return group.identities.pop((event.channel, event.external_id))
        query = (
            select(ChannelIdentity, Person)
            .join(Person, Person.id == ChannelIdentity.person_id)
            .where(ChannelIdentity.channel == event.channel, ChannelIdentity.external_id == event.external_id)
        )
        if self.lock_rows:
            # One person's events are handled strictly in order, also across workers.
            query = query.with_for_update(of=ChannelIdentity)
        row = (await session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def _route(self, turn: Turn, event: InboundEvent) -> None:
        """Do what her message means (``Router.meaning``)."""
        person = turn.person
        active = await self.lifecycle.active(turn.session, person.id, turn.now)
        meaning = self.router.meaning(event, person, active, turn.context)
        if meaning.again and active is not None:
            self.lifecycle.ask_again(turn, active)
        elif meaning.stopped:
            await self.lifecycle.start_flow(turn, STOPPED_FLOW, explicit=True, mode="interrupt")
        elif meaning.command is not None:
            await self.lifecycle.start_flow(turn, self.router.command_flow(person, meaning.command), explicit=True)
        elif active is not None:
            await self._answer(turn, event, active, meaning.offer)
        elif person.status is PersonStatus.INVITED:
            await self.lifecycle.start_flow(turn, self.router.onboarding_flow(person), explicit=True)
        else:
            await self.lifecycle.start_flow(turn, self.router.own_flow(person, MENU_FLOW), explicit=True)

    async def _answer(self, turn: Turn, event: InboundEvent, active: Conversation, offer: str | None) -> None:
        """Her message is her answer to the open question; ``offer``: the command word it was, asked about
        afterwards."""
        tr = self.router.catalogs.translations(turn.person.locale)
        outcome = self.interpreter.resume(active.flow, active.step, active.state, reply_of(event), turn.context(), tr)
        if event.typed_choices:
            self._confirm_choices(turn, active, outcome)
        if offer is not None and COMMAND_OFFER_FLOW in self.flows.flows:
            await self._answer_then_offer(turn, active, outcome, offer)
            return
        await self.lifecycle.apply(turn, active, outcome)

    async def _answer_then_offer(self, turn: Turn, active: Conversation, outcome: Outcome, command: str) -> None:
        """Keep her message (exactly a command word) as her answer, then ask once whether she also wanted the
        command. The flow's next question waits: it is asked again after her answer to the offer (the offer
        nests), so she is never shown two questions at once."""
        if outcome.step is not None and outcome.messages and outcome.messages[-1].step == outcome.step:
            outcome.messages.pop()
        await self.lifecycle.apply(turn, active, outcome)
        if erased(turn.session, turn.person.id):
            return
        variables = {"command": command}
        await self.lifecycle.start_flow(turn, COMMAND_OFFER_FLOW, explicit=False, mode="nest", variables=variables)

    def _confirm_choices(self, turn: Turn, active: Conversation, outcome: Outcome) -> None:
        """Where a multiple choice is answered with typed numbers ("1 3 5"), her platform having no buttons to
        tick (``InboundEvent.typed_choices``): say back what she chose."""
        step = self.flows.flow(active.flow).step(active.step)
        chosen = outcome.state.get("answers", {}).get(step.id)
        if (
            step.ask != "multi"
            or not chosen
            or outcome.step == active.step
            or "typed_choices_chosen" not in self.flows.texts
        ):
            return
        locale = turn.person.locale
        labels = self.renderer.answer_labels(self.flows.flow(active.flow), {step.id: chosen}, locale, active.state)
        lead = self.renderer.text(self.flows.texts["typed_choices_chosen"], locale, {})
        text = f"{lead} {i18n.listing(labels.get(f'{step.id}_labels', []), locale)}"
        turn.outgoing.append(OutboundMessage(text=text, locale=locale, right_to_left=i18n.is_right_to_left(locale)))
