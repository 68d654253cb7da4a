"""The words of a flow: texts (plain, plural, with and without her name, about her coach, addressed to a
coach) and choices, as the YAML of ``conversations/*.yaml`` writes them, with the message contexts that give
translators each variant (decisions 0016 and 0017)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

CHOICE_VALUE = r"^[a-z0-9_]{1,24}$"


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
