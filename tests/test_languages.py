"""Eleven languages done properly: every flow speaks every language end to end, right-to-left names stay in
place, plural forms follow Babel's rule, command words in the texts really work, and ``flows check`` stops
a catalog whose button label is too long for WhatsApp."""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.plurals import get_plural

from bot.app import features
from bot.conversation.answers import simplify
from bot.conversation.check import coverage
from bot.conversation.interpreter import SKIP_VALUE, Interpreter, Message, Outcome, Reply, button_id
from bot.conversation.render import Renderer
from bot.conversation.review import MACHINE_DRAFTED, review_status
from bot.conversation.wording import (
    GENDERS,
    GenderedText,
    NamedText,
    PluralText,
    address_context,
    addressee,
    gender_context,
)
from bot.core import i18n
from bot.messaging.channel import OutboundMessage
from tests.support.harness import conversations
from tests.support.locales import _check, _copy_locales, _edit

FLOWS, CATALOGS = conversations()
RENDERER = Renderer(FLOWS, CATALOGS)
LOCALES = i18n.SUPPORTED_LOCALES
TRANSLATED = [code for code in LOCALES if code != "en"]
CONTEXT: dict[str, Any] = {
    "name": "Amina",
    "organisation": "Foyer",
    "coach": "Sara",
    "language_hint": "ar",
    "steps_total": 3,  # what checkin.complete returns
    "paused_until": date(2027, 1, 5),  # what person.pause returns
}
# Labels that are the same in every language, and texts that are the same by nature in one language.
NEUTRAL = {"18-24", "25-40"}
SAME_BY_NATURE: dict[str, set[str]] = {
    "nl": {"Dari", "Tigrinya", "Weekend", "1 week"},
    "fr": {"Dari", "Somali", "Transport"},
    "so": {"Dari", "Tigrinya"},
}
STRATEGIES = ("first", "last", "skip")


def test_every_language_has_a_catalog() -> None:
    assert CATALOGS.available() == list(LOCALES)


# -- every flow, end to end, in every language ---


TYPED = {"number": "2", "date": "1/12/2026", "time": "10:00", "text": "x"}


def _answer(message: Message, strategy: str, flow: str = "") -> Reply:
    assert message.step is not None
    if not message.choices:  # a typed answer: text, number, date or time
        if message.skippable and strategy == "skip":
            return Reply(choice=button_id(message.step, SKIP_VALUE))
        kind = (
            FLOWS.flow(flow).step(message.step).ask
            if flow and message.step in {s.id for s in FLOWS.flow(flow).steps}
            else "text"
        )
        return Reply(text=TYPED.get(kind or "text", "x"))
    if message.skippable and strategy == "skip":
        return Reply(choice=button_id(message.step, SKIP_VALUE))
    choice = message.choices[-1] if strategy == "last" else message.choices[0]
    return Reply(choice=button_id(message.step, choice.value))


def _action_results(flow: str) -> dict[str, Any]:
    """What the flow's ``wait`` actions return, made up: two names for every choice list they make, and a
    short value for every other result."""
    results: dict[str, Any] = {name: "Amina" for outputs in features().actions.outputs().values() for name in outputs}
    for step in FLOWS.flow(flow).steps:
        if isinstance(step.choices, str) and step.choices.startswith("var."):
            results[step.choices[4:]] = [{"value": "p1", "label": "Amina"}, {"value": "p2", "label": "Hana"}]
    return results


def _walk(flow: str, strategy: str) -> Iterator[tuple[Message, dict[str, Any]]]:
    """Every message the flow sends when each question is answered by ``strategy``, with the context the
    service would render it with (her answers' labels, and what its actions returned)."""
    interpreter = Interpreter(FLOWS)
    results = _action_results(flow)
    outcome: Outcome = interpreter.start(flow, CONTEXT)
    for _ in range(60):
        context = {**results, **dict(outcome.state.get("answers", {})), **outcome.state.get("vars", {})}
        for message in outcome.messages:
            yield message, context
        if outcome.step is None:
            return
        if outcome.continue_after_actions:
            state = {**outcome.state, "vars": {**outcome.state.get("vars", {}), **results}}
            outcome = interpreter.proceed(outcome.flow, outcome.step, state, CONTEXT)
            continue
        question = outcome.messages[-1]
        reply = _answer(question, strategy, outcome.flow)
        outcome = interpreter.resume(outcome.flow, outcome.step, outcome.state, reply, CONTEXT)
    raise AssertionError(f"{flow} did not end")


def _render(message: Message, context: dict[str, Any], flow: str, locale: str) -> OutboundMessage:
    labels = RENDERER.answer_labels(FLOWS.flow(flow), context, locale)
    return RENDERER.message(message, locale, {**CONTEXT, **context, **labels}, to=addressee(flow))


def _only_placeholders(text: str) -> bool:
    return not re.sub(r"\{[a-z_]+\}", "", text).strip()


def _texts(message: Message) -> list[str]:
    texts = [message.text, *([message.lead] if message.lead is not None else [])]
    named = [(t.text if CONTEXT.get("name") else t.without_name) if isinstance(t, NamedText) else t for t in texts]
    plain = [t.text if isinstance(t, GenderedText) else t for t in named]  # the neutral entry, said by default
    return [t.singular if isinstance(t, PluralText) else t for t in plain]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("flow", sorted(FLOWS.flows))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_flow_renders_in_every_language(locale: str, flow: str, strategy: str) -> None:
    catalog = CATALOGS.catalogs.get(locale)
    same = NEUTRAL | SAME_BY_NATURE.get(locale, set())
    rendered_any = False
    for message, answers in _walk(flow, strategy):
        shown = _render(message, answers, flow, locale)
        english = _render(message, answers, flow, "en")
        rendered_any = True
        assert "{" not in shown.text and "}" not in shown.text, (locale, shown.text)
        assert shown.text.strip()
        assert shown.right_to_left == i18n.is_right_to_left(locale)
        if catalog is not None:
            to = addressee(flow)  # a coach flow's own texts are addressed to her as a coach
            for msgid in _texts(message):
                entry = (catalog.get(msgid, context=address_context(to)) if to else None) or catalog.get(msgid)
                assert entry is not None and entry.string and not entry.fuzzy, (locale, msgid)
            if not all(_only_placeholders(t) for t in _texts(message)):
                assert shown.text != english.text, (locale, english.text)
        assert len(shown.buttons) == len(english.buttons)
        for button, source, choice in zip(shown.buttons, english.buttons, message.choices, strict=False):
            assert "{" not in button.label and "}" not in button.label
            assert button.id == source.id
            if catalog is not None and choice.translate and choice.label not in same:
                assert button.label != source.label, (locale, source.label)
    # A flow that starts by asking an action may end silently with made-up results (no match to ask about).
    assert rendered_any or any(step.wait for step in FLOWS.flow(flow).steps)


# -- right to left ---


@pytest.mark.parametrize("locale", LOCALES)
def test_filled_in_names_are_isolated_in_right_to_left_languages_only(locale: str) -> None:
    question = FLOWS.flow("checkin").step("mood").text
    welcome = FLOWS.flow("onboarding").step("welcome").say
    assert question is not None and welcome is not None
    greeting = RENDERER.text(question, locale, CONTEXT)
    introduction = RENDERER.text(welcome, locale, CONTEXT)
    isolated = f"{i18n.FIRST_STRONG_ISOLATE}Amina{i18n.POP_DIRECTIONAL_ISOLATE}"
    if locale in ("ar", "fa_AF", "ps"):
        assert isolated in greeting
        for name in ("Foyer", "Sara"):
            assert f"{i18n.FIRST_STRONG_ISOLATE}{name}{i18n.POP_DIRECTIONAL_ISOLATE}" in introduction
    else:
        assert "Amina" in greeting
        assert i18n.FIRST_STRONG_ISOLATE not in greeting + introduction
        assert i18n.POP_DIRECTIONAL_ISOLATE not in greeting + introduction


@pytest.mark.parametrize("locale", ["ar", "fa_AF", "ps"])
def test_dates_and_numbers_are_isolated_in_right_to_left_languages(locale: str) -> None:
    pause = FLOWS.flow("pause").step("confirm").say
    assert pause is not None
    text = RENDERER.text(pause, locale, CONTEXT)
    day = i18n.day(CONTEXT["paused_until"], locale)
    assert f"{i18n.FIRST_STRONG_ISOLATE}{day}{i18n.POP_DIRECTIONAL_ISOLATE}" in text
    assert text.count(i18n.FIRST_STRONG_ISOLATE) == text.count(i18n.POP_DIRECTIONAL_ISOLATE) == 1


# -- plural forms ---


PLURAL_STEPS = [("checkin", "well_done"), ("checkin", "quiet_week")]


@pytest.mark.parametrize("step", PLURAL_STEPS, ids=lambda s: s[1])
@pytest.mark.parametrize("locale", ["ar", "uk", "ru"])
def test_plural_forms_follow_babels_rule_for_each_count(locale: str, step: tuple[str, str]) -> None:
    text = FLOWS.flow(step[0]).step(step[1]).say
    assert isinstance(text, PluralText)
    entry = CATALOGS.catalogs[locale].get(text.singular)
    assert entry is not None
    count, expression = get_plural(locale)
    forms = list(entry.string)
    assert len(forms) == count and all(forms)
    pick = gettext.c2py(expression)
    labels = ["x"]
    for n in (0, 1, 2, 3, 5, 11, 21):
        rendered = RENDERER.text(text, locale, {"steps_total": n, "steps_labels": labels})
        number = i18n.number(n, locale)
        values = {"steps_total": number, "steps_labels": "x"}
        if i18n.is_right_to_left(locale):
            values = {name: i18n.isolate(value) for name, value in values.items()}
        assert rendered == forms[pick(n)].format_map(values), (locale, n)


@pytest.mark.parametrize("locale", ["uk", "ru"])
def test_slavic_plurals_have_three_different_forms(locale: str) -> None:
    text = FLOWS.flow("checkin").step("well_done").say
    assert isinstance(text, PluralText)
    one, few, many = (RENDERER.text(text, locale, {"steps_total": n, "steps_labels": ["x"]}) for n in (1, 2, 5))
    assert len({one, few, many}) == 3
    assert RENDERER.text(text, locale, {"steps_total": 21, "steps_labels": ["x"]}).replace("21", "1") == one
    assert RENDERER.text(text, locale, {"steps_total": 11, "steps_labels": ["x"]}).replace("11", "5") == many


# -- command words ---


def _command_words(locale: str) -> dict[str, str]:
    tr = CATALOGS.translations(locale)
    words: dict[str, str] = {}
    for command in FLOWS.commands:
        for word in [*tr.pgettext("command", command.words).split("|"), *command.words.split("|")]:
            words.setdefault(simplify(word), command.name)
    return words


@pytest.mark.parametrize("locale", LOCALES)
def test_the_words_the_texts_teach_are_command_words(locale: str) -> None:
    words = _command_words(locale)
    tr = CATALOGS.translations(locale)
    for flow, step in (("help", "explain"), ("onboarding", "next_steps")):
        said = FLOWS.flow(flow).step(step).say
        assert isinstance(said, NamedText | GenderedText) and said.about == "coach", (flow, step)
        text = said.without_name if isinstance(said, NamedText) else said.text
        for context in [None, *(gender_context(said.about, gender) for gender in GENDERS)]:  # each coach's
            shown = tr.pgettext(context, text) if context else tr.gettext(text)
            taught = [line.split(" – ", 1)[0] for line in shown.splitlines() if " – " in line]
            assert len(taught) == sum(1 for line in text.splitlines() if " – " in line), (locale, context)
            for word in taught:
                assert simplify(word) in words, (locale, context, word)
    for command in FLOWS.commands:
        first = tr.pgettext("command", command.words).split("|")[0]
        assert first == first.lower()
        assert words[simplify(first)] == command.name


@pytest.mark.parametrize("locale", TRANSLATED)
def test_each_catalog_states_its_review_and_marks_drafted_entries(locale: str) -> None:
    catalog = CATALOGS.catalogs[locale]
    status, _ = review_status(catalog)
    assert status in ("reviewed", "machine-drafted")
    report = next(r for r in coverage(FLOWS, CATALOGS) if r.locale == locale)
    assert report.ok, report.problems
    assert report.translated == report.total
    if status == "machine-drafted":
        assert report.machine_drafted > 0
    assert all(MACHINE_DRAFTED not in m.auto_comments for m in catalog)


# -- flows check ---


def test_flows_check_passes_on_the_shipped_catalogs(tmp_path: Path) -> None:
    result = _check(_copy_locales(tmp_path))
    assert result.exit_code == 0, result.output
    for locale in LOCALES:
        assert f"{locale:6} " in result.stdout
    assert "(100%)" in result.stdout and "review: machine-drafted" in result.stdout


def test_flows_check_fails_on_an_over_long_button_label(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)

    def lengthen(catalog: Any) -> None:
        catalog.get("Yes").string = "Ja, dat is helemaal goed"

    _edit(locales, "nl", lengthen)
    result = _check(locales)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if "'Yes'" in line)
    assert "nl:" in line and "26 characters" in line and "at most 20" in line


def test_flows_check_fails_on_a_wrong_plural_header(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    path = locales / "ru" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if line.startswith('"Plural-Forms:'))
    path.write_text(text.replace(header, '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"'), encoding="utf-8")
    result = _check(locales)
    assert result.exit_code == 1
    assert "ru: Plural-Forms header" in result.stdout


def test_flows_check_fails_on_a_missing_translation(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)

    def forget(catalog: Any) -> None:
        catalog.get("Do you have children?").string = ""

    _edit(locales, "so", forget)
    result = _check(locales)
    assert result.exit_code == 1
    assert "missing: 'Do you have children?'" in result.stdout


def test_flows_check_fails_on_a_placeholder_that_differs(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)

    def rename(catalog: Any) -> None:
        catalog.get("Hello {name}! How are you this week?").string = "Merhaba {isim}! Bu hafta nasılsınız?"

    _edit(locales, "tr", rename)
    result = _check(locales)
    assert result.exit_code == 1
    assert "placeholder ['isim'] not in 'Hello {name}! How are you this week?'" in result.stdout


def test_flows_check_shows_a_reviewed_catalog(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    path = locales / "ti" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first == "# Review status: machine-drafted, not yet reviewed by a native speaker."
    reviewed = text.replace(first, "# Review status: reviewed by Senait on 2027-01-15", 1)
    path.write_text(reviewed.replace("# machine-drafted\n", "", 3), encoding="utf-8")
    result = _check(locales)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    status = lines[next(i for i, line in enumerate(lines) if line.startswith("ti ")) + 1]
    total = sum(1 for m in CATALOGS.catalogs["ti"] if m.id)
    assert (
        status.strip() == f"review: reviewed by Senait on 2027-01-15; {total - 3} entries still marked machine-drafted"
    )
