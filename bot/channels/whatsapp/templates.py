"""The pre-approved templates that stand for a message the bot starts outside WhatsApp's 24-hour window
(``conversations/_whatsapp_templates.yaml``): in her language when Meta has a template language for it, else
in one she also speaks, else the configured fallback."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

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


def load_templates(path: Path) -> Templates:
    """Read the templates file; raises ``TemplateError`` with one line when it is broken."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("templates"), dict):
        raise TemplateError(f"{path.name}: needs a 'templates' mapping")
    by_kind: dict[str, Template] = {}
    for kind, spec in data["templates"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise TemplateError(f"{path.name}: template for '{kind}' needs a name")
        params = tuple(str(p) for p in spec.get("params") or ())
        unknown = [p for p in params if p != "name"]
        if unknown:
            raise TemplateError(f"{path.name}: template for '{kind}' has unknown parameters {unknown}")
        text = spec.get("text") or ""
        if not isinstance(text, str) or set(_placeholders(text)) != set(params):
            raise TemplateError(f"{path.name}: the body of the template for '{kind}' must use exactly its params")
        by_kind[str(kind)] = Template(spec["name"], params, text, str(spec.get("category") or "UTILITY").upper())
    languages = data.get("languages") or {}
    fallback = data.get("fallback_languages") or ["fr", "en"]
    if not isinstance(languages, dict) or not isinstance(fallback, list):
        raise TemplateError(f"{path.name}: 'languages' must be a mapping and 'fallback_languages' a list")
    return Templates(
        by_kind,
        {str(k): str(v) for k, v in languages.items() if v},
        tuple(str(code) for code in fallback),
    )


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
