"""From the interpreter's ``Message`` (message ids) to an ``OutboundMessage`` in one person's language.

Placeholders are filled from the context: numbers and dates formatted by Babel for her locale; in a
right-to-left language each filled-in fragment is wrapped in directional isolates so names, numbers and
dates stay in place, and so is each left-to-right run of the text itself ("21:00 - 08:00", in one LRI...PDI).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.conversation.flows import Flow, FlowSet
from bot.conversation.interpreter import NOTE_VALUE, SKIP_VALUE, Message, button_id
from bot.conversation.wording import GENDERS, GenderedText, NamedText, PluralText, Text, addressed_text, gender_context
from bot.core import i18n
from bot.messaging.channel import Button, OutboundMessage

SUGGESTED_MARK = "✓"
SKIP_EMOJI = "⏭️"
NOTE_EMOJI = "📝"


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class Renderer:
    def __init__(self, flows: FlowSet, catalogs: i18n.Catalogs) -> None:
        self.flows = flows
        self.catalogs = catalogs

    def text(
        self, text: Text, locale: str, context: Mapping[str, Any], timezone: str = "UTC", to: str | None = None
    ) -> str:
        """``text`` in her language. ``to``: whom the flow's texts address (``coach``), whose own gender
        (``grammatical_gender`` in the context) picks the ``to:coach`` or ``to:coach:masculine`` entry."""
        tr = self.catalogs.translations(locale)
        if isinstance(text, NamedText):  # with or without her name first, then her coach's gender
            text = text.said(context.get("name"))
        if to is not None and isinstance(text, str):
            template = addressed_text(tr, text, to, context.get("grammatical_gender"))
        elif isinstance(text, GenderedText):
            template = tr.gettext(text.text)
            gender = context.get(f"{text.about}_gender")
            if gender in GENDERS:
                variant = tr.pgettext(gender_context(text.about, str(gender)), text.text)
                if variant != text.text:  # a catalog without the variant keeps the neutral wording
                    template = variant
            text = text.text
        elif isinstance(text, PluralText):
            count = context.get(text.count, 0)
            number = int(count) if isinstance(count, int | float) else 0
            template = tr.ngettext(text.singular, text.plural, number)
        else:
            template = tr.gettext(text)
        if i18n.is_right_to_left(locale):
            template = i18n.isolate_ltr_runs(template)
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        values = _Blank({name: self._value(context.get(name), locale, timezone) for name in names})
        try:
            return template.format_map(values)
        except (ValueError, IndexError, KeyError):
            # A translation with a broken placeholder must not silence the bot: fall back to English.
            source = text.singular if isinstance(text, PluralText) else text
            return source.format_map(values)

    def _value(self, value: Any, locale: str, timezone: str) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            shown = str(value)
        elif isinstance(value, int | float):
            shown = i18n.number(value, locale)
        elif isinstance(value, datetime):
            shown = i18n.day(value, locale, timezone)
        elif isinstance(value, date):
            shown = i18n.day(value, locale)
        elif isinstance(value, list | tuple):
            shown = i18n.listing([str(v) for v in value], locale)
        else:
            shown = str(value)
        return i18n.isolate(shown) if i18n.is_right_to_left(locale) and shown else shown

    def message(
        self, message: Message, locale: str, context: Mapping[str, Any], timezone: str = "UTC", to: str | None = None
    ) -> OutboundMessage:
        """``to``: whom the texts of the message's flow address (``addressee``), None for a participant."""
        tr = self.catalogs.translations(locale)
        body = self.text(message.text, locale, context, timezone, to)
        if message.lead is not None:
            body = f"{self.text(message.lead, locale, context, timezone, to)}\n\n{body}"
        buttons: list[Button] = []
        if message.step is not None:
            for choice in message.choices:
                shown = choice.shown_label(tr, context)  # a label about her coach, as her coach's gender says
                shown = i18n.isolate_ltr_runs(shown) if i18n.is_right_to_left(locale) else shown
                label = f"{choice.emoji} {shown}" if choice.emoji else shown
                if choice.value == message.suggested:
                    label = f"{label} {SUGGESTED_MARK}"
                buttons.append(Button(button_id(message.step, choice.value), label))
            if message.skippable:
                skip = self.text(self.flows.texts["skip"], locale, {}, timezone)
                buttons.append(Button(button_id(message.step, SKIP_VALUE), f"{SKIP_EMOJI} {skip}"))
            if message.note_offer:  # last, after skip: "send this to my coach as a note" (decision 0015)
                offer = self.text(self.flows.texts["note_offer"], locale, {}, timezone)
                buttons.append(Button(button_id(message.step, NOTE_VALUE), f"{NOTE_EMOJI} {offer}"))
        return OutboundMessage(
            text=body,
            locale=locale,
            buttons=tuple(buttons),
            multiple=message.multiple,
            skippable=message.skippable,
            right_to_left=i18n.is_right_to_left(locale),
            confirm_label=self.text(self.flows.texts["done"], locale, {}, timezone) if message.multiple else None,
        )

    def answer_labels(
        self,
        flow: Flow,
        answers: Mapping[str, Any],
        locale: str,
        state: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, list[str]]:
        """``{step}_labels`` for every answered choice question: the chosen labels in her language, with
        their emoji, for texts like "This week you did: {steps_labels}"."""
        tr = self.catalogs.translations(locale)
        labels: dict[str, list[str]] = {}
        for step in flow.steps:
            if step.ask not in ("choice", "multi", "yesno") or answers.get(step.id) is None:
                continue
            chosen = answers[step.id]
            chosen = chosen if isinstance(chosen, list) else [chosen]
            by_value = {c.value: c for c in self.flows.choices(step, state)}
            shown = []
            for value in chosen:
                choice = by_value.get(value)
                if choice is None:
                    continue
                label = choice.shown_label(tr, context or {})
                shown.append(f"{choice.emoji} {label}" if choice.emoji else label)
            labels[f"{step.id}_labels"] = shown
        return labels
