"""Flows as data: the YAML schema of ``conversations/*.yaml`` (steps, flows, the flow set). Their words are
``wording.py``; loading and the checks the schema cannot make are ``flow_loading.py``.

A coordinator edits these files; a mistake must fail at start with one line that names the file, the step
and the problem (``FlowError``), never later in front of a participant. Texts are English gettext message
ids; their translations live in ``locales/``.

Files whose name starts with ``_`` are not flows: ``_choices.yaml`` (shared choice lists),
``_commands.yaml`` (global command words) and ``_texts.yaml`` (texts the engine itself says).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.conversation.wording import (
    Choice,
    GenderedText,
    NamedText,
    PlainText,
    PluralText,
    Text,
    address_contexts,
    addressee,
)

STEP_ID = r"^[a-z][a-z0-9_]{0,31}$"
MAX_BUTTON_DATA_BYTES = 64  # Telegram's callback_data limit
AskKind = Literal["choice", "multi", "yesno", "text", "number", "date", "time"]
StartMode = Literal["interrupt", "wait", "skip", "nest"]
RecordKind = Literal["checkin"]


class FlowError(Exception):
    """A flow file is broken. The message is one line: file, step, problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # the same as the words' (wording.py)


class Condition(_Model):
    """``{answer: STEP | profile: FIELD | var: NAME, <operator>: value}`` or ``{all: [...]}``/``{any: [...]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    answer: str | None = None
    profile: str | None = None
    var: str | None = None
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    contains: Any = None
    is_set: bool | None = None
    gte: float | None = None
    lte: float | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        groups = [g for g in (self.all, self.any) if g is not None]
        subjects = [s for s in (self.answer, self.profile, self.var) if s is not None]
        operators = [
            name
            for name in ("equals", "not_equals", "in_", "contains", "is_set", "gte", "lte")
            if getattr(self, name) is not None
        ]
        if groups:
            if subjects or operators or len(groups) > 1:
                raise ValueError("a condition is either all/any of conditions, or one test")
            return self
        if len(subjects) != 1:
            raise ValueError("a condition names exactly one of answer, profile or var")
        if len(operators) != 1:
            raise ValueError("a condition has exactly one of equals, not_equals, in, contains, is_set, gte, lte")
        return self

    def subjects(self) -> Iterator[Condition]:
        for group in (self.all or [], self.any or []):
            for condition in group:
                yield from condition.subjects()
        if self.all is None and self.any is None:
            yield self


class BranchRule(_Model):
    when: Condition | None = None  # no condition: always
    goto: str


class Step(_Model):
    id: Annotated[str, Field(pattern=STEP_ID)]
    when: Condition | None = None  # the step is skipped when this is false
    next: str | None = None  # where to go afterwards; default: the following step
    end: bool = False  # the flow ends after this step

    say: Text | None = None
    ask: AskKind | None = None
    text: Text | None = None
    # Inline; the name of a list in _choices.yaml; or ``var.NAME``: a list an earlier action made
    # (``[{value, label}, ...]``, labels shown as they are: names, places).
    choices: list[Choice] | str | None = None
    # multi: values that cannot be combined with others ("none"): together with another, she is asked again
    exclusive: list[str] = []
    suggest: str | None = None  # a profile field whose value is offered first, marked
    optional: bool = False  # a skip button is added; skipping saves nothing
    save: str | None = None  # profile.FIELD, record.FIELD or var.NAME
    min: float | None = None
    max: float | None = None

    action: str | None = None
    args: dict[str, Any] = {}
    wait: bool = False  # run the action now and continue with its results in var.* (for choices, texts)

    branch: list[BranchRule] | None = None
    start_flow: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("say", "ask", "action", "branch", "start_flow") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(f"a step does one thing, this one has {', '.join(kinds)}")
        if not kinds and not self.end:
            raise ValueError("a step needs one of say, ask, action, branch, start_flow or end")
        if self.end and self.next:
            raise ValueError("a step that ends the flow has no next")
        if self.ask is None:
            for name in ("text", "choices", "suggest", "save", "min", "max"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} belongs to an ask step")
            if self.optional or self.exclusive:
                raise ValueError("optional and exclusive belong to an ask step")
        else:
            if self.text is None:
                raise ValueError("an ask step needs text")
            needs_choices = self.ask in ("choice", "multi")
            if needs_choices and not self.choices:
                raise ValueError(f"ask: {self.ask} needs choices")
            if not needs_choices and self.choices is not None:
                raise ValueError(f"ask: {self.ask} takes no choices")
            if self.exclusive and self.ask != "multi":
                raise ValueError("exclusive belongs to a multiple choice (ask: multi)")
        if self.args and self.action is None:
            raise ValueError("args belong to an action step")
        if self.wait and self.action is None:
            raise ValueError("wait belongs to an action step")
        return self

    @property
    def kind(self) -> str:
        for name in ("say", "ask", "action", "branch", "start_flow"):
            if getattr(self, name) is not None:
                return name
        return "end"


class FlowChange(_Model):
    """What one version of a flow changed that open conversations must follow: ``renamed`` maps a step id
    of the version before to the step a woman waiting there continues at."""

    renamed: dict[Annotated[str, Field(pattern=STEP_ID)], Annotated[str, Field(pattern=STEP_ID)]] = {}


class Flow(_Model):
    flow: Annotated[str, Field(pattern=STEP_ID)]
    # The flow's version, raised whenever a step an open conversation can wait at is renamed or removed;
    # ``changes`` says, per version, where a woman waiting at an old step id continues. A file without a
    # version is version 1. Conversations store the version they were started in (decision 0023).
    version: Annotated[int, Field(ge=1)] = 1
    changes: dict[int, FlowChange] = {}
    description: str = ""
    expires_after: timedelta | None = None
    start_mode: StartMode = "interrupt"
    record: RecordKind | None = None
    steps: list[Step]

    @field_validator("expires_after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None or isinstance(value, timedelta):
            return value
        match = re.fullmatch(r"(\d+)\s*([mhd])", str(value).strip())
        if not match:
            raise ValueError("use a number and a unit, like 30m, 12h or 3d")
        amount, unit = int(match.group(1)), match.group(2)
        return timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount if unit == "h" else amount * 24)

    @field_validator("steps")
    @classmethod
    def _steps(cls, steps: list[Step]) -> list[Step]:
        if not steps:
            raise ValueError("a flow needs at least one step")
        seen: set[str] = set()
        for step in steps:
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} is used twice")
            seen.add(step.id)
        return steps

    @model_validator(mode="after")
    def _changes_lead_to_steps(self) -> Flow:
        for number in self.changes:
            if not 2 <= number <= self.version:
                raise ValueError(f"changes: version {number} is not between 2 and this flow's version {self.version}")
        for number, change in self.changes.items():
            for old in change.renamed:
                if self.step_now(old, number - 1) is None:
                    raise ValueError(f"changes: {number}: step {old!r} leads to no step of version {self.version}")
        return self

    def step_now(self, step_id: str, version: int) -> str | None:
        """Where a woman who waits at ``step_id`` of ``version`` of this flow continues in this version: the
        step renamed through every later version's changes, or None when that step is no longer here."""
        for number in range(version + 1, self.version + 1):
            change = self.changes.get(number)
            if change is not None:
                step_id = change.renamed.get(step_id, step_id)
        return step_id if any(step.id == step_id for step in self.steps) else None

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def following(self, step_id: str) -> str | None:
        ids = [s.id for s in self.steps]
        index = ids.index(step_id)
        return ids[index + 1] if index + 1 < len(ids) else None


class Command(_Model):
    name: Annotated[str, Field(pattern=STEP_ID)]
    flow: str
    words: str  # msgid whose translation lists the words, separated by |
    roles: list[str] = []  # only people with one of these roles can use it (coach tools); empty: everyone


class CommandFile(_Model):
    commands: list[Command]


class ChoiceFile(_Model):
    lists: dict[str, list[Choice]]


class TextFile(_Model):
    texts: dict[str, PlainText]


class EngineTextFile(_Model):
    texts: dict[str, PlainText | GenderedText]  # some speak of her coach (decision 0016)


@dataclass(frozen=True)
class Vocabulary:
    """What flows may refer to, declared by the Python side: actions (with the values they return),
    profile fields, and the fields of each record kind."""

    actions: Mapping[str, frozenset[str]]
    profile_fields: frozenset[str]
    record_fields: Mapping[str, frozenset[str]]
    context_names: frozenset[str]  # names every text may use, like {name}, {organisation}, {coach}
    required_texts: frozenset[str]
    required_commands: frozenset[str]


@dataclass
class FlowSet:
    """All flows, shared choice lists, command words and engine texts, loaded and checked together."""

    flows: dict[str, Flow]
    choice_lists: dict[str, list[Choice]]
    commands: list[Command]
    texts: dict[str, Text]
    sources: dict[str, Path] = field(default_factory=dict)

    def flow(self, name: str) -> Flow:
        return self.flows[name]

    def choices(self, step: Step, state: Mapping[str, Any] | None = None) -> list[Choice]:
        """The step's choices; for ``var.NAME`` lists, made from the conversation's state."""
        if step.ask == "yesno":
            return self.choice_lists["yesno"]
        if isinstance(step.choices, str):
            if step.choices.startswith("var."):
                made = (state or {}).get("vars", {}).get(step.choices[4:], [])
                return [Choice(value=str(c["value"]), label=str(c["label"]), translate=False) for c in made]
            return self.choice_lists[step.choices]
        return list(step.choices or [])

    def msgids(self) -> Iterator[tuple[str, str | None, str | None]]:
        """Every translatable text as (msgid, plural msgid, context)."""
        for text in self.texts.values():
            yield from _text_ids(text)
        for command in self.commands:
            yield command.words, None, "command"
        for choices in self.choice_lists.values():
            yield from _choice_ids(choices)
        for flow in self.flows.values():
            to = addressee(flow.flow)
            for step in flow.steps:
                for said in (step.say, step.text):
                    if said is not None:
                        yield from _text_ids(said) if to is None else _addressed_ids(said, to)
                if isinstance(step.choices, list):
                    yield from _choice_ids(step.choices)


def _text_ids(text: Text) -> Iterator[tuple[str, str | None, str | None]]:
    if isinstance(text, PluralText):
        yield text.singular, text.plural, None
    elif isinstance(text, NamedText):
        for named in (True, False):  # each with her coach's gender variants when it is about her coach
            yield from _text_ids(text.said(named))
    elif isinstance(text, GenderedText):
        yield text.text, None, None
        for context in text.contexts():
            yield text.text, None, context
    else:
        yield text, None, None


def _addressed_ids(text: Text, to: str) -> Iterator[tuple[str, str | None, str | None]]:
    for msgid, plural, _ in _text_ids(text):
        for context in address_contexts(to):
            yield msgid, plural, context


def _choice_ids(choices: Iterable[Choice]) -> Iterator[tuple[str, str | None, str | None]]:
    for choice in choices:
        if choice.translate:
            yield choice.label, None, None
        for context in choice.label_contexts():
            yield choice.label, None, context
        if choice.words:
            yield choice.words, None, "words"
