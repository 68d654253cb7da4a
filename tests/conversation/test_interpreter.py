"""The pure interpreter: flows run without a database or a channel."""

from __future__ import annotations

from typing import Any

import pytest

from bot.conversation.interpreter import (
    HELP_STEP,
    SKIP_VALUE,
    Interpreter,
    Outcome,
    Reply,
    Translator,
    button_id,
)
from bot.conversation.wording import GenderedText
from tests.support.harness import conversations

CONTEXT: dict[str, Any] = {"name": "Amina", "organisation": "Foyer", "coach": "Sara", "language_hint": "ar"}


@pytest.fixture
def interpreter() -> Interpreter:
    flows, _ = conversations()
    return Interpreter(flows)


class Talk:
    """Drives one flow through the interpreter, as the service would, keeping the position."""

    def __init__(self, interpreter: Interpreter, flow: str, tr: Translator | None = None) -> None:
        self.interpreter = interpreter
        self.tr = tr
        self.outcome = interpreter.start(flow, CONTEXT)
        self.saves: dict[str, Any] = {}
        self.actions: list[str] = []
        self._collect(self.outcome)

    def _collect(self, outcome: Outcome) -> None:
        self.saves |= {s.target: s.value for s in outcome.saves}
        self.actions += [a.name for a in outcome.actions]

    def reply(self, **reply: Any) -> Outcome:
        assert self.outcome.step is not None, "the flow has finished"
        self.outcome = self.interpreter.resume(
            self.outcome.flow, self.outcome.step, self.outcome.state, Reply(**reply), CONTEXT, self.tr
        )
        self._collect(self.outcome)
        return self.outcome

    def text(self, text: str) -> Outcome:
        return self.reply(text=text)

    def proceed(self, **results: Any) -> Outcome:
        """After an action that waits: go on with what it returned."""
        assert self.outcome.step is not None and self.outcome.continue_after_actions
        state = {**self.outcome.state, "vars": {**self.outcome.state.get("vars", {}), **results}}
        self.outcome = self.interpreter.proceed(self.outcome.flow, self.outcome.step, state, CONTEXT)
        self._collect(self.outcome)
        return self.outcome

    def press(self, value: str) -> Outcome:
        assert self.outcome.step is not None
        return self.reply(choice=button_id(self.outcome.step, value))

    @property
    def step(self) -> str | None:
        return self.outcome.step


def test_checkin_in_english_by_numbers_labels_and_buttons(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "checkin")
    assert talk.step == "mood"
    question = talk.outcome.messages[-1]
    assert [c.value for c in question.choices] == ["1", "2", "3", "4", "5"]
    talk.text("4")
    assert (talk.step, talk.saves["record.mood"]) == ("steps", 4)
    talk.text("volunteer work, a job step")
    assert talk.saves["record.steps"] == ["volunteer", "job"]
    talk.proceed(extra_question="no")  # a job step: which one (her steps, issue 21)
    assert talk.step == "which_step"
    talk.text("my CV is ready")
    talk.reply(choices=(button_id("obstacles", "childcare"), button_id("obstacles", "language")))
    assert talk.saves["record.obstacles"] == ["childcare", "language"]
    talk.reply(media_kind="voice", media_ref="file-1")
    assert talk.saves["record.note"] == {"media": "voice", "ref": "file-1"}
    assert talk.outcome.state["answers"]["note"] == "given"  # the state keeps no free text
    talk.press("no")
    assert talk.step is None
    assert talk.actions == [
        "her_steps.extra_this_week",
        "her_steps.record",
        "checkin.complete",
        "coaching.forward_note",
    ]
    assert talk.saves["record.wants_contact"] is False
    closing = talk.outcome.messages[-1].text
    assert not isinstance(closing, str) and "{steps_labels}" in closing.plural


def test_none_with_other_steps_is_asked_again_not_as_a_miss(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "checkin")
    talk.text("5")
    again = talk.text("1 6")  # "Talk with my coach" and "Nothing this week": which one is right?
    assert again.step == "steps" and again.messages[-1].lead == interpreter.flows.texts["exclusive_chosen"]
    assert "record.steps" not in talk.saves and again.state["misses"] == 0
    talk.text("1")
    assert talk.saves["record.steps"] == ["coaching"]


def test_a_quiet_week_gets_its_own_closing(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "checkin")
    for answer in ("3", "nothing this week", "nothing"):
        talk.text(answer)
    talk.press(SKIP_VALUE)
    assert "record.note" not in talk.saves
    talk.press("yes")
    messages = [m.text for m in talk.outcome.messages]
    said = [m.text if isinstance(m, GenderedText) else m for m in messages]  # a text about her coach
    assert any(isinstance(m, str) and "told your coach" in m for m in said)
    assert "Every week is different" in str(messages[-1])


def test_unclear_answers_are_asked_again_then_help_is_offered(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "checkin")
    for attempt in (1, 2):
        talk.text("banana")
        (message,) = talk.outcome.messages
        assert message.lead == interpreter.flows.texts["reprompt_choice"]
        assert message.step == "mood" and len(message.choices) == 5
        assert talk.outcome.state["misses"] == attempt
    talk.text("banana")
    (offer,) = talk.outcome.messages
    assert offer.step == HELP_STEP and offer.text == interpreter.flows.texts["help_offer"]
    talk.text("yes")
    assert talk.actions == ["coach.contact_request"]
    (again,) = talk.outcome.messages
    assert again.lead == interpreter.flows.texts["help_requested"] and again.step == "mood"
    assert talk.outcome.state["misses"] == 0
    talk.text("2")
    assert talk.step == "steps"


def test_declining_help_just_asks_again(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "checkin")
    for _ in range(3):
        talk.text("?")
    talk.reply(choice=button_id(HELP_STEP, "no"))
    assert talk.actions == []
    assert talk.step == "mood" and talk.outcome.messages[-1].lead is None


def test_a_button_from_an_earlier_question_is_not_a_miss(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "checkin")
    talk.text("4")
    talk.reply(choice=button_id("mood", "2"))
    assert talk.step == "steps"
    assert talk.outcome.state["misses"] == 0
    assert talk.outcome.messages[-1].lead == interpreter.flows.texts["not_current"]


def test_onboarding_skips_child_questions_without_children(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "onboarding")
    assert talk.step == "language"
    question = talk.outcome.messages[-1]
    # Her platform said Arabic: Arabic is offered first and marked.
    assert question.suggested == "ar" and question.choices[0].value == "ar"
    first = question.choices[0].value
    talk.press(first)
    assert talk.saves["profile.locale"] == first
    talk.press("yes")  # consent
    assert talk.actions == ["consent.grant"]
    talk.text("Amina")
    assert talk.saves["profile.display_name"] == {"text": "Amina"}
    talk.press("25_40")
    talk.press("no")  # children
    assert talk.step == "schooling"
    talk.press(SKIP_VALUE)
    assert "profile.schooling" not in talk.saves
    talk.press("no")  # paid job
    assert talk.saves["profile.ever_paid_job"] is False
    talk.text("1 3")
    assert talk.saves["profile.languages"] == ["ar", "ps"]
    for _ in ("local_language", "interests", "availability"):
        talk.press(SKIP_VALUE)
    talk.text("friday")
    assert talk.saves["profile.checkin_weekday"] == 4
    talk.text("2")
    assert talk.saves["profile.checkin_time"] == "14:00"
    talk.text("1")
    assert talk.saves["profile.quiet_hours"] == "21:00-08:00"
    assert talk.step is None
    assert talk.actions == ["consent.grant", "onboarding.complete", "trajectory.start"]


def test_onboarding_asks_about_childcare_when_she_has_children(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "onboarding")
    talk.press(talk.outcome.messages[-1].choices[0].value)
    talk.press("yes")
    talk.text("Amina")
    talk.press(SKIP_VALUE)
    talk.text("yes")
    assert talk.step == "childcare"
    talk.text("yes")
    assert talk.step == "single_parent"


def test_saying_no_to_consent_ends_kindly_and_saves_nothing(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "onboarding")
    talk.press(talk.outcome.messages[-1].choices[0].value)
    talk.text("no")
    assert talk.step is None
    assert talk.actions == ["consent.decline"]
    assert set(talk.saves) == {"profile.locale"}
    assert "will not save" in str(talk.outcome.messages[-1].text)


def test_the_menu_hands_over_to_the_chosen_flow(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "menu")
    talk.text("weekly check-in")
    assert talk.step is None and talk.outcome.next_flow == "checkin"


def test_pause_keeps_the_weeks_for_its_action(interpreter: Interpreter) -> None:
    talk = Talk(interpreter, "pause")
    talk.text("2")
    assert talk.outcome.state["vars"] == {"weeks": 2}
    assert talk.actions == ["person.pause"]


def test_a_flow_that_never_asks_cannot_hang(interpreter: Interpreter) -> None:
    from bot.conversation.flows import Flow, Step
    from bot.conversation.interpreter import FlowLoopError

    flows = interpreter.flows
    loop = Flow(flow="loop", steps=[Step(id="a", say="x", next="b"), Step(id="b", say="y", next="a")])
    flows.flows["loop"] = loop
    try:
        with pytest.raises(FlowLoopError):
            interpreter.start("loop", CONTEXT)
    finally:
        del flows.flows["loop"]


LOCALES = [code for code in ("ar", "nl") if code in conversations()[1].available()]


@pytest.mark.parametrize("locale", LOCALES)
def test_checkin_typed_in_her_language(interpreter: Interpreter, locale: str) -> None:
    tr = conversations()[1].translations(locale)
    talk = Talk(interpreter, "checkin", tr)
    talk.text(tr.gettext("Good").upper() if locale == "nl" else tr.gettext("Good"))
    assert talk.saves["record.mood"] == 4
    talk.text(f"{tr.gettext('Volunteer work')}، {tr.gettext('A job step')}" if locale == "ar" else "٢ ٣")
    assert talk.saves["record.steps"] == ["volunteer", "job"]
    talk.proceed(extra_question="no")
    talk.text(tr.gettext("Job interview"))
    talk.text(tr.gettext("Childcare"))
    assert talk.saves["record.obstacles"] == ["childcare"]
    talk.text(tr.gettext("Skip"))
    assert "record.note" not in talk.saves
    yes = tr.pgettext("words", "yes|ok|okay|sure|y").split("|")[-1]
    talk.text(yes)
    assert talk.saves["record.wants_contact"] is True
    assert talk.step is None and talk.actions == [
        "her_steps.extra_this_week",
        "her_steps.record",
        "checkin.complete",
        "coaching.forward_note",
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_onboarding_typed_in_her_language(interpreter: Interpreter, locale: str) -> None:
    tr = conversations()[1].translations(locale)
    talk = Talk(interpreter, "onboarding", tr)
    talk.text("1")  # the suggested language comes first
    talk.text(tr.gettext("Yes"))
    talk.text("Amina")
    talk.text(tr.gettext("41 or older"))
    talk.text(tr.gettext("No"))
    talk.text(tr.gettext("Higher education"))
    talk.text(tr.gettext("Skip"))
    talk.text(f"{tr.gettext('Arabic')}, {tr.gettext('French')}")
    assert talk.saves["profile.languages"] == ["ar", "fr"]
    talk.text(tr.gettext("A little"))
    talk.text("2 4")
    talk.text(tr.gettext("Weekend"))
    talk.text(tr.gettext("Sunday"))
    talk.text(tr.gettext("Evening (19:00)"))
    talk.text("٢" if locale == "ar" else "2")
    assert talk.step is None
    assert talk.saves["profile.age_group"] == "41_plus"
    assert talk.saves["profile.has_children"] is False
    assert talk.saves["profile.schooling"] == "higher"
    assert talk.saves["profile.interests"] == ["children", "sewing"]
    assert talk.saves["profile.availability"] == ["weekend"]
    assert (talk.saves["profile.checkin_weekday"], talk.saves["profile.checkin_time"]) == (6, "19:00")
    assert talk.saves["profile.quiet_hours"] == "22:00-07:00"
    assert talk.actions == ["consent.grant", "onboarding.complete", "trajectory.start"]


def test_an_action_that_waits_feeds_its_results_to_a_question(interpreter: Interpreter) -> None:
    from bot.conversation.flows import Flow, Step

    flows = interpreter.flows
    flows.flows["pick"] = Flow(
        flow="pick",
        steps=[
            Step(id="find", action="people.find", wait=True),
            Step(id="who", ask="choice", text="Who?", choices="var.people", save="var.chosen"),
            Step(id="done", say="You chose {who_labels}.", end=True),
        ],
    )
    try:
        outcome = interpreter.start("pick", CONTEXT)
        assert outcome.continue_after_actions and outcome.step == "who"
        assert [a.name for a in outcome.actions] == ["people.find"]
        state = {
            **outcome.state,
            "vars": {"people": [{"value": "p7", "label": "Amina"}, {"value": "p9", "label": "Hana"}]},
        }
        outcome = interpreter.proceed("pick", "who", state, CONTEXT)
        (question,) = outcome.messages
        assert [(c.value, c.label) for c in question.choices] == [("p7", "Amina"), ("p9", "Hana")]
        outcome = interpreter.resume("pick", "who", outcome.state, Reply(text="hana"), CONTEXT)
        assert outcome.finished and outcome.saves[0].value == "p9"
    finally:
        del flows.flows["pick"]
