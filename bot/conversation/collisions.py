"""Command words that collide with her ordinary answers (``trampoline flows check``).

A command word works at any moment, so it must never be a word she uses to answer. In each language, every
command word (the catalog's, and the English ones, which work in every language) is compared, as the bot
compares what she types (``simplify``), with:

- every choice she can name at a question: its label, its extra words and its value, in her language and
  in English, and the "Skip" button;
- every whole line of ``locales/<lang>/everyday.txt``: short real answers people give in a check-in or a
  note ("forgot", "that's all"), kept by the project so a translator sees which answers are ordinary.

Each collision names the language, the word and where it is found, so the translator can choose another
command word. A command word inside a longer answer is not a collision: the service keeps a longer message
at a free-text question as her answer (docs/decisions/0014-her-words-are-never-a-command.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.conversation.answers import simplify
from bot.conversation.flows import Flow, FlowSet
from bot.conversation.interpreter import Translator
from bot.conversation.wording import Choice
from bot.core.i18n import SUPPORTED_LOCALES, Catalogs

EVERYDAY_FILE = "everyday.txt"
MIN_EVERYDAY_LINES = 30


@dataclass(frozen=True)
class Collision:
    locale: str
    word: str  # the command word as the catalog spells it
    command: str
    where: str  # what else the word is: "choice label 'Language' (checkin step obstacles)", "everyday.txt line 4"

    def __str__(self) -> str:
        return f"{self.locale}: command word {self.word!r} ({self.command}) is also {self.where}"


def everyday_path(locales: Path, locale: str) -> Path:
    return locales / locale / EVERYDAY_FILE


def everyday_lines(locales: Path, locale: str) -> list[str]:
    """The lines of her language's everyday answers, without blank lines and ``#`` comments."""
    path = everyday_path(locales, locale)
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def command_words(flows: FlowSet, tr: Translator, locale: str) -> list[tuple[str, str]]:
    """(word, command) for every word that runs a command in ``locale``."""
    found: list[tuple[str, str]] = []
    for command in flows.commands:
        words = command.words.split("|")
        if locale != "en":
            words = tr.pgettext("command", command.words).split("|") + words
        found += [(word, command.name) for word in words if simplify(word)]
    return found


def _choice_names(choice: Choice, tr: Translator) -> list[tuple[str, str]]:
    names = [(choice.label, "label"), (choice.value.replace("_", " "), "value")]
    if choice.translate:
        names.append((tr.gettext(choice.label), "label"))
    if choice.words:
        for word in choice.words.split("|") + tr.pgettext("words", choice.words).split("|"):
            names.append((word, "word"))
    return names


def _started_flows(flow: Flow) -> dict[tuple[str, str], str]:
    """(question, choice value) -> the flow that choice starts, for menus that branch to ``start_flow``."""
    steps = {step.id: step for step in flow.steps}
    started: dict[tuple[str, str], str] = {}
    for step in flow.steps:
        for rule in step.branch or []:
            when, target = rule.when, steps.get(rule.goto)
            if when is None or when.answer is None or not isinstance(when.equals, str) or target is None:
                continue
            if target.start_flow is not None:
                started[(when.answer, when.equals)] = target.start_flow
    return started


@dataclass(frozen=True)
class AnswerWord:
    where: str
    starts: str | None = None  # the flow this choice starts: a menu button that does what the command does


def answer_words(flows: FlowSet, tr: Translator) -> dict[str, list[AnswerWord]]:
    """Every word that names a choice or a button, simplified, with where it comes from."""
    found: dict[str, list[AnswerWord]] = {}

    def add(word: str, answer: AnswerWord) -> None:
        simple = simplify(word)
        if simple and answer not in found.setdefault(simple, []):
            found[simple].append(answer)

    for name, choices in sorted(flows.choice_lists.items()):
        for choice in choices:
            for word, kind in _choice_names(choice, tr):
                add(word, AnswerWord(f"choice {kind} {word!r} (list {name})"))
    for flow_name, flow in sorted(flows.flows.items()):
        started = _started_flows(flow)
        for step in flow.steps:
            if step.ask is None or not isinstance(step.choices, list):
                continue
            for choice in step.choices:
                starts = started.get((step.id, choice.value))
                for word, kind in _choice_names(choice, tr):
                    add(word, AnswerWord(f"choice {kind} {word!r} ({flow_name} step {step.id})", starts))
    skip = flows.texts.get("skip")
    if isinstance(skip, str):
        for word in (skip, tr.gettext(skip)):
            add(word, AnswerWord(f"the button {word!r}"))
    return found


def collisions_in(flows: FlowSet, tr: Translator, locale: str, everyday: list[str]) -> list[Collision]:
    answers = answer_words(flows, tr)
    for number, line in enumerate(everyday, start=1):
        where = f"the everyday answer {line!r} ({EVERYDAY_FILE} line {number})"
        answers.setdefault(simplify(line), []).append(AnswerWord(where))
    flow_of = {command.name: command.flow for command in flows.commands}
    found: list[Collision] = []
    for word, command in command_words(flows, tr, locale):
        own = flow_of[command]
        for answer in answers.get(simplify(word), []):
            if answer.starts is not None and (answer.starts == own or answer.starts.endswith(f"_{own}")):
                continue  # a menu button that does what the word does
            collision = Collision(locale, word, command, answer.where)
            if collision not in found:
                found.append(collision)
    return found


def collisions(flows: FlowSet, catalogs: Catalogs, locales: Path) -> list[Collision]:
    """Every collision in every shipped language (English included)."""
    found: list[Collision] = []
    for locale in SUPPORTED_LOCALES:
        if locale != "en" and locale not in catalogs.catalogs:
            continue
        tr = catalogs.translations(locale)
        found += collisions_in(flows, tr, locale, everyday_lines(locales, locale))
    return found


def everyday_problems(catalogs: Catalogs, locales: Path) -> list[str]:
    """Each shipped language has its list of everyday answers, long enough to mean something."""
    problems = []
    for locale in SUPPORTED_LOCALES:
        if locale != "en" and locale not in catalogs.catalogs:
            continue
        count = len(everyday_lines(locales, locale))
        if count < MIN_EVERYDAY_LINES:
            where = everyday_path(locales, locale)
            problems.append(f"{locale}: {where} has {count} everyday answers, at least {MIN_EVERYDAY_LINES} wanted")
    return problems
