"""The texts the bot says to coaches, from ``conversations/_coaching.yaml`` (English message ids, translated
in ``locales/`` like every other text), filled in and formatted for one coach's language."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.conversation.flows import FlowError, FlowSet, TextFile
from bot.conversation.port import Engine
from bot.conversation.wording import PluralText
from bot.core import i18n
from bot.core.paths import project_root

TEXTS_FILE = "_coaching.yaml"


@cache
def _load(path: Path) -> TextFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TextFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise FlowError(f"{path}: {type(exc).__name__}") from None


class CoachTexts:
    def __init__(self, flows: FlowSet, catalogs: i18n.Catalogs, path: Path | None = None) -> None:
        self.flows = flows
        self.catalogs = catalogs
        self.texts = _load(path or project_root() / "conversations" / TEXTS_FILE).texts
        self._labels: dict[tuple[str, str, str, str], str] = {}

    def say(self, key: str, locale: str, timezone: str = "UTC", **values: Any) -> str:
        """The text ``key`` in ``locale`` with ``values`` filled in, as the engine's renderer does it
        (numbers, dates and lists in her language; each filled-in value isolated in a right-to-left
        language), with the formatting of repeated numbers and lists cached: a summary has hundreds."""
        text = self.texts[key]
        tr = self.catalogs.translations(locale)
        if isinstance(text, PluralText):
            count = values.get(text.count, 0)
            number = int(count) if isinstance(count, int | float) else 0
            template = tr.ngettext(text.singular, text.plural, number)
            english = text.singular if number == 1 else text.plural
        else:
            template, english = tr.gettext(text), text
        rtl = i18n.is_right_to_left(locale)
        if rtl:
            template = i18n.isolate_ltr_runs(template)
        if "{" not in template:
            return template
        shown = _Blank({name: _shown(value, locale, timezone, rtl) for name, value in values.items()})
        try:
            return template.format_map(shown)
        except (ValueError, IndexError, KeyError):
            # A translation with a broken placeholder must not silence the bot: fall back to English.
            return english.format_map(shown)

    def order(self, flow: str, step_id: str) -> dict[str, int]:
        """The position of each choice in a flow's question: ties are listed in the order she saw them."""
        step = next((s for s in self.flows.flow(flow).steps if s.id == step_id), None)
        return {c.value: i for i, c in enumerate(self.flows.choices(step, None))} if step is not None else {}

    def label(self, flow: str, step_id: str, value: str, locale: str) -> str:
        """The label of a choice in a flow (a check-in step or obstacle), with its emoji, in her language."""
        key = (flow, step_id, value, locale)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = self._label(flow, step_id, value, locale)
        return found

    def _label(self, flow: str, step_id: str, value: str, locale: str) -> str:
        step = next((s for s in self.flows.flow(flow).steps if s.id == step_id), None)
        if step is None:
            return value
        tr = self.catalogs.translations(locale)
        for choice in self.flows.choices(step, None):
            if choice.value == value:
                label = tr.gettext(choice.label) if choice.translate else choice.label
                return f"{choice.emoji} {label}" if choice.emoji else label
        return value


_texts: dict[int, CoachTexts] = {}


def texts_for(service: Engine) -> CoachTexts:
    """The coach texts of this engine, made once."""
    found = _texts.get(id(service))
    if found is None:
        found = _texts[id(service)] = CoachTexts(service.flows, service.catalogs)
    return found


def msgids(path: Path | None = None) -> set[str]:
    """Every message id of the coach texts (the singular of a plural), as the extractor finds them."""
    found = set()
    for text in _load(path or project_root() / "conversations" / TEXTS_FILE).texts.values():
        found.add(text.singular if isinstance(text, PluralText) else text)
    return found


@lru_cache(maxsize=4096)
def _number(value: float, locale: str) -> str:
    return i18n.number(value, locale)


@lru_cache(maxsize=4096)
def _listing(items: tuple[str, ...], locale: str) -> str:
    return i18n.listing(items, locale)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _shown(value: Any, locale: str, timezone: str, rtl: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        shown = str(value)
    elif isinstance(value, int | float):
        shown = _number(value, locale)
    elif isinstance(value, datetime):
        shown = i18n.day(value, locale, timezone)
    elif isinstance(value, date):
        shown = i18n.day(value, locale)
    elif isinstance(value, list | tuple):
        shown = _listing(tuple(str(v) for v in value), locale)
    else:
        shown = str(value)
    return i18n.isolate(shown) if rtl and shown else shown
