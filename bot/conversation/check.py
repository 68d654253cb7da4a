"""``trampoline flows check``: every flow valid (loading does that), and each language's catalog complete and
fit for a phone: no missing text, no placeholder that differs from the English one, no button label longer
than WhatsApp shows, no directional isolate that does not balance, no Latin comma or semicolon in an
Arabic-script language, the plural rule Babel knows for the language, command words that mean one command
only, and how far a native speaker has reviewed it (the marks and the shares are ``review.py``'s)."""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from babel.messages.catalog import Catalog, Message

from bot.conversation.answers import simplify
from bot.conversation.flows import FlowSet, Step
from bot.conversation.interpreter import Translator
from bot.conversation.render import SKIP_EMOJI, SUGGESTED_MARK
from bot.conversation.review import is_machine_drafted, is_reviewed, is_stale, review_status
from bot.conversation.wording import EMPTY_PLACEHOLDERS, Choice, GenderedText, NamedText, PluralText
from bot.core.i18n import (
    ARABIC_SCRIPT_LOCALES,
    SUPPORTED_LOCALES,
    Catalogs,
    is_right_to_left,
    isolate_ltr_runs,
    isolate_problems,
    latin_punctuation,
)

# WhatsApp shows at most 20 characters on a reply button (at most 3 per message) and 24 in a list row.
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_LABEL = 20
MAX_LIST_LABEL = 24
Msgid = tuple[str, str | None, str | None]  # (msgid, plural msgid, context)


@dataclass
class LocaleReport:
    locale: str
    total: int
    translated: int = 0
    shipped: bool = True  # False: no catalog yet for this language
    problems: list[str] = field(default_factory=list)
    review: str | None = None  # "reviewed", "machine-drafted" or "unknown"; None for English
    review_note: str = ""  # the rest of the catalog's "# Review status:" line
    machine_drafted: int = 0  # entries still marked machine-drafted
    reviewed: int = 0  # entries a reviewer checked, for the English as it is now
    stale: list[str] = field(default_factory=list)  # reviewed, but the English changed since

    @property
    def ok(self) -> bool:
        return not self.shipped or (not self.problems and self.translated == self.total)


@dataclass(frozen=True)
class LabelSlot:
    """A place where a text is shown on a button: the emoji in front, a mark behind, the limit."""

    msgid: str
    prefix: str = ""  # the emoji and a space the renderer puts in front
    suffix: str = ""  # the suggested mark, when the question suggests a choice
    limit: int = MAX_BUTTON_LABEL
    translate: bool = True
    where: str = ""
    context: str | None = None  # a variant of a label about her coach (``coach:masculine``)

    def shown(self, label: str) -> str:
        return f"{self.prefix}{label}{self.suffix}"

    def problem(self, label: str, locale: str) -> str | None:
        shown = self.shown(isolate_ltr_runs(label) if is_right_to_left(locale) else label)
        if len(shown) <= self.limit:
            return None
        return (
            f"{locale}: button label for {self.msgid!r} is {len(shown)} characters as shown ({shown!r}), "
            f"at most {self.limit} ({self.where})"
        )


def _names(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<broken braces>"}


def _choice_slots(choices: list[Choice], step: Step | None, where: str) -> Iterator[LabelSlot]:
    limit = MAX_BUTTON_LABEL if len(choices) <= MAX_REPLY_BUTTONS else MAX_LIST_LABEL
    suffix = f" {SUGGESTED_MARK}" if step is not None and step.suggest else ""
    for choice in choices:
        prefix = f"{choice.emoji} " if choice.emoji else ""
        yield LabelSlot(choice.label, prefix, suffix, limit, choice.translate, where)
        for context in choice.label_contexts():
            yield LabelSlot(choice.label, prefix, suffix, limit, choice.translate, where, context)


def label_slots(flows: FlowSet) -> list[LabelSlot]:
    """Every button the flows can show: choice labels (at most 20 characters with their emoji for a question
    of up to 3 choices, 24 in a longer list), the yes/no of the help offer, and the skip and done buttons."""
    slots: list[LabelSlot] = []
    optional = False
    for name in sorted(flows.flows):
        for step in flows.flows[name].steps:
            if step.ask in ("choice", "multi", "yesno"):
                slots.extend(_choice_slots(flows.choices(step), step, f"{name} step {step.id}"))
            optional = optional or (step.ask is not None and step.optional)
    slots.extend(_choice_slots(flows.choice_lists["yesno"], None, "the offer of help"))
    skip, done = flows.texts.get("skip"), flows.texts.get("done")
    if optional and isinstance(skip, str):
        slots.append(LabelSlot(skip, f"{SKIP_EMOJI} ", where="the skip button"))
    if isinstance(done, str):
        slots.append(LabelSlot(done, where="the done button"))
    return slots


def slots_by_msgid(flows: FlowSet) -> dict[str, list[LabelSlot]]:
    found: dict[str, list[LabelSlot]] = {}
    for slot in label_slots(flows):
        found.setdefault(slot.msgid, []).append(slot)
    return found


def label_problems(flows: FlowSet, tr: Translator, locale: str) -> list[str]:
    """Over-long button labels in one language, one line per text. English (``locale == "en"``) also checks
    the labels that are never translated (language names, hours)."""
    problems: list[str] = []
    for msgid, slots in slots_by_msgid(flows).items():
        for slot in slots:
            if not slot.translate and locale != "en":
                continue
            label = msgid if locale == "en" or not slot.translate else tr.gettext(msgid)
            label = tr.pgettext(slot.context, msgid) if slot.context and locale != "en" else label
            problem = slot.problem(label, locale)
            if problem is not None:
                problems.append(problem)
                break
    return problems


def expected_plural_forms(locale: str) -> str:
    return Catalog(locale=locale).plural_forms


def plural_header_problem(catalog: Catalog, locale: str) -> str | None:
    """The catalog's ``Plural-Forms`` header must be Babel's for the locale: gettext picks forms with it."""
    expected = expected_plural_forms(locale)
    count: Any = getattr(catalog, "_num_plurals", None)  # None: the file has no Plural-Forms header
    expression: Any = getattr(catalog, "_plural_expr", None)
    if count is None or expression is None:
        return f"{locale}: no Plural-Forms header; it must be {expected!r}"
    declared = f"nplurals={count}; plural={expression};"
    if declared != expected:
        return f"{locale}: Plural-Forms header {declared!r} is not Babel's {expected!r}"
    return None


def template_msgids(template: Catalog) -> list[Msgid]:
    """Every text of the template catalog (``i18n extract``: the flows, the coach texts, the WhatsApp
    template bodies, the engine texts and the Python code), as (msgid, plural, context)."""
    found: list[Msgid] = []
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, str):
            found.append((message.id, None, message.context))
        else:
            found.append((message.id[0], message.id[1], message.context))
    return found


def empty_placeholder_problems(flows: FlowSet) -> list[str]:
    """A flow text with a placeholder that can be empty (``{name}``: she may skip it) needs the same text
    without it (``without_name``), or it reads "Nice to meet you, !"."""
    problems: list[str] = []
    for name in sorted(flows.flows):
        for step in flows.flows[name].steps:
            for said in (step.say, step.text):
                if said is None or isinstance(said, NamedText):
                    continue
                if isinstance(said, PluralText):
                    sources = [said.singular, said.plural]
                else:
                    sources = [said.text] if isinstance(said, GenderedText) else [said]
                for placeholder, variant in EMPTY_PLACEHOLDERS.items():
                    if any(placeholder in _names(source) for source in sources):
                        problems.append(
                            f"{name} step {step.id}: {{{placeholder}}} can be empty; "
                            f"give the text a '{variant}' variant (text: ..., {variant}: ...)"
                        )
    return problems


def word_problems(flows: FlowSet, tr: Translator, locale: str) -> list[str]:
    """A command word must mean one command, and a yes/no word one answer, in this language."""
    problems: list[str] = []
    owners: dict[str, str] = {}
    for command in flows.commands:
        words = tr.pgettext("command", command.words).split("|")
        if locale != "en":
            words += command.words.split("|")  # the English words work in every language
        for word in words:
            simple = simplify(word)
            if not simple:
                continue
            owner = owners.setdefault(simple, command.name)
            if owner != command.name:
                problems.append(f"{locale}: command word {word!r} means both {owner!r} and {command.name!r}")
    for name, choices in flows.choice_lists.items():
        meanings: dict[str, str] = {}
        for choice in choices:
            if not choice.words:
                continue
            for word in tr.pgettext("words", choice.words).split("|"):
                simple = simplify(word)
                owner = meanings.setdefault(simple, choice.value) if simple else choice.value
                if owner != choice.value:
                    problems.append(f"{locale}: word {word!r} means both {owner!r} and {choice.value!r} ({name})")
    return problems


class _English:
    def gettext(self, message: str) -> str:
        return message

    def pgettext(self, context: str, message: str) -> str:
        return message


def _forms(message: Message | None, plural: str | None) -> list[str]:
    strings: Any = None if message is None else message.string
    if strings is None:
        return []
    return list(strings) if plural else [str(strings)]


def _review(report: LocaleReport, catalog: Catalog, wanted: Iterable[Msgid]) -> None:
    """Count, among the texts the bot says, those machine-drafted, reviewed, and reviewed but stale."""
    for msgid, _, context in wanted:
        message = catalog.get(msgid, context=context)
        if message is None:
            continue
        report.machine_drafted += is_machine_drafted(message)
        report.reviewed += is_reviewed(message)
        if is_stale(message):
            report.stale.append(msgid)


def text_problems(translation: str, locale: str, context: str | None = None) -> list[str]:
    """What is wrong with how one translation shows in its language: directional isolates that do not
    balance on their line (U+2066/2067/2068 each closed by U+2069, no stray U+2069), and a Latin comma or
    semicolon in an Arabic-script language (it writes "،" and "؛"), outside placeholders and isolates."""
    problems = isolate_problems(translation)
    if context is None and locale in ARABIC_SCRIPT_LOCALES and latin_punctuation(translation):
        problems.append('a Latin "," or ";": write "،" or "؛"')
    return problems


def sendable_texts(flows: FlowSet, texts: Iterable[Msgid] = ()) -> list[Msgid]:
    """Every text the bot can send: the flows' and ``texts`` (the rest of the template catalog: coach
    texts, WhatsApp template bodies, texts of the Python code), in a stable order."""
    return sorted(set(flows.msgids()) | set(texts), key=lambda item: (item[2] or "", item[0]))


def coverage(flows: FlowSet, catalogs: Catalogs, texts: Iterable[Msgid] = ()) -> list[LocaleReport]:
    """Each language against every text the bot says: the flows' and ``texts`` (the rest of the template
    catalog: coach texts, WhatsApp template bodies, texts of the Python code)."""
    wanted = sendable_texts(flows, texts)
    reports = []
    for locale in SUPPORTED_LOCALES:
        if locale == "en":
            report = LocaleReport(locale, len(wanted), len(wanted))  # the message ids are English
            report.problems += label_problems(flows, _English(), locale)
            report.problems += word_problems(flows, _English(), locale)
            report.problems += empty_placeholder_problems(flows)
            reports.append(report)
            continue
        catalog = catalogs.catalogs.get(locale)
        if catalog is None:
            reports.append(LocaleReport(locale, len(wanted), shipped=False))
            continue
        report = LocaleReport(locale, len(wanted))
        report.review, report.review_note = review_status(catalog)
        _review(report, catalog, wanted)
        for msgid, plural, context in wanted:
            message = catalog.get(msgid, context=context)
            forms = _forms(message, plural)
            if message is None or message.fuzzy or not all(forms):
                report.problems.append(f"missing: {msgid!r}")
                continue
            if plural and len(forms) < catalog.num_plurals:
                report.problems.append(f"plural forms missing for {msgid!r}")
                continue
            report.problems += [
                f"{locale}: {msgid!r}: {problem}" for form in forms for problem in text_problems(form, locale, context)
            ]
            expected = _names(msgid) | (_names(plural) if plural else set())
            for form in forms:
                got = _names(form)
                if context != "words" and context != "command" and not got <= expected:
                    report.problems.append(f"placeholder {sorted(got - expected)} not in {msgid!r}")
                    break
                if plural is None and got != expected and context is None:
                    report.problems.append(f"placeholders differ for {msgid!r}")
                    break
            else:
                report.translated += 1
        plural_problem = plural_header_problem(catalog, locale)
        if plural_problem is not None:
            report.problems.append(plural_problem)
        tr = catalogs.translations(locale)
        report.problems += label_problems(flows, tr, locale)
        report.problems += word_problems(flows, tr, locale)
        reports.append(report)
    return reports
