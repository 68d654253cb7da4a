"""Flows as data: the YAML schema of ``conversations/*.yaml``, loading, and validation.

A coordinator edits these files; a mistake must fail at start with one line that names the file, the step
and the problem (``FlowError``), never later in front of a participant. Texts are English gettext message
ids; their translations live in ``locales/``.

Files whose name starts with ``_`` are not flows: ``_choices.yaml`` (shared choice lists),
``_commands.yaml`` (global command words) and ``_texts.yaml`` (texts the engine itself says).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

STEP_ID = r"^[a-z][a-z0-9_]{0,31}$"
CHOICE_VALUE = r"^[a-z0-9_]{1,24}$"
MAX_BUTTON_DATA_BYTES = 64  # Telegram's callback_data limit
AskKind = Literal["choice", "multi", "yesno", "text", "number", "date", "time"]
StartMode = Literal["interrupt", "wait", "skip", "nest"]
RecordKind = Literal["checkin"]


class FlowError(Exception):
    """A flow file is broken. The message is one line: file, step, problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PluralText(_Model):
    singular: str
    plural: str
    count: str  # the name of the number that picks the plural form


# Who a gendered text speaks of; the conversation context holds ``<about>_gender``.
GENDERED_ABOUT = ("coach",)
GENDERS = ("feminine", "masculine")


class NamedText(_Model):
    """A text with ``{name}``, which is empty when she gave no name, and the same text without it: the
    renderer says ``without_name`` when the name is empty ("Nice to meet you!", not "Nice to meet you, !").
    With ``about: coach`` both speak of her coach, each given per gender like a ``GenderedText``."""

    text: str
    without_name: str
    about: str | None = None

    @model_validator(mode="after")
    def _name_in_one(self) -> NamedText:
        if "{name}" not in self.text or "{name}" in self.without_name:
            raise ValueError("'text' says {name} and 'without_name' does not")
        if self.about is not None and self.about not in GENDERED_ABOUT:
            raise ValueError(f"'about' must be one of {', '.join(GENDERED_ABOUT)}, not {self.about!r}")
        return self

    def msgids(self) -> list[str]:
        return [self.text, self.without_name]

    def said(self, name: Any) -> str | GenderedText:
        """The text said when her name is ``name`` (empty: ``without_name``), about her coach if it is."""
        chosen = self.text if name else self.without_name
        return chosen if self.about is None else GenderedText(text=chosen, about=self.about)


class GenderedText(_Model):
    """A text that speaks of her coach (``about: coach``), where many languages show the coach's gender
    ("your coach" is مدربتك or مدربك in Arabic, "ta coach" or "ton coach" in French). Translators give it
    once per gender, as the message contexts ``coach:feminine`` and ``coach:masculine``; the plain entry is
    the neutral wording, said when the gender is not known. Decision 0016."""

    text: str
    about: str

    @model_validator(mode="after")
    def _known_about(self) -> GenderedText:
        if self.about not in GENDERED_ABOUT:
            raise ValueError(f"'about' must be one of {', '.join(GENDERED_ABOUT)}, not {self.about!r}")
        return self

    def contexts(self) -> list[str]:
        return [gender_context(self.about, gender) for gender in GENDERS]


def gender_context(about: str, gender: str) -> str:
    """The message context of a gendered text's variant: ``coach:feminine``."""
    return f"{about}:{gender}"


# Texts of a flow whose name starts with ``coach_`` are addressed to a coach, not to a participant: the same
# English is its own entry there, as the message context ``to:coach`` (said to a woman coach, and to one whose
# gender nobody gave) and ``to:coach:masculine`` (to a man), so "What do you want to do?" is not said to him
# as to her. The gender is the coach's own (``grammatical_gender`` of the person the text is sent to).
ADDRESSED_FLOWS = {"coach_": "coach"}  # flow name prefix -> whom its texts address
ADDRESS_GENDERS = ("masculine",)  # the genders with their own variant; the others read the plain address


def addressee(flow: str) -> str | None:
    """Whom the texts of ``flow`` address with their own message context (``coach``), or None: a participant."""
    return next((to for prefix, to in ADDRESSED_FLOWS.items() if flow.startswith(prefix)), None)


def address_context(to: str, gender: str | None = None) -> str:
    """The message context of a text addressed to ``to`` of ``gender``: ``to:coach``, ``to:coach:masculine``."""
    return f"to:{to}:{gender}" if gender in ADDRESS_GENDERS else f"to:{to}"


def address_contexts(to: str) -> list[str]:
    return [address_context(to), *(address_context(to, gender) for gender in ADDRESS_GENDERS)]


def addressed_text(tr: Any, msgid: str, to: str, gender: Any) -> str:
    """``msgid`` from the catalog ``tr`` as addressed to ``to`` of ``gender``; a catalog without that entry
    says the plain address, then the text as a participant reads it (never English where one exists)."""
    for context in dict.fromkeys([address_context(to, gender), address_context(to)]):
        found = str(tr.pgettext(context, msgid))
        if found != msgid:
            return found
    return str(tr.gettext(msgid))


PlainText = str | PluralText
Text = str | PluralText | NamedText | GenderedText
# Placeholders a flow text may find empty, each with the field of ``NamedText`` said instead.
EMPTY_PLACEHOLDERS: dict[str, str] = {"name": "without_name"}


class Choice(_Model):
    value: Annotated[str, Field(pattern=CHOICE_VALUE)]
    label: str
    emoji: str | None = None
    translate: bool = True  # False for labels that are the same in every language (language names)
    words: str | None = None  # extra words that mean this choice, as one msgid: "yes|ok|sure"
    save_as: Any = None  # what is saved when chosen; default: ``value``
    about: str | None = None  # a label about her coach ("Contact my coach"), given per gender like a text

    @model_validator(mode="after")
    def _known_about(self) -> Choice:
        if self.about is not None and self.about not in GENDERED_ABOUT:
            raise ValueError(f"'about' must be one of {', '.join(GENDERED_ABOUT)}, not {self.about!r}")
        if self.about is not None and not self.translate:
            raise ValueError("a label about her coach is translated ('about' with 'translate: false')")
        return self

    def label_contexts(self) -> list[str]:
        """The message contexts of the label's variants: ``coach:feminine``, ``coach:masculine`` (decision 0016)."""
        return [] if self.about is None else [gender_context(self.about, gender) for gender in GENDERS]

    def shown_label(self, tr: Any, context: Mapping[str, Any]) -> str:
        """The label in the catalog ``tr``; one about her coach as the coach's gender in ``context`` says
        (``coach_gender``), the neutral label when it is not known or the catalog lacks the variant."""
        if not self.translate:
            return self.label
        gender = context.get(f"{self.about}_gender") if self.about is not None else None
        if gender in GENDERS and self.about is not None:
            variant = str(tr.pgettext(gender_context(self.about, str(gender)), self.label))
            if variant != self.label:
                return variant
        return str(tr.gettext(self.label))

    @property
    def saved(self) -> Any:
        return self.value if self.save_as is None else self.save_as


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


def placeholders(text: Text) -> set[str]:
    """The ``{names}`` a text uses (for a plural text: both forms, and the count)."""
    if isinstance(text, NamedText):
        return placeholders(text.text) | placeholders(text.without_name)
    if isinstance(text, GenderedText):
        return placeholders(text.text)
    sources = [text.singular, text.plural] if isinstance(text, PluralText) else [text]
    names = {name for source in sources for _, name, _, _ in string.Formatter().parse(source) if name}
    if isinstance(text, PluralText):
        names.add(text.count)
    return names


# -- loading ---


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise FlowError(f"{path}:{where} {problem}") from None
    except OSError as exc:
        raise FlowError(f"{path}: cannot read ({exc.strerror})") from None


def _describe(path: Path, raw: Any, exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = list(error["loc"])
    where = ""
    if len(location) >= 2 and location[0] == "steps" and isinstance(location[1], int):
        index = location[1]
        steps = raw.get("steps") if isinstance(raw, dict) else None
        step_id = None
        if isinstance(steps, list) and index < len(steps) and isinstance(steps[index], dict):
            step_id = steps[index].get("id")
        where = f"step {step_id!r}" if step_id else f"step #{index + 1}"
        location = location[2:]
    detail = ".".join(str(part) for part in location)
    message = str(error["msg"]).removeprefix("Value error, ")
    parts = [str(path), where, f"{detail}: {message}" if detail else message]
    return ": ".join(part for part in parts if part)


def _parse(path: Path, model: type[BaseModel]) -> Any:
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise FlowError(f"{path}: the file must hold a mapping")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise FlowError(_describe(path, raw, exc)) from None


def load_flows(
    directory: Path, vocabulary: Vocabulary, generated_lists: Mapping[str, list[Choice]] | None = None
) -> FlowSet:
    """Load and check every file in ``directory``; raise ``FlowError`` at the first problem.
    ``generated_lists`` are choice lists the program makes (the languages that have a catalog)."""
    if not directory.is_dir():
        raise FlowError(f"{directory}: no such folder")
    choices_file = directory / "_choices.yaml"
    commands_file = directory / "_commands.yaml"
    texts_file = directory / "_texts.yaml"
    for required in (choices_file, commands_file, texts_file):
        if not required.is_file():
            raise FlowError(f"{required}: missing")
    choice_lists: dict[str, list[Choice]] = _parse(choices_file, ChoiceFile).lists
    for name, choices in (generated_lists or {}).items():
        if name in choice_lists:
            raise FlowError(f"{choices_file}: list {name!r} is made by the program; remove it here")
        choice_lists[name] = choices
    commands: list[Command] = _parse(commands_file, CommandFile).commands
    texts: dict[str, Text] = dict(_parse(texts_file, EngineTextFile).texts)
    flows: dict[str, Flow] = {}
    sources: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        flow = _parse(path, Flow)
        if flow.flow in flows:
            raise FlowError(f"{path}: flow {flow.flow!r} is defined in {sources[flow.flow]} already")
        if flow.flow != path.stem:
            raise FlowError(f"{path}: the flow's name {flow.flow!r} must match the file name {path.stem!r}")
        flows[flow.flow] = flow
        sources[flow.flow] = path
    flow_set = FlowSet(flows, choice_lists, commands, texts, sources)
    check_flow_set(flow_set, vocabulary, choices_file, commands_file, texts_file)
    return flow_set


# -- checking what the schema cannot see ---


def check_flow_set(
    flow_set: FlowSet, vocabulary: Vocabulary, choices_file: Path, commands_file: Path, texts_file: Path
) -> None:
    if "yesno" not in flow_set.choice_lists:
        raise FlowError(f"{choices_file}: the list 'yesno' is required (ask: yesno uses it)")
    for name, choices in flow_set.choice_lists.items():
        _check_choices(choices, f"{choices_file}: list {name!r}")
    missing_texts = vocabulary.required_texts - set(flow_set.texts)
    if missing_texts:
        raise FlowError(f"{texts_file}: missing texts: {', '.join(sorted(missing_texts))}")
    names = {c.name for c in flow_set.commands}
    missing_commands = vocabulary.required_commands - names
    if missing_commands:
        raise FlowError(f"{commands_file}: missing commands: {', '.join(sorted(missing_commands))}")
    for command in flow_set.commands:
        if command.flow not in flow_set.flows:
            raise FlowError(f"{commands_file}: command {command.name!r}: no flow {command.flow!r}")
    for name, text in flow_set.texts.items():
        unknown = placeholders(text) - vocabulary.context_names
        if unknown:
            raise FlowError(f"{texts_file}: text {name!r}: unknown placeholder {{{sorted(unknown)[0]}}}")
    for flow in flow_set.flows.values():
        _check_flow(flow, flow_set, vocabulary, flow_set.sources[flow.flow])
        if addressee(flow.flow) is not None:
            for step in flow.steps:
                if any(_about_or_plural(said) for said in (step.say, step.text)):
                    raise FlowError(
                        f"{flow_set.sources[flow.flow]}: step {step.id!r}: a text addressed to a coach "
                        "cannot also be about her coach or a plural text (not supported yet)"
                    )


def _about_or_plural(said: Text | None) -> bool:
    return isinstance(said, GenderedText | PluralText) or (isinstance(said, NamedText) and said.about is not None)


def _check_choices(choices: list[Choice], where: str) -> None:
    values = [c.value for c in choices]
    duplicates = {v for v in values if values.count(v) > 1}
    if duplicates:
        raise FlowError(f"{where}: choice value {sorted(duplicates)[0]!r} is used twice")


def _check_flow(flow: Flow, flow_set: FlowSet, vocabulary: Vocabulary, path: Path) -> None:
    ids = {step.id for step in flow.steps}
    asks = {step.id: step for step in flow.steps if step.ask is not None}
    outputs: set[str] = set()
    for step in flow.steps:
        if step.action is not None:
            outputs |= vocabulary.actions.get(step.action, frozenset())
    known = (
        vocabulary.context_names
        | vocabulary.profile_fields
        | set(asks)
        | {f"{s}_labels" for s, a in asks.items() if a.ask in ("choice", "multi", "yesno")}
        | outputs
        | {step.save.split(".", 1)[1] for step in flow.steps if step.save and step.save.startswith("var.")}
    )
    for step in flow.steps:
        where = f"{path}: step {step.id!r}"
        targets = [step.next] + [rule.goto for rule in step.branch or []]
        for target in targets:
            if target is not None and target not in ids:
                raise FlowError(f"{where}: goes to {target!r}, which is not a step of this flow")
        if step.start_flow is not None and step.start_flow not in flow_set.flows:
            raise FlowError(f"{where}: start_flow {step.start_flow!r} is not a flow")
        if step.action is not None and step.action not in vocabulary.actions:
            raise FlowError(f"{where}: unknown action {step.action!r}")
        dynamic = isinstance(step.choices, str) and step.choices.startswith("var.")
        if isinstance(step.choices, str) and not dynamic and step.choices not in flow_set.choice_lists:
            raise FlowError(f"{where}: unknown choice list {step.choices!r}")
        if step.ask is not None and not dynamic:
            choices = flow_set.choices(step)
            _check_choices(choices, where)
            for choice in choices:
                if len(f"{step.id}|{choice.value}".encode()) > MAX_BUTTON_DATA_BYTES:
                    raise FlowError(f"{where}: button data for {choice.value!r} is over 64 bytes")
            values = {c.value for c in choices}
            for value in step.exclusive:
                if value not in values:
                    raise FlowError(f"{where}: exclusive value {value!r} is not a choice")
            if step.suggest is not None and step.suggest not in vocabulary.profile_fields | vocabulary.context_names:
                raise FlowError(f"{where}: suggest names unknown field {step.suggest!r}")
        if step.save is not None:
            _check_save(step.save, flow, vocabulary, where)
        for condition in [step.when] + [rule.when for rule in step.branch or []]:
            if condition is not None:
                for test in condition.subjects():
                    if test.answer is not None and test.answer not in asks:
                        raise FlowError(f"{where}: condition on {test.answer!r}, which is not a question here")
                    if test.profile is not None and test.profile not in vocabulary.profile_fields:
                        raise FlowError(f"{where}: condition on unknown profile field {test.profile!r}")
        for text in (step.say, step.text):
            if text is not None:
                unknown = placeholders(text) - known
                if unknown:
                    raise FlowError(f"{where}: unknown placeholder {{{sorted(unknown)[0]}}}")


def _check_save(target: str, flow: Flow, vocabulary: Vocabulary, where: str) -> None:
    scope, _, name = target.partition(".")
    if scope == "profile":
        if name not in vocabulary.profile_fields:
            raise FlowError(f"{where}: save to unknown profile field {name!r}")
    elif scope == "record":
        if flow.record is None:
            raise FlowError(f"{where}: save to record.{name}, but the flow has no record")
        if name not in vocabulary.record_fields.get(flow.record, frozenset()):
            raise FlowError(f"{where}: a {flow.record} has no field {name!r}")
    elif scope == "var":
        if not re.fullmatch(STEP_ID, name):
            raise FlowError(f"{where}: bad variable name {name!r}")
    else:
        raise FlowError(f"{where}: save must be profile.FIELD, record.FIELD or var.NAME")
