"""The pure interpreter of flows.

Given a flow, the saved position (step and state) and what she just did, it returns the new position, the
messages to send, the values to save and the actions to run. It touches no database and no channel, so it is
tested alone; ``bot/conversation/service.py`` runs it inside the inbox transaction and carries out the result.

Texts are not rendered here: messages carry message ids and the renderer fills them in her language, after
the actions have run (so a closing message can name what an action counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.conversation import answers
from bot.conversation.flows import Condition, Flow, FlowSet, Step
from bot.conversation.understanding import (
    CONTRADICTS,
    button_step,
    button_value,
    is_long,
    understand,
    wants_note_sent,
)

# Reading her reply is understanding.py's; what callers use of it is the interpreter's vocabulary too, so they
# import it from here.
from bot.conversation.understanding import NOTE_VALUE as NOTE_VALUE
from bot.conversation.understanding import SKIP_VALUE as SKIP_VALUE
from bot.conversation.understanding import English as English
from bot.conversation.understanding import Reply as Reply
from bot.conversation.understanding import Translator as Translator
from bot.conversation.understanding import button_id as button_id
from bot.conversation.understanding import options_for as options_for
from bot.conversation.wording import Choice, Text

MAX_STEPS_PER_RUN = 200  # a flow that loops without asking anything stops here instead of hanging
MISSES_BEFORE_HELP = 3
HELP_STEP = "_help"
FREE_TEXT_GIVEN = "given"  # what the state keeps of a free-text answer: that she gave one, not what she said
# A sentence she sent at a choice question is kept (encrypted, by the action ``note.hold``) under this key of
# the state, and the question gets one more button, ``NOTE_VALUE``: "send this to my coach as a note"
# (``note.send``). Answering the question drops it. Decision 0015.
HELD_NOTES = "held_notes"
HOLD_NOTE_ACTION = "note.hold"
SEND_NOTE_ACTION = "note.send"


class FlowLoopError(Exception):
    """A flow ran more than ``MAX_STEPS_PER_RUN`` steps without waiting for an answer."""


@dataclass(frozen=True)
class Message:
    """One message to send, not yet in her language."""

    text: Text
    lead: Text | None = None  # said before the text, in the same message ("Sorry, I did not understand.")
    step: str | None = None  # set for a question: button ids are "step|value"
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    skippable: bool = False
    suggested: str | None = None  # the value offered first, marked
    note_offer: bool = False  # one more button: send the sentence she sent here to her coach as a note


@dataclass(frozen=True)
class Save:
    target: str  # profile.FIELD, record.FIELD or var.NAME
    value: Any


@dataclass(frozen=True)
class ActionCall:
    name: str
    args: Mapping[str, Any]


@dataclass
class Outcome:
    flow: str
    step: str | None  # the question she is now asked; None when the flow has finished
    state: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    actions: list[ActionCall] = field(default_factory=list)
    next_flow: str | None = None  # a start_flow step hands over to this flow
    # An action step with ``wait``: run the actions, put their results in the state's vars, then call
    # ``proceed`` from ``step``.
    continue_after_actions: bool = False

    @property
    def finished(self) -> bool:
        return self.step is None


def new_state() -> dict[str, Any]:
    return {"answers": {}, "vars": {}, "misses": 0}


class Interpreter:
    def __init__(self, flows: FlowSet) -> None:
        self.flows = flows

    # -- entry points ---

    def start(self, flow_name: str, context: Mapping[str, Any], variables: Mapping[str, Any] | None = None) -> Outcome:
        """``variables``: ``var.*`` values the flow starts with (what the service already knows)."""
        flow = self.flows.flow(flow_name)
        outcome = Outcome(flow.flow, None, new_state())
        outcome.state["vars"].update(variables or {})
        return self._run(flow, flow.steps[0].id, outcome, _with_state(context, outcome.state))

    def proceed(self, flow_name: str, step_id: str, state: Mapping[str, Any], context: Mapping[str, Any]) -> Outcome:
        """Carry on from ``step_id`` after the actions of a ``wait`` step ran (their results are in vars)."""
        flow = self.flows.flow(flow_name)
        outcome = Outcome(flow.flow, None, _copy_state(state))
        return self._run(flow, step_id, outcome, _with_state(context, outcome.state))

    def resume(
        self,
        flow_name: str,
        step_id: str,
        state: Mapping[str, Any],
        reply: Reply,
        context: Mapping[str, Any],
        tr: Translator | None = None,
    ) -> Outcome:
        """Her reply to the question at ``step_id``. ``tr`` is her language, so typed labels are understood."""
        tr = tr or English()
        flow = self.flows.flow(flow_name)
        outcome = Outcome(flow.flow, step_id, _copy_state(state))
        context = _with_state(context, outcome.state)
        if outcome.state.get("help_offered"):
            return self._answer_help_offer(flow, step_id, outcome, reply, dict(context), tr)
        step = flow.step(step_id)
        if reply.choice and button_step(reply.choice) not in (step.id, None):
            # A button of an earlier question: not her mistake, so not a miss. Ask the current one again.
            outcome.messages.append(self._question(step, context, lead=self.flows.texts["not_current"]))
            return outcome
        if outcome.state.get(HELD_NOTES) and self._wants_note_sent(step, reply, context, tr):
            notes = outcome.state.pop(HELD_NOTES)
            outcome.actions.append(ActionCall(SEND_NOTE_ACTION, {"notes": notes}))
            outcome.messages.append(self._question(step, context, lead=self.flows.texts["note_sent"]))
            return outcome
        if step.ask == "multi" and reply.confirmed and not reply.choices:
            # "Done" with nothing ticked: not her mistake, so not a miss. Ask again, saying how.
            outcome.messages.append(self._question(step, context, lead=self.flows.texts["nothing_ticked"]))
            return outcome
        understood, value = self._understand(step, reply, context, tr)
        if value == CONTRADICTS:
            # Understood, but it says "nothing" and something else: not her mistake, so not a miss.
            outcome.messages.append(self._question(step, context, lead=self.flows.texts["exclusive_chosen"]))
            return outcome
        if not understood:
            if step.ask in ("choice", "multi", "yesno") and is_long(reply.text):
                outcome.actions.append(ActionCall(HOLD_NOTE_ACTION, {"text": str(reply.text).strip()}))
                return self._missed(flow, step, outcome, dict(context), holding=True)
            return self._missed(flow, step, outcome, dict(context))
        outcome.state["misses"] = 0
        outcome.state.pop(HELD_NOTES, None)  # she answered: her sentence was not meant for her coach
        local = dict(context)
        self._record(step, value, outcome, local)
        return self._run(flow, step.next or flow.following(step.id), outcome, local)

    def is_choice_answer(
        self,
        flow_name: str,
        step_id: str,
        reply: Reply,
        context: Mapping[str, Any],
        tr: Translator | None = None,
    ) -> bool:
        """True when ``reply`` names a choice of the open question: then a typed word that is also a
        command ("Language" among the obstacles) is her answer, not the command."""
        step = self.flows.flow(flow_name).step(step_id)
        if step.ask not in ("choice", "multi", "yesno") or reply.text is None:
            return False
        understood, _ = self._understand(step, reply, _with_state(context, {}), tr or English())
        return understood

    def ask_again(
        self,
        flow_name: str,
        step_id: str,
        state: Mapping[str, Any],
        context: Mapping[str, Any],
        lead: Text | None = None,
    ) -> Outcome:
        """The current question once more (after a nested flow, or when she needs to finish this first)."""
        flow = self.flows.flow(flow_name)
        outcome = Outcome(flow.flow, step_id, _copy_state(state))
        outcome.messages.append(self._question(flow.step(step_id), _with_state(context, outcome.state), lead=lead))
        return outcome

    # -- running ---

    def _run(self, flow: Flow, step_id: str | None, outcome: Outcome, context: dict[str, Any]) -> Outcome:
        ran = 0
        while step_id is not None:
            ran += 1
            if ran > MAX_STEPS_PER_RUN:
                raise FlowLoopError(f"flow {flow.flow!r} ran {MAX_STEPS_PER_RUN} steps without asking anything")
            step = flow.step(step_id)
            if step.when is not None and not self._holds(step.when, outcome.state, context):
                step_id = step.next or flow.following(step.id)
                continue
            if step.say is not None:
                outcome.messages.append(Message(step.say))
            elif step.ask is not None:
                outcome.step = step.id
                outcome.messages.append(self._question(step, context))
                return outcome
            elif step.action is not None:
                outcome.actions.append(ActionCall(step.action, dict(step.args)))
                if step.wait:
                    following = step.next or flow.following(step.id)
                    if following is not None and not step.end:
                        outcome.step = following
                        outcome.continue_after_actions = True
                        return outcome
            elif step.branch is not None:
                target = next(
                    (r.goto for r in step.branch if r.when is None or self._holds(r.when, outcome.state, context)),
                    None,
                )
                if target is not None:
                    step_id = target
                    continue
            elif step.start_flow is not None:
                outcome.next_flow = step.start_flow
                break
            if step.end:
                break
            step_id = step.next or flow.following(step.id)
        outcome.step = None
        return outcome

    def _ordered(self, step: Step, context: Mapping[str, Any]) -> tuple[tuple[Choice, ...], str | None]:
        """The choices in the order she sees them (a suggested one first) and the suggested value."""
        choices = tuple(self.flows.choices(step, context.get(STATE_KEY)))
        if step.suggest is not None:
            # Suggested values are codes (a locale like ``fa_AF``) and choice values are lower case
            # (``fa_af``): they match whatever their case.
            wanted = str(context.get(step.suggest) or "").lower()
            first = [c for c in choices if wanted and c.value.lower() == wanted]
            if first:
                return (first[0], *(c for c in choices if c is not first[0])), first[0].value
        return choices, None

    def _question(
        self, step: Step, context: Mapping[str, Any], lead: Text | None = None, holding: bool = False
    ) -> Message:
        """``holding``: a sentence she sent here is being kept now (the offer shows before the state has it)."""
        assert step.text is not None
        choices, suggested = self._ordered(step, context)
        state = context.get(STATE_KEY) or {}
        return Message(
            text=step.text,
            lead=lead,
            step=step.id,
            choices=choices,
            multiple=step.ask == "multi",
            skippable=step.optional,
            suggested=suggested,
            note_offer=step.ask in ("choice", "multi", "yesno") and (holding or bool(state.get(HELD_NOTES))),
        )

    # -- understanding ---

    def _understand(self, step: Step, reply: Reply, context: Mapping[str, Any], tr: Translator) -> tuple[bool, Any]:
        ordered, _ = self._ordered(step, context)
        return understand(step, reply, ordered, self.flows.texts["skip"], tr)

    def _wants_note_sent(self, step: Step, reply: Reply, context: Mapping[str, Any], tr: Translator) -> bool:
        ordered, _ = self._ordered(step, context)
        return wants_note_sent(step, reply, ordered, self.flows.texts["note_offer"], tr)

    def _record(self, step: Step, value: Any, outcome: Outcome, context: dict[str, Any]) -> None:
        """Keep the answer in the state (free text only as 'given') and queue its save."""
        if value is None:  # skipped
            outcome.state["answers"][step.id] = None
            return
        choices = {c.value: c for c in self.flows.choices(step, context.get(STATE_KEY))}
        if step.ask in ("choice", "yesno"):
            kept: Any = value
            saved = choices[value].saved
        elif step.ask == "multi":
            kept = value
            saved = [choices[v].saved for v in value]
        elif step.ask == "text":
            kept = FREE_TEXT_GIVEN
            saved = value
        else:
            kept = saved = value
        outcome.state["answers"][step.id] = kept
        if step.save is None:
            return
        outcome.saves.append(Save(step.save, saved))
        scope, _, name = step.save.partition(".")
        if scope == "var":
            outcome.state["vars"][name] = saved
        elif scope == "profile" and step.ask != "text":
            context[name] = saved  # later conditions in this run see the new value

    def _missed(
        self, flow: Flow, step: Step, outcome: Outcome, context: dict[str, Any], holding: bool = False
    ) -> Outcome:
        """``holding``: what she sent is a sentence, kept to be offered to her coach as a note."""
        misses = int(outcome.state.get("misses", 0)) + 1
        outcome.state["misses"] = misses
        if misses < MISSES_BEFORE_HELP:
            if holding:
                lead = self.flows.texts["note_held"]
            else:
                lead = self.flows.texts[
                    "reprompt_choice" if step.ask in ("choice", "multi", "yesno") else f"reprompt_{step.ask}"
                ]
            outcome.messages.append(self._question(step, context, lead=lead, holding=holding))
            return outcome
        # Three misses: offer a person instead of looping.
        outcome.state["help_offered"] = True
        outcome.messages.append(
            Message(
                text=self.flows.texts["help_offer"],
                step=HELP_STEP,
                choices=tuple(self.flows.choice_lists["yesno"]),
            )
        )
        return outcome

    def _answer_help_offer(
        self,
        flow: Flow,
        step_id: str,
        outcome: Outcome,
        reply: Reply,
        context: dict[str, Any],
        tr: Translator,
    ) -> Outcome:
        outcome.state["help_offered"] = False
        outcome.state["misses"] = 0
        value = button_value(reply.choice) if reply.choice and button_step(reply.choice) == HELP_STEP else None
        if value is None and reply.text is not None:
            value = answers.match_choice(reply.text, options_for(self.flows.choice_lists["yesno"], tr))
        lead = None
        if value == "yes":
            outcome.actions.append(ActionCall("coach.contact_request", {"reason": "stuck"}))
            lead = self.flows.texts["help_requested"]
        outcome.messages.append(self._question(flow.step(step_id), context, lead=lead))
        return outcome

    # -- conditions ---

    def _holds(self, condition: Condition, state: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
        if condition.all is not None:
            return all(self._holds(c, state, context) for c in condition.all)
        if condition.any is not None:
            return any(self._holds(c, state, context) for c in condition.any)
        if condition.answer is not None:
            value = state["answers"].get(condition.answer)
        elif condition.profile is not None:
            value = context.get(condition.profile)
        else:
            value = state["vars"].get(condition.var or "")
        if condition.is_set is not None:
            return (value not in (None, [], "")) == condition.is_set
        if condition.equals is not None:
            return bool(value == condition.equals)
        if condition.not_equals is not None:
            return bool(value != condition.not_equals)
        if condition.in_ is not None:
            return value in condition.in_
        if condition.contains is not None:
            return isinstance(value, list) and condition.contains in value
        if not isinstance(value, int | float):
            return False
        if condition.gte is not None:
            return value >= condition.gte
        return condition.lte is not None and value <= condition.lte


STATE_KEY = "_state"  # where the run keeps the conversation state in its context (for var.* choice lists)


def _with_state(context: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {**context, STATE_KEY: state}


def _copy_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A copy the run may change; keys the service keeps there (the record's id) are carried along."""
    copied = dict(state)
    copied["answers"] = dict(state.get("answers", {}))
    copied["vars"] = dict(state.get("vars", {}))
    copied["misses"] = int(state.get("misses", 0))
    return copied
