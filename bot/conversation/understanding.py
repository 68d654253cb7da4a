"""Reading her reply to a question: what she did (``Reply``), her language (``Translator``), the button ids
(``step|value``) and what a reply to one step means (``understand``: a pressed button, a typed label, number
or word of a choice, a number, a time, a date, free text or a voice note; ``wants_note_sent``: the button that
sends her held sentence to her coach). Pure: ``bot/conversation/interpreter.py`` runs the steps with it, and
``bot/conversation/answers.py`` reads the words themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.conversation import answers
from bot.conversation.flows import Step
from bot.conversation.wording import Choice, Text

SKIP_VALUE = "_skip"
NOTE_VALUE = "_note"  # the button that sends the sentence she sent at a choice question to her coach
LONG_TEXT_WORDS = 4  # "long": at least 4 words, or more than 25 characters, with a letter in it
LONG_TEXT_CHARACTERS = 25
CONTRADICTS = "_contradicts"  # a multiple choice with an exclusive value ("nothing") and another


class Translator(Protocol):
    """Her language's catalog (``babel.support.Translations`` fits)."""

    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


class English:
    """The identity translation: message ids are English."""

    def gettext(self, message: str) -> str:
        return message

    def pgettext(self, context: str, message: str) -> str:
        return message


@dataclass(frozen=True)
class Reply:
    """What she did, stripped of platform details."""

    text: str | None = None
    choice: str | None = None  # a button id: "step|value"
    choices: tuple[str, ...] = ()  # several button ids at once
    confirmed: bool = False  # a multiple choice confirmed ("Done"), ``choices`` the ticked ones, maybe none
    media_kind: str | None = None
    media_ref: str | None = None


def understand(
    step: Step, reply: Reply, ordered: Sequence[Choice], skip_label: Text, tr: Translator
) -> tuple[bool, Any]:
    """What her reply to ``step`` means: (understood, the value), the value ``None`` for a skip. ``ordered``:
    the choices as she sees them (numbers typed count in this order)."""
    if step.optional and is_skip(reply, skip_label, tr):
        return True, None
    menu = step.ask in ("choice", "multi", "yesno")
    if menu and step.optional and reply.text is not None and reply.text.strip() == str(len(ordered) + 1):
        return True, None  # a numbered menu (WhatsApp) lists skip last, after the choices
    options = options_for(ordered, tr)
    by_value = {c.value: c for c in ordered}
    if step.ask in ("choice", "yesno"):
        value = button_value(reply.choice) if reply.choice else None
        if value is None and reply.text is not None:
            value = answers.match_choice(reply.text, options)
        if value in by_value:
            return True, value
        return False, None
    if step.ask == "multi":
        values: list[str] | None = None
        if reply.choices:
            values = [v for v in (button_value(c) for c in reply.choices) if v is not None]
        elif reply.choice:
            single = button_value(reply.choice)
            values = [single] if single else None
        elif reply.text is not None:
            values = answers.match_choices(reply.text, options)
        if not values or any(v not in by_value for v in values):
            return False, None
        if len(values) > 1 and any(v in step.exclusive for v in values):
            return False, CONTRADICTS  # "nothing" and a step: she is asked which one is right
        return True, values
    if step.ask == "text":
        if reply.media_kind and reply.media_ref:
            return True, {"media": reply.media_kind, "ref": reply.media_ref}
        if reply.text is not None and reply.text.strip():
            return True, {"text": reply.text.strip()}
        return False, None
    if reply.text is None:
        return False, None
    if step.ask == "number":
        number = answers.parse_number(reply.text)
        if (
            number is None
            or (step.min is not None and number < step.min)
            or (step.max is not None and number > step.max)
        ):
            return False, None
        return True, int(number) if number.is_integer() else number
    if step.ask == "time":
        moment = answers.parse_time(reply.text)
        return (moment is not None), (moment.strftime("%H:%M") if moment else None)
    if step.ask == "date":
        day = answers.parse_date(reply.text)
        return (day is not None), (day.isoformat() if day else None)
    return False, None


def wants_note_sent(step: Step, reply: Reply, ordered: Sequence[Choice], note_label: Text, tr: Translator) -> bool:
    """Her answer is the note button: pressed, its number typed (it is listed last, after skip) or its
    label typed."""
    if reply.choice:
        return button_value(reply.choice) == NOTE_VALUE
    if reply.text is None:
        return False
    if answers.western_digits(reply.text).strip() == str(len(ordered) + (2 if step.optional else 1)):
        return True
    said = answers.simplify(reply.text)
    return (
        bool(said)
        and isinstance(note_label, str)
        and said in {answers.simplify(tr.gettext(note_label)), answers.simplify(note_label)}
    )


def options_for(choices: Sequence[Choice], tr: Translator) -> list[answers.Option]:
    """How she can name each choice: its label in her language, in English, its extra words in both."""
    options = []
    for choice in choices:
        label = tr.gettext(choice.label) if choice.translate else choice.label
        words = [choice.label, choice.value.replace("_", " ")]
        words += [tr.pgettext(context, choice.label) for context in choice.label_contexts()]  # her coach's gender
        if choice.words:
            words += tr.pgettext("words", choice.words).split("|") + choice.words.split("|")
        options.append(answers.Option(choice.value, label, tuple(words), choice.emoji))
    return options


def is_long(text: str | None) -> bool:
    """A sentence rather than a mistyped answer: at least 4 words or more than 25 characters, with a letter."""
    if text is None or not any(char.isalpha() for char in text):
        return False
    return len(text.split()) >= LONG_TEXT_WORDS or len(text.strip()) > LONG_TEXT_CHARACTERS


def is_skip(reply: Reply, skip_label: Text, tr: Translator) -> bool:
    if button_value(reply.choice) == SKIP_VALUE:
        return True
    if reply.text is None or not isinstance(skip_label, str):
        return False
    said = answers.simplify(reply.text)
    return bool(said) and said in {answers.simplify(tr.gettext(skip_label)), answers.simplify(skip_label)}


def button_id(step: str, value: str) -> str:
    return f"{step}|{value}"


def button_step(button: str | None) -> str | None:
    if not button or "|" not in button:
        return None
    return button.split("|", 1)[0]


def button_value(button: str | None) -> str | None:
    if not button:
        return None
    return button.split("|", 1)[1] if "|" in button else button
