"""The pre-approved templates that stand for a message the bot starts outside WhatsApp's 24-hour window
(``conversations/_whatsapp_templates.yaml``): in her language when Meta has a template language for it, else
in one she also speaks, else the configured fallback."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, StrictStr, ValidationError, ValidationInfo, field_validator

from bot.core.i18n import locale_from_hint
from bot.messaging.channel import SendContext

WINDOW = timedelta(hours=24)

# A message object for the Graph API's /messages: its type and the object under that type.
Outgoing = tuple[str, dict[str, Any]]


class TemplateError(ValueError):
    """The templates file is broken; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Template:
    name: str
    params: tuple[str, ...] = ()  # body parameters, in order: "name" (her display name)
    text: str = ""  # the English body, a message id translated in locales/; {name} is Meta's {{1}}
    category: str = "UTILITY"  # Meta's template category


@dataclass(frozen=True)
class Templates:
    """Which pre-approved template stands for a message the bot starts outside the window."""

    by_kind: Mapping[str, Template] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)  # our locale -> Meta's template language
    fallback: tuple[str, ...] = ("fr", "en")  # our locales, tried in order when hers has no template language

    def language_for(self, locale: str | None, spoken: tuple[str, ...] = ()) -> str | None:
        """Her language when Meta has it, else the first other language she speaks that Meta has, else the
        fallback (French, then English)."""
        for candidate in (locale, *spoken, *self.fallback):
            if candidate is None:
                continue
            # Exact codes only: Dari (fa_AF, "prs" among the languages she speaks) must not become Persian.
            for key in (candidate, candidate.lower(), locale_from_hint(candidate) or candidate):
                if key in self.languages:
                    return self.languages[key]
        return None

    def message(self, kind: str, context: SendContext) -> Outgoing | None:
        template = self.by_kind.get(kind)
        language = self.language_for(context.locale, context.second_locales)
        if template is None or language is None:
            return None
        values = {"name": context.name or "🙂"}
        body: dict[str, Any] = {"name": template.name, "language": {"policy": "deterministic", "code": language}}
        if template.params:
            body["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": values[p]} for p in template.params]}
            ]
        return "template", body


def _text_or_empty(value: Any) -> Any:
    return value or ""


def _strings(value: Any) -> Any:
    """A YAML list of parameters, each written as text (``[name]``); none is an empty list."""
    return [str(v) for v in value] if isinstance(value, list) else value or ()


class _TemplateSpec(BaseModel):
    """One template of the file; unknown keys are ignored, as before."""

    name: StrictStr
    params: Annotated[tuple[str, ...], BeforeValidator(_strings)] = ()
    text: Annotated[StrictStr, BeforeValidator(_text_or_empty)] = ""
    category: Annotated[StrictStr, BeforeValidator(lambda v: v or "UTILITY")] = "UTILITY"

    @field_validator("params")
    @classmethod
    def _known_params(cls, params: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [p for p in params if p != "name"]
        if unknown:
            raise ValueError(f"unknown parameters {unknown}; the only one is name")
        return params

    @field_validator("text")
    @classmethod
    def _uses_its_params(cls, text: str, info: ValidationInfo) -> str:
        params = info.data.get("params")
        if params is not None and set(_placeholders(text)) != set(params):
            raise ValueError("the body must use exactly its params")
        return text


def _languages(value: Any) -> Any:
    """Our locale -> Meta's language; a locale with no template language (empty) is left out."""
    return {str(k): str(v) for k, v in value.items() if v} if isinstance(value, dict) else value or {}


class _TemplatesFile(BaseModel):
    templates: dict[str, _TemplateSpec]
    languages: Annotated[dict[str, str], BeforeValidator(_languages)] = {}
    fallback_languages: Annotated[list[str], BeforeValidator(lambda v: _strings(v or ["fr", "en"]))] = ["fr", "en"]


def load_templates(path: Path) -> Templates:
    """Read the templates file; raises ``TemplateError`` with one line naming the template and field when it
    is broken."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path.name}: needs a 'templates' mapping")
    try:
        read = _TemplatesFile.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(f"{path.name}: {_where(exc)}") from None
    return Templates(
        {kind: Template(t.name, t.params, t.text, t.category.upper()) for kind, t in read.templates.items()},
        read.languages,
        tuple(read.fallback_languages),
    )


_PROBLEMS = {
    "missing": "is missing",
    "model_type": "should be a mapping",
    "dict_type": "should be a mapping",
    "string_type": "should be text",
    "list_type": "should be a list",
    "tuple_type": "should be a list",
}


def _where(exc: ValidationError) -> str:
    """The first error as "template 'alert', field text: what is wrong"."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    problem = (
        str(error["ctx"]["error"]) if "error" in error.get("ctx", {}) else _PROBLEMS.get(error["type"], error["msg"])
    )
    if loc[0] == "templates" and len(loc) >= 2:
        field_name = f", field {loc[2]}" if len(loc) > 2 else ""
        return f"template '{loc[1]}'{field_name}: {problem}"
    return f"field {loc[0]}: {problem}"


def _placeholders(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["<broken braces>"]


def window_open(context: SendContext | None, now: datetime) -> bool:
    """Her last message is less than 24 hours old (free-form messages are allowed)."""
    if context is None or context.last_inbound_at is None:
        return False
    return now - context.last_inbound_at < WINDOW
