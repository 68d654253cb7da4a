"""``trampoline whatsapp templates``: the message templates a coordinator submits to Meta."""

from __future__ import annotations

import enum

import typer

from bot.app import load_conversations
from bot.channels.whatsapp import TemplateError, load_templates
from bot.channels.whatsapp_templates import as_markdown, as_text, submissions
from bot.cli.common import emit_json, fail
from bot.conversation.flows import FlowError
from bot.core.paths import project_root

whatsapp_cli = typer.Typer(help="WhatsApp: the message templates to submit to Meta.", no_args_is_help=True)


class TemplateFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@whatsapp_cli.command("templates")
def whatsapp_templates(
    locale: str | None = typer.Option(
        None, "--locale", help="Only this language: our locale (fa_AF) or Meta's code (prs_AF).", show_default=False
    ),
    output: TemplateFormat = typer.Option(TemplateFormat.text, "--format", help="text, json, or markdown."),
) -> None:
    """Print each template as a coordinator pastes it into Meta's template manager: name, category,
    language code, and the body with example values. The markdown is docs/whatsapp-templates.md."""
    try:
        templates = load_templates(project_root() / "conversations" / "_whatsapp_templates.yaml")
        _, catalogs = load_conversations()
    except (TemplateError, FlowError) as exc:
        fail(str(exc), output is TemplateFormat.json)
    items = submissions(templates, lambda text, code: catalogs.translations(code).gettext(text), locale)
    if not items:
        fail(f"no template language for {locale!r}; see languages: in conversations/_whatsapp_templates.yaml")
    if output is TemplateFormat.json:
        emit_json({"templates": [item.as_dict() for item in items]})
    else:
        typer.echo(as_markdown(items) if output is TemplateFormat.markdown else as_text(items), nl=False)
