"""What her message means, before anything is run: an invite code, a /slash command, a command word, or her
answer to the open question (docs/decisions/0014-her-words-are-never-a-command.md). Pure: no database, no
I/O; the flows, the catalogs and the interpreter are all it needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.conversation.answers import simplify
from bot.conversation.flows import FlowSet
from bot.conversation.interpreter import Interpreter, Reply
from bot.core import i18n
from bot.db.models import Conversation, Person, PersonStatus
from bot.messaging.channel import EventKind, InboundEvent
from bot.people.directory import INVITE_ALPHABET, INVITE_CODE_LENGTH

ONBOARDING_FLOW = "onboarding"
MENU_FLOW = "menu"
COMMAND_OFFER_FLOW = "command_offer"  # "did you also want ...?" after a free-text answer that was a command word
STOPPED_FLOW = "stopped"
# Commands a stopped person can still use; anything else offers to resume.
COMMANDS_WHILE_STOPPED = frozenset({"resume", "start", "help", "language", "stop", "mydata", "forget"})
# Flows whose questions a stopped person may still answer (deleting her data needs her "yes").
FLOWS_WHILE_STOPPED = frozenset({STOPPED_FLOW, "forget"})
_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_CODE_LENGTH}}}$")


@dataclass(frozen=True)
class Meaning:
    """What her message means for the conversation she is in. At most one of ``again``, ``stopped`` and
    ``command`` holds; when none does, her message is her answer to the open question (or, with none open,
    the start of her onboarding or her menu)."""

    again: bool = False  # ask the open question again: "start" while in a flow, or the command of that flow
    stopped: bool = False  # she stopped and this is not a command she can still use: offer to resume
    command: str | None = None  # start this command's flow
    offer: str | None = None  # her answer was exactly this command word: ask afterwards whether she meant it


def is_slash(event: InboundEvent) -> bool:
    """A /slash command (Telegram's menu, or typed): the one thing that interrupts a free-text question."""
    return event.kind is EventKind.TEXT and bool(event.text) and (event.text or "").strip().startswith("/")


def invite_code(event: InboundEvent) -> str | None:
    """The invite code her message ends with (a code alone, ``/start CODE``, or a sentence ending in it)."""
    if event.kind is not EventKind.TEXT or not event.text:
        return None
    words = event.text.strip().split()
    candidates = [words[-1]] if words else []
    for candidate in candidates:
        code = candidate.upper().strip("/")
        if _CODE.match(code):
            return code
    return None


def reply_of(event: InboundEvent) -> Reply:
    """Her message as the interpreter reads an answer."""
    return Reply(
        text=event.text,
        choice=event.choice,
        choices=event.choices,
        confirmed=event.kind is EventKind.CHOICES,
        media_kind=event.media_kind,
        media_ref=event.media_ref,
    )


class Router:
    """Which command a message names for her, and what it means at the question she is at."""

    def __init__(self, flows: FlowSet, catalogs: i18n.Catalogs, interpreter: Interpreter) -> None:
        self.flows = flows
        self.catalogs = catalogs
        self.interpreter = interpreter
        self.command_words = {locale: self._words_for(locale) for locale in i18n.SUPPORTED_LOCALES}

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

    def command_flow(self, person: Person, command: str) -> str:
        return self.own_flow(person, next(c.flow for c in self.flows.commands if c.name == command))

    def command(self, event: InboundEvent, locale: str, *, first_word: bool = True) -> str | None:
        """The command her message names: a /slash command, a message that is exactly a command word, or
        (``first_word``, when no conversation is open) a longer message whose first word means start."""
        if event.kind is not EventKind.TEXT or not event.text:
            return None
        text = event.text.strip()
        if is_slash(event):
            name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
            return name if name in {c.name for c in self.flows.commands} else None
        words = self.command_words.get(locale, {})
        simple = simplify(text)
        if simple in words:
            return words[simple]
        first = simple.split(" ", 1)[0] if simple and first_word else ""
        if first and words.get(first) == "start":
            return "start"
        return None

    def allowed(self, command: str, person: Person) -> bool:
        roles = next((c.roles for c in self.flows.commands if c.name == command), [])
        return not roles or person.role.value in roles

    def takes_free_text(self, active: Conversation) -> bool:
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

    def meaning(
        self,
        event: InboundEvent,
        person: Person,
        active: Conversation | None,
        context: Callable[[], dict[str, Any]],
    ) -> Meaning:
        """What her message means at her open conversation ``active`` (None: none is open). At a question
        that takes free text (a note, a name) it is her answer, word for word: only a /slash command
        interrupts, and a message that was exactly a command word is kept as her answer, then she is asked
        once whether she also wanted the command. At a choice question a command word that is not a choice
        works as a command. "Start" as the first word of a longer message means start only when no
        conversation is open. ``context``: her texts' context, for reading a choice."""
        command, offer = self._command_at(event, person, active, context)
        if command == "start":
            # An invite link used again, or "start" typed: carry on where she is.
            if active is not None:
                return Meaning(again=True)
            command = None if person.status is PersonStatus.INVITED else "menu"
        stopped = person.status is PersonStatus.STOPPED and command not in COMMANDS_WHILE_STOPPED
        if stopped and (active is None or active.flow not in FLOWS_WHILE_STOPPED):
            return Meaning(stopped=True)
        if command is not None:
            if active is not None and active.flow == self.command_flow(person, command):
                return Meaning(again=True)
            return Meaning(command=command)
        return Meaning(offer=offer)

    def _command_at(
        self,
        event: InboundEvent,
        person: Person,
        active: Conversation | None,
        context: Callable[[], dict[str, Any]],
    ) -> tuple[str | None, str | None]:
        """The command her message names at ``active``, and the command to offer after her answer."""
        command = self.command(event, person.locale, first_word=active is None)
        if command is not None and not self.allowed(command, person):
            command = None  # a coach tool typed by someone else is just her words
        if command is None or active is None:
            return command, None
        if not is_slash(event) and self.takes_free_text(active):
            # Her words at a free-text question are her answer; she is asked afterwards about the command,
            # unless it is the very flow she is in.
            return None, (command if self.command_flow(person, command) != active.flow else None)
        if not active.state.get("help_offered") and self.interpreter.is_choice_answer(
            active.flow, active.step, reply_of(event), context(), self.catalogs.translations(person.locale)
        ):
            return None, None  # the word is one of the choices she is being offered: it is her answer
        return command, None
