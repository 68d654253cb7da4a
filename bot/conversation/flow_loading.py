"""Loading the flow files of ``conversations/`` and the checks the schema cannot make (a goto to a step that
is not there, an unknown action, a placeholder no one fills): a broken file fails at start with one line
(``FlowError``), never later in front of a participant."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.conversation.flows import (
    MAX_BUTTON_DATA_BYTES,
    STEP_ID,
    ChoiceFile,
    Command,
    CommandFile,
    EngineTextFile,
    Flow,
    FlowError,
    FlowSet,
    Vocabulary,
)
from bot.conversation.wording import Choice, GenderedText, NamedText, PluralText, Text, addressee, placeholders

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
