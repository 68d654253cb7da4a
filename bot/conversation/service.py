"""Runs the interpreter for one inbound event inside the inbox's transaction: identify her, decide what her
message means (an invite code, a global command, an answer), run the flow step, save answers, run actions,
keep the position in ``conversations`` and write the replies as outbox rows. It never sends anything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ScalarSelect, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import flag_modified

from bot.conversation.actions import ActionContext, ActionRegistry
from bot.conversation.answers import simplify
from bot.conversation.flows import FlowSet, Text
from bot.conversation.interpreter import Interpreter, Message, Outcome, Reply, Translator
from bot.conversation.profile import (
    PERSON_FIELDS,
    context_for,
    save_to_checkin,
    save_to_person,
    save_to_profile,
)
from bot.conversation.render import Renderer
from bot.core import i18n
from bot.core.channel import Channel
from bot.core.crypto import Cipher
from bot.db.models import (
    Alert,
    CaseloadEntry,
    ChannelIdentity,
    CheckIn,
    Conversation,
    ConversationStatus,
    Invite,
    Organisation,
    Person,
    PersonStatus,
    Profile,
)
from bot.messaging.channel import EventKind, InboundEvent, OutboundMessage
from bot.messaging.inbound import FloodGate, Verdict, clean_event
from bot.messaging.rows import ALERT_PRIORITY, NUDGE_PRIORITY, REPLY_PRIORITY, outbox_row
from bot.messaging.unkept import anonymous_key, erased, forget_event_key, queue_farewell
from bot.people.caseload import reachable_identity
from bot.people.directory import INVITE_ALPHABET, INVITE_CODE_LENGTH, InviteTerms

log = logging.getLogger(__name__)

ONBOARDING_FLOW = "onboarding"
MENU_FLOW = "menu"
COMMAND_OFFER_FLOW = "command_offer"  # "did you also want ...?" after a free-text answer that was a command word
STOPPED_FLOW = "stopped"
# Commands a stopped person can still use; anything else offers to resume.
COMMANDS_WHILE_STOPPED = frozenset({"resume", "start", "help", "language", "stop", "mydata", "forget"})
# Flows whose questions a stopped person may still answer (deleting her data needs her "yes").
FLOWS_WHILE_STOPPED = frozenset({STOPPED_FLOW, "forget"})
_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_CODE_LENGTH}}}$")
REQUIRED_TEXTS = frozenset(
    {
        "reprompt_choice",
        "reprompt_text",
        "reprompt_number",
        "reprompt_date",
        "reprompt_time",
        "not_current",
        "skip",
        "done",
        "help_offer",
        "help_requested",
        "finish_first",
        "note_offer",
        "note_held",
        "note_sent",
        "exclusive_chosen",
        "stranger",
        "invite_invalid",
        "private_only",
        "coach_alert_contact_request",
        "coach_alert_stuck",
        "checkin_reminder",
        "flood_slow_down",
    }
)
REQUIRED_COMMANDS = frozenset({"start", "help", "menu", "language", "checkin", "pause", "resume", "stop", "coach"})


PREFETCHED = "trampoline_prefetched"  # the key of a group's ``Prefetched`` in ``session.info``


@dataclass
class Prefetched:
    """What the events of one inbox group need first, read with a handful of statements for the whole group
    instead of several for each event: who wrote (identity and person), her organisation, coach and profile,
    her open and waiting conversations and the check-in the open one fills in.

    Who wrote, and her organisation, coach and profile, are used once, by her first event of the group; her
    later events read them again. Her conversations stay until something changes which of them is open or
    waiting: ``start_flow`` (the only place a conversation is made or put to wait) forgets them for whoever
    it starts a flow for, and a conversation whose status another step changed (closed, expired, cancelled)
    is skipped and read again. ``_save`` forgets her context when it gives her a new profile. The objects are
    the session's own (its identity map), so a change another event makes to them is seen here too; ``keep``
    holds them so the identity map does not let them go."""

    identities: dict[tuple[Channel, str], tuple[ChannelIdentity, Person] | None] = field(default_factory=dict)
    contexts: dict[int, tuple[str, str | None, Profile | None, str | None]] = field(default_factory=dict)
    active: dict[int, Conversation | None] = field(default_factory=dict)
    waiting: dict[int, list[Conversation]] = field(default_factory=dict)
    keep: list[object] = field(default_factory=list)

    def forget(self, person_id: int, *, conversation: bool = False, context: bool = False) -> None:
        if conversation:
            self.active.pop(person_id, None)
            self.waiting.pop(person_id, None)
        if context:
            self.contexts.pop(person_id, None)


def prefetched(session: AsyncSession) -> Prefetched | None:
    found = session.info.get(PREFETCHED)
    return found if isinstance(found, Prefetched) else None


@dataclass
class Turn:
    """Everything one inbound event (or one scheduled nudge) leads to for one person."""

    session: AsyncSession
    now: datetime
    person: Person
    identity: ChannelIdentity
    event: InboundEvent | None  # None for a nudge the bot starts itself
    organisation: str
    coach: str | None
    profile: Profile | None
    coach_gender: str | None = None  # how texts about her coach speak of the coach (None: neutral wording)
    key: str = ""  # the outbox idempotency key prefix: "reply:<dedupe key>" or "nudge:<nudge key>"
    kind: str = "reply"
    priority: int = REPLY_PRIORITY
    stale_after: datetime | None = None
    outgoing: list[OutboundMessage] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        hint = self.event.language_hint if self.event is not None else None
        return context_for(
            self.person,
            self.profile,
            organisation=self.organisation,
            coach=self.coach,
            coach_gender=self.coach_gender,
            language_hint=i18n.locale_from_hint(hint),
        )


class ConversationService:
    def __init__(
        self,
        flows: FlowSet,
        catalogs: i18n.Catalogs,
        actions: ActionRegistry,
        cipher: Cipher,
        *,
        images: Path,
        invites: InviteTerms | None = None,
        lock_rows: bool = False,
        contacts: Callable[[ChannelIdentity], str | None] = lambda identity: None,
    ) -> None:
        """``images``: where charts and QR codes are written for the outbox to send (decision 0009).
        ``invites``: how invites made in the chat are made. ``lock_rows``: take a row lock on her identity
        while handling her event (PostgreSQL, where several workers may handle events at once; SQLite has
        one writer anyway). ``contacts``: how someone is reached on her channel (the adapters write it)."""
        self.contact_for = contacts
        self.images = images
        self.invites = invites or InviteTerms()
        self.lock_rows = lock_rows
        self.flows = flows
        self.catalogs = catalogs
        self.actions = actions
        self.cipher = cipher
        self.interpreter = Interpreter(flows)
        self.flood = FloodGate()
        self.renderer = Renderer(flows, catalogs)
        self._command_words = {locale: self._words_for(locale) for locale in i18n.SUPPORTED_LOCALES}

    def _words_for(self, locale: str) -> dict[str, str]:
        tr = self.catalogs.translations(locale)
        words: dict[str, str] = {}
        for command in self.flows.commands:
            for word in [*tr.pgettext("command", command.words).split("|"), *command.words.split("|")]:
                simple = simplify(word)
                if simple:
                    words.setdefault(simple, command.name)
        return words

    def onboarding_flow(self, person: Person) -> str:
        """Each role has its own first conversation (``buddy_onboarding``, ``coach_onboarding``) when that
        flow exists; participants, and any role without one, get ``onboarding``."""
        return self.own_flow(person, ONBOARDING_FLOW)

    def own_flow(self, person: Person, flow_name: str) -> str:
        """Her role's own version of ``flow_name`` (``coach_menu``, ``buddy_menu``) when there is one: a
        coach or a buddy never gets the participant's menu and its questions."""
        own = f"{person.role.value}_{flow_name}"
        return own if own in self.flows.flows else flow_name

    def translator(self, locale: str) -> Translator:
        return self.catalogs.translations(locale)

    # -- a group of inbound events ---

    async def prefetch(self, session: AsyncSession, events: Sequence[InboundEvent]) -> Prefetched:
        """Read what ``events`` will need first in two statements and keep it in the session for ``handle``
        (see ``Prefetched``): who wrote, with her organisation, coach and profile; then her open and waiting
        conversations, with the check-ins they fill in. On PostgreSQL the senders' identity rows are locked
        here, in id order."""
        found = Prefetched()
        session.info[PREFETCHED] = found
        senders: dict[Channel, set[str]] = {}
        for event in events:
            if not event.is_group:
                senders.setdefault(event.channel, set()).add(event.external_id)
        if not senders:
            return found
        for channel, external_ids in senders.items():
            found.identities.update(dict.fromkeys(((channel, e) for e in external_ids), None))
        query = (
            select(
                ChannelIdentity,
                Person,
                Organisation.name,
                _of_her_coach("display_name"),
                Profile,
                _of_her_coach("grammatical_gender"),
            )
            .join(Person, Person.id == ChannelIdentity.person_id)
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .outerjoin(Profile, Profile.person_id == Person.id)
            .where(
                or_(
                    *(
                        and_(ChannelIdentity.channel == channel, ChannelIdentity.external_id.in_(sorted(ids)))
                        for channel, ids in senders.items()
                    )
                )
            )
            .order_by(ChannelIdentity.id)
        )
        if self.lock_rows:
            query = query.with_for_update(of=ChannelIdentity)
        people: list[int] = []
        for identity, person, organisation, coach, profile, gender in await session.execute(query):
            found.identities[(identity.channel, identity.external_id)] = (identity, person)
            found.contexts[person.id] = (organisation or "", coach, profile, gender)
            people.append(person.id)
        if not people:
            return found
        found.active = dict.fromkeys(people, None)
        found.waiting = {person: [] for person in people}
        conversations = await session.execute(
            select(Conversation, CheckIn)
            .outerjoin(CheckIn, CheckIn.id == Conversation.state["record_id"].as_integer())
            .where(
                Conversation.person_id.in_(people),
                Conversation.status.in_([ConversationStatus.ACTIVE, ConversationStatus.WAITING]),
            )
            .order_by(Conversation.id)
        )
        for row, checkin in conversations:
            found.keep.append(row)
            if checkin is not None:
                found.keep.append(checkin)  # in the identity map, where ``_save`` finds it
            if row.status is ConversationStatus.WAITING:
                found.waiting[row.person_id].append(row)
            else:
                found.active[row.person_id] = row  # the newest one wins, as in ``_active``
        return found

    # -- one inbound event ---

    async def handle(self, session: AsyncSession, event: InboundEvent, now: datetime) -> int | None:
        """Process one event; return the person's id (None for a stranger or a group chat)."""
        event = clean_event(event)  # text cut, control and bidi characters neutralised (bot/messaging/inbound.py)
        flood = self.flood.check_event(event, now)
        if event.is_group:
            # The bot works in private chats only: one polite line to the group, nothing else kept.
            if flood is Verdict.OK:
                self._short_answer(session, event, now, "private_only")
            return None
        found = await self._identify(session, event)
        if found is None:
            person_id = await self._stranger(session, event, now) if flood is Verdict.OK else None
            if person_id is None:  # nothing about a stranger is kept, not even her platform's event id
                await forget_event_key(session, event.dedupe_key)
            return person_id
        identity, person = found
        identity.last_inbound_at = now
        turn = await self._turn(session, event, now, person, identity)
        if flood is Verdict.OK:
            await self._route(turn)
        elif flood is Verdict.WARN:  # answered once, kindly; then ignored until she calms down
            text = self.renderer.text(self.flows.texts["flood_slow_down"], person.locale, {})
            rtl = i18n.is_right_to_left(person.locale)
            turn.outgoing.append(OutboundMessage(text=text, locale=person.locale, right_to_left=rtl))
        if erased(session, person.id):  # she asked to forget her: only the goodbye goes, to her account
            queue_farewell(session, identity, turn.outgoing, turn.key, now)
            await forget_event_key(session, event.dedupe_key)
            return None
        self._queue(turn)
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

    async def _turn(
        self,
        session: AsyncSession,
        event: InboundEvent | None,
        now: datetime,
        person: Person,
        identity: ChannelIdentity,
    ) -> Turn:
        key = f"reply:{event.dedupe_key}" if event is not None else ""
        group = prefetched(session)
        if event is not None and group is not None and person.id in group.contexts:
            organisation, coach, profile, gender = group.contexts.pop(person.id)
            return Turn(session, now, person, identity, event, organisation, coach, profile, gender, key=key)
        # One round trip: her organisation's name, her coach's name and her profile.
        found = (await session.execute(_contexts([person.id]))).first()
        if found is None:
            return Turn(session, now, person, identity, event, "", None, None, key=key)
        return Turn(session, now, person, identity, event, found[1] or "", found[2], found[3], found[4], key=key)

    async def _route(self, turn: Turn) -> None:
        """What her message means. At a question that takes free text (a note, a name) it is her answer,
        word for word: only a /slash command interrupts, and a message that was exactly a command word is
        kept as her answer, then she is asked once whether she also wanted the command. At a choice
        question a command word that is not a choice works as a command. "Start" as the first word of a
        longer message means start only when no conversation is open
        (docs/decisions/0014-her-words-are-never-a-command.md)."""
        assert turn.event is not None
        person = turn.person
        active = await self._active(turn.session, person.id, turn.now)
        command = self._command(turn.event, person.locale, first_word=active is None)
        if command is not None and not self._allowed(command, person):
            command = None  # a coach tool typed by someone else is just her words
        offer: str | None = None
        if command is not None and active is not None and not _slash(turn.event) and self._takes_free_text(active):
            # Her words at a free-text question are her answer; she is asked afterwards about the command,
            # unless it is the very flow she is in.
            if self._command_flow(person, command) != active.flow:
                offer = command
            command = None
        if (
            command is not None
            and active is not None
            and not active.state.get("help_offered")
            and self.interpreter.is_choice_answer(
                active.flow, active.step, self._reply(turn.event), turn.context(), self.translator(person.locale)
            )
        ):
            command = None  # the word is one of the choices she is being offered: it is her answer
        if command == "start":
            # An invite link used again, or "start" typed: carry on where she is.
            if active is not None:
                self._ask_again(turn, active)
                return
            command = None if person.status is PersonStatus.INVITED else "menu"
        stopped = person.status is PersonStatus.STOPPED and command not in COMMANDS_WHILE_STOPPED
        if stopped and (active is None or active.flow not in FLOWS_WHILE_STOPPED):
            await self.start_flow(turn, STOPPED_FLOW, explicit=True, mode="interrupt")
            return
        if command is not None:
            flow_name = self._command_flow(person, command)
            if active is not None and active.flow == flow_name:
                self._ask_again(turn, active)
                return
            await self.start_flow(turn, flow_name, explicit=True)
            return
        if active is not None:
            outcome = self.interpreter.resume(
                active.flow,
                active.step,
                active.state,
                self._reply(turn.event),
                turn.context(),
                self.translator(person.locale),
            )
            if turn.event.channel is Channel.WHATSAPP:
                self._confirm_choices(turn, active, outcome)
            if offer is not None and COMMAND_OFFER_FLOW in self.flows.flows:
                await self._answer_then_offer(turn, active, outcome, offer)
                return
            await self._apply(turn, active, outcome)
            return
        if person.status is PersonStatus.INVITED:
            await self.start_flow(turn, self.onboarding_flow(person), explicit=True)
        else:
            await self.start_flow(turn, self.own_flow(person, MENU_FLOW), explicit=True)

    def _takes_free_text(self, active: Conversation) -> bool:
        """Whether her open question takes free text (``ask: text``): then her words are her answer."""
        if active.state.get("help_offered"):
            return False
        flow = self.flows.flows.get(active.flow)
        if flow is None or not active.step:
            return False
        try:
            step = flow.step(active.step)
        except KeyError:
            return False
        return step.ask == "text"

    def _command_flow(self, person: Person, command: str) -> str:
        return self.own_flow(person, next(c.flow for c in self.flows.commands if c.name == command))

    async def _answer_then_offer(self, turn: Turn, active: Conversation, outcome: Outcome, command: str) -> None:
        """Keep her message (exactly a command word) as her answer, then ask once whether she also wanted the
        command. The flow's next question waits: it is asked again after her answer to the offer (the offer
        nests), so she is never shown two questions at once."""
        if outcome.step is not None and outcome.messages and outcome.messages[-1].step == outcome.step:
            outcome.messages.pop()
        await self._apply(turn, active, outcome)
        if erased(turn.session, turn.person.id):
            return
        await self.start_flow(turn, COMMAND_OFFER_FLOW, explicit=False, mode="nest", variables={"command": command})

    def _confirm_choices(self, turn: Turn, active: Conversation, outcome: Outcome) -> None:
        """On WhatsApp a multiple choice is answered with typed numbers ("1 3 5"): say back what she chose."""
        step = self.flows.flow(active.flow).step(active.step)
        chosen = outcome.state.get("answers", {}).get(step.id)
        if (
            step.ask != "multi"
            or not chosen
            or outcome.step == active.step
            or "whatsapp_chosen" not in self.flows.texts
        ):
            return
        locale = turn.person.locale
        labels = self.renderer.answer_labels(self.flows.flow(active.flow), {step.id: chosen}, locale, active.state)
        lead = self.renderer.text(self.flows.texts["whatsapp_chosen"], locale, {})
        text = f"{lead} {i18n.listing(labels.get(f'{step.id}_labels', []), locale)}"
        turn.outgoing.append(OutboundMessage(text=text, locale=locale, right_to_left=i18n.is_right_to_left(locale)))

    def _command(self, event: InboundEvent, locale: str, *, first_word: bool = True) -> str | None:
        """The command her message names: a /slash command, a message that is exactly a command word, or
        (``first_word``, when no conversation is open) a longer message whose first word means start."""
        if event.kind is not EventKind.TEXT or not event.text:
            return None
        text = event.text.strip()
        if _slash(event):
            name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
            return name if name in {c.name for c in self.flows.commands} else None
        words = self._command_words.get(locale, {})
        simple = simplify(text)
        if simple in words:
            return words[simple]
        first = simple.split(" ", 1)[0] if simple and first_word else ""
        if first and words.get(first) == "start":
            return "start"
        return None

    def _allowed(self, command: str, person: Person) -> bool:
        roles = next((c.roles for c in self.flows.commands if c.name == command), [])
        return not roles or person.role.value in roles

    @staticmethod
    def _reply(event: InboundEvent) -> Reply:
        return Reply(
            text=event.text,
            choice=event.choice,
            choices=event.choices,
            media_kind=event.media_kind,
            media_ref=event.media_ref,
        )

    # -- starting, applying, continuing ---

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
        mode = mode or flow.start_mode
        session, now = turn.session, turn.now
        active = await self._active(session, turn.person.id, now)
        group = prefetched(session)
        if group is not None:
            group.forget(turn.person.id, conversation=True)  # what follows changes which conversation is open
        if active is not None:
            if mode == "interrupt":
                active.status = ConversationStatus.CANCELLED
                active.updated_at = now
            elif mode == "nest":
                active.status = ConversationStatus.WAITING
                active.state = {**active.state, "suspended": True}
                active.updated_at = now
            elif mode == "wait" and not explicit:
                session.add(
                    Conversation(
                        person_id=turn.person.id,
                        flow=flow_name,
                        step="",
                        state={},
                        status=ConversationStatus.WAITING,
                        started_at=now,
                        updated_at=now,
                        expires_at=None,
                    )
                )
                return False
            else:  # skip, or she asked for something while in the middle of another flow
                if explicit:
                    self._ask_again(turn, active, lead=self.flows.texts["finish_first"])
                return False
        row = Conversation(
            person_id=turn.person.id,
            flow=flow_name,
            step="",
            flow_version=flow.version,
            state={},
            status=ConversationStatus.ACTIVE,
            started_at=now,
            updated_at=now,
            expires_at=now + flow.expires_after if flow.expires_after else None,
        )
        session.add(row)
        outcome = self.interpreter.start(flow_name, turn.context(), variables=variables)
        if flow.record == "checkin":
            outcome.state["record_id"] = await self._open_checkin(turn)  # writes the new conversation too
        else:
            await session.flush()  # the conversation's id, for actions that name it
        await self._apply(turn, row, outcome)
        return True

    async def _apply(self, turn: Turn, row: Conversation, outcome: Outcome) -> None:
        for save in outcome.saves:
            await self._save(turn, row, outcome.state, save.target, save.value)
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
                service=self,
                coach_gender=turn.coach_gender,
            )
            results |= await self.actions.run(call.name, context)
        if erased(turn.session, turn.person.id):
            # She was erased by this step: its goodbye is the last she hears; no flow goes on or comes back.
            self._render(turn, row.flow, outcome.state, outcome.messages, results)
            return
        row.step = outcome.step or row.step
        row.state = outcome.state
        flag_modified(row, "state")
        row.updated_at = turn.now
        if outcome.finished and row.status is ConversationStatus.ACTIVE:
            row.status = ConversationStatus.COMPLETED
        self._render(turn, row.flow, outcome.state, outcome.messages, results)
        if outcome.continue_after_actions and outcome.step is not None:
            # A ``wait`` action: its results become variables the rest of the flow can use (choices, texts).
            state = {**outcome.state, "vars": {**outcome.state.get("vars", {}), **_jsonable(results)}}
            await self._apply(turn, row, self.interpreter.proceed(row.flow, outcome.step, state, turn.context()))
            return
        if outcome.next_flow is not None:
            next_flow = self.own_flow(turn.person, outcome.next_flow)  # her role's menu, not the participant's
            await self.start_flow(turn, next_flow, explicit=True, mode="interrupt")
        elif outcome.finished:
            await self._continue_waiting(turn)

    async def _continue_waiting(self, turn: Turn) -> None:
        """After a flow ends: go back to a flow it interrupted, or start one that was waiting its turn."""
        if turn.person.status is PersonStatus.STOPPED or erased(turn.session, turn.person.id):
            return
        group = prefetched(turn.session)
        if group is not None and turn.person.id in group.waiting:
            waiting = [c for c in group.waiting[turn.person.id] if c.status is ConversationStatus.WAITING]
        else:
            waiting = list(
                await turn.session.scalars(
                    select(Conversation)
                    .where(
                        Conversation.person_id == turn.person.id,
                        Conversation.status == ConversationStatus.WAITING,
                    )
                    .order_by(Conversation.id)
                )
            )
        suspended = [c for c in waiting if c.state.get("suspended")]
        if suspended:
            row = suspended[-1]
            if row.expires_at is not None and row.expires_at <= turn.now:
                row.status = ConversationStatus.EXPIRED
                return
            row.status = ConversationStatus.ACTIVE
            row.state = {k: v for k, v in row.state.items() if k != "suspended"}
            row.updated_at = turn.now
            self._ask_again(turn, row)
            return
        if waiting:
            queued = waiting[0]
            queued.status = ConversationStatus.CANCELLED  # replaced by the row start_flow makes
            await self.start_flow(turn, queued.flow, explicit=False)

    def _ask_again(self, turn: Turn, row: Conversation, lead: Text | None = None) -> None:
        outcome = self.interpreter.ask_again(row.flow, row.step, row.state, turn.context(), lead=lead)
        self._render(turn, row.flow, row.state, outcome.messages, {})

    async def _active(self, session: AsyncSession, person_id: int, now: datetime) -> Conversation | None:
        """Her open conversation, if any. One past its expiry is closed here, on first sight."""
        group = prefetched(session)
        if group is not None and person_id in group.active:
            active = group.active[person_id]
            if active is not None and active.status is not ConversationStatus.ACTIVE:
                del group.active[person_id]  # a step of the group closed it: read again
                return await self._active(session, person_id, now)
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

    # -- saving ---

    async def _save(self, turn: Turn, row: Conversation, state: dict[str, Any], target: str, value: Any) -> None:
        scope, _, name = target.partition(".")
        if scope == "profile":
            if name in PERSON_FIELDS:
                save_to_person(turn.person, name, value)
                turn.person.updated_at = turn.now
            else:
                if turn.profile is None:
                    turn.profile = Profile(person_id=turn.person.id, languages=[], interests=[], availability=[])
                    turn.session.add(turn.profile)
                    group = prefetched(turn.session)
                    if group is not None:
                        group.forget(turn.person.id, context=True)
                save_to_profile(turn.profile, name, value)
                turn.profile.updated_at = turn.now
        elif scope == "record":
            checkin = await turn.session.get(CheckIn, state.get("record_id"))
            if checkin is not None:
                save_to_checkin(checkin, name, value, self.cipher)

    async def _open_checkin(self, turn: Turn) -> int:
        """A new check-in for this week (the ISO week in her time zone). Checking in again the same week makes
        another record: her first note and her "contact me" are kept (decision 0015)."""
        year, week, _ = turn.now.astimezone(ZoneInfo(turn.person.timezone)).isocalendar()
        label = f"{year}-W{week:02d}"
        checkin = CheckIn(person_id=turn.person.id, week=label, steps=[], obstacles=[], started_at=turn.now)
        turn.session.add(checkin)
        await turn.session.flush()  # its id, and the conversation just made
        return checkin.id

    # -- messages ---

    def _render(
        self,
        turn: Turn,
        flow_name: str,
        state: dict[str, Any],
        messages: list[Message],
        results: dict[str, Any],
    ) -> None:
        locale = turn.person.locale
        context = turn.context()
        answers = state.get("answers", {})
        context |= {k: v for k, v in answers.items() if k not in context}
        context |= state.get("vars", {})
        context |= self.renderer.answer_labels(self.flows.flow(flow_name), answers, locale, state)
        context |= results
        for message in messages:
            turn.outgoing.append(self.renderer.message(message, locale, context, turn.person.timezone))

    def _queue(self, turn: Turn) -> None:
        if turn.identity.blocked_at is not None:
            return
        for number, message in enumerate(turn.outgoing):
            row = outbox_row(
                f"{turn.key}:{number}",
                message,
                turn.now,
                person_id=turn.person.id,
                identity=turn.identity,
                kind=turn.kind,
                priority=turn.priority,
            )
            row.stale_after = turn.stale_after
            turn.session.add(row)

    async def alert_coach(self, session: AsyncSession, participant: Person, kind: str, now: datetime) -> Alert:
        """Record an alert for her coach and, when the coach is on a channel, tell her at once."""
        coach = await session.scalar(
            select(Person)
            .join(CaseloadEntry, CaseloadEntry.coach_id == Person.id)
            .where(CaseloadEntry.participant_id == participant.id, CaseloadEntry.ended_at.is_(None))
            .limit(1)
        )
        alert = Alert(participant_id=participant.id, coach_id=coach.id if coach else None, kind=kind, created_at=now)
        session.add(alert)
        await session.flush()
        log.info("alert %s for person %s (coach %s)", kind, participant.id, coach.id if coach else None)
        if coach is None:
            return alert
        identity = await reachable_identity(session, coach.id)
        text_key = f"coach_alert_{kind}" if f"coach_alert_{kind}" in self.flows.texts else "coach_alert_contact_request"
        if identity is not None:
            text = self.renderer.text(
                self.flows.texts[text_key],
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

    # -- nudges the bot starts itself ---

    async def _nudge_turn(self, session: AsyncSession, person: Person, key: str, now: datetime) -> Turn | None:
        """A turn for a message the bot starts: sent on the channel she used last (not one she blocked)."""
        identity = await reachable_identity(session, person.id)
        if identity is None:
            return None
        turn = await self._turn(session, None, now, person, identity)
        turn.key, turn.kind, turn.priority = key, "nudge", NUDGE_PRIORITY
        return turn

    async def start_scheduled(
        self, session: AsyncSession, person: Person, flow_name: str, *, key: str, now: datetime, stale_after: datetime
    ) -> str:
        """Start ``flow_name`` because its time has come (not because she asked). Returns what happened:
        ``started``, or the reason it did not (the flow waits behind an open one, or she has no channel)."""
        turn = await self._nudge_turn(session, person, key, now)
        if turn is None:
            return "she has no channel the bot can write to"
        active = await self._active(session, person.id, now)
        if active is not None and active.flow == flow_name:
            return "this flow is already open"
        turn.stale_after = stale_after
        started = await self.start_flow(turn, flow_name, explicit=False)
        self._queue(turn)
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
        active = await self._active(session, person.id, now)
        if active is None or active.flow != flow_name:
            return "nothing open to remind her of"
        if active.expires_at is not None and active.expires_at <= now:
            return "the conversation has closed"
        turn = await self._nudge_turn(session, person, key, now)
        if turn is None:
            return "she has no channel the bot can write to"
        turn.kind = "reminder"
        turn.stale_after = active.expires_at
        self._ask_again(turn, active, lead=self.flows.texts[lead])
        self._queue(turn)
        return "reminded"

    # -- someone the bot does not know yet ---

    async def _stranger(self, session: AsyncSession, event: InboundEvent, now: datetime) -> int | None:
        """A first message: an invite code links her account and starts onboarding; anything else gets a
        short answer and nothing about her is kept."""
        code = self._invite_code(event)
        hint = i18n.locale_from_hint(event.language_hint)
        if code is not None:
            invite = await session.scalar(select(Invite).where(Invite.code == code))
            if invite is not None and invite.used_at is None and invite.expires_at > now:
                person = await session.get(Person, invite.person_id)
                if person is not None:
                    invite.used_at = now
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
                    turn = await self._turn(session, event, now, person, identity)
                    if hint is not None and person.status is PersonStatus.INVITED:
                        person.locale = hint if hint in self.catalogs.available() else person.locale
                    await self.start_flow(turn, self.onboarding_flow(person), explicit=False, mode="interrupt")
                    self._queue(turn)
                    return person.id
            text_key = "invite_invalid"
        else:
            text_key = "stranger"
        self._short_answer(session, event, now, text_key)
        return None

    def _short_answer(self, session: AsyncSession, event: InboundEvent, now: datetime, text_key: str) -> None:
        """One line to whoever wrote (addressed by platform id), in her phone's language when there is a
        catalog for it."""
        hint = i18n.locale_from_hint(event.language_hint)
        locale = hint if hint in self.catalogs.available() else i18n.DEFAULT_LOCALE
        text = self.renderer.text(self.flows.texts[text_key], locale, {})
        message = OutboundMessage(text=text, locale=locale, right_to_left=i18n.is_right_to_left(locale))
        key = f"reply:{anonymous_key(event.dedupe_key)}:0"  # the platform's event id can hold her number
        session.add(outbox_row(key, message, now, recipient=(event.channel, event.external_id)))

    def _invite_code(self, event: InboundEvent) -> str | None:
        if event.kind is not EventKind.TEXT or not event.text:
            return None
        words = event.text.strip().split()
        candidates = [words[-1]] if words else []
        for candidate in candidates:
            code = candidate.upper().strip("/")
            if _CODE.match(code):
                return code
        return None


def _slash(event: InboundEvent) -> bool:
    """A /slash command (Telegram's menu, or typed): the one thing that interrupts a free-text question."""
    return event.kind is EventKind.TEXT and bool(event.text) and (event.text or "").strip().startswith("/")


def _of_her_coach(column: str) -> ScalarSelect[str]:
    """``column`` (``display_name``, ``grammatical_gender``) of the coach of the ``Person`` of the enclosing
    query (correlated)."""
    coach = aliased(Person)
    return (
        select(getattr(coach, column))
        .join(CaseloadEntry, CaseloadEntry.coach_id == coach.id)
        .where(CaseloadEntry.participant_id == Person.id, CaseloadEntry.ended_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )


def _contexts(people: Sequence[int]) -> Select[int, str | None, str | None, Profile | None, str | None]:
    """For each of ``people``: her id, her organisation's name, her coach's name, her profile and the coach's
    grammatical gender."""
    return (
        select(
            Person.id, Organisation.name, _of_her_coach("display_name"), Profile, _of_her_coach("grammatical_gender")
        )
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(Profile, Profile.person_id == Person.id)
        .where(Person.id.in_(people))
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Action results as the conversation state can keep them (times as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
