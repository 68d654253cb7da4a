"""The templates as a coordinator submits them to Meta, in every template language, from one source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.channels.whatsapp.templates import Template, TemplateError, load_templates
from bot.cli.main import cli
from bot.core.paths import project_root

ROOT = project_root()
TEMPLATES = load_templates(ROOT / "conversations" / "_whatsapp_templates.yaml")


def trampoline(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_committed_doc_is_the_generated_one() -> None:
    generated = trampoline("whatsapp", "templates", "--format", "markdown")
    committed = (ROOT / "docs" / "whatsapp-templates.md").read_text(encoding="utf-8")
    assert committed == generated, "run: trampoline whatsapp templates --format markdown > docs/whatsapp-templates.md"


def test_dari_templates_are_submitted_as_prs_af_with_meta_variables_and_examples() -> None:
    items = json.loads(trampoline("whatsapp", "templates", "--locale", "fa_AF", "--format", "json"))["templates"]
    assert (
        items == json.loads(trampoline("whatsapp", "templates", "--locale", "prs_AF", "--format", "json"))["templates"]
    )
    assert {item["language"] for item in items} == {"prs_AF"}
    assert {item["name"] for item in items} == {t.name for t in TEMPLATES.by_kind.values()}
    invite = next(item for item in items if item["name"] == "trampoline_checkin_invite")
    assert "{{1}}" in invite["body"] and "{name}" not in invite["body"] and invite["examples"] == ["Amina"]
    assert invite["category"] == "UTILITY" and "سلام" in invite["body"]


def test_every_template_language_has_every_body_translated() -> None:
    items = json.loads(trampoline("whatsapp", "templates", "--format", "json"))["templates"]
    english = {item["name"]: item["body"] for item in items if item["language"] == "en"}
    languages = {item["language"] for item in items}
    assert languages == {"en", "fr", "nl", "ar", "tr", "uk", "ru", "prs_AF"}
    for item in items:
        if item["language"] != "en":
            assert item["body"] != english[item["name"]], (item["language"], item["name"])
        assert item["body"].count("{{1}}") == len(item["examples"])


def test_the_text_format_names_each_template_for_pasting() -> None:
    text = trampoline("whatsapp", "templates", "--locale", "ar")
    assert "trampoline_coach_summary\n  category: UTILITY\n  language: ar (our ar)\n  body: " in text


def test_a_body_with_a_placeholder_that_is_no_parameter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "_whatsapp_templates.yaml"
    path.write_text('templates:\n  alert: {name: x, params: [], text: "Hello {name}"}\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="alert"):
        load_templates(path)


@pytest.mark.parametrize(
    ("body", "start"),
    [
        ("templates:\n  alert: {params: [], text: Hello}\n", "template 'alert', field name: "),
        ("templates:\n  alert: {name: [x], params: [], text: Hello}\n", "template 'alert', field name: "),
        ('templates:\n  nudge: {name: x, params: [age], text: "Hi {age}"}\n', "template 'nudge', field params: "),
        ('templates:\n  nudge: {name: x, params: [name], text: "Hi"}\n', "template 'nudge', field text: "),
        ("templates:\n  nudge: {name: x, text: [Hi]}\n", "template 'nudge', field text: "),
        ('templates:\n  nudge: {name: x, text: "Hi {"}\n', "template 'nudge', field text: "),
        ("templates:\n  nudge: {name: x, category: [a]}\n", "template 'nudge', field category: "),
        ("templates:\n  nudge: [x]\n", "template 'nudge': "),
        ("templates: [nudge]\n", "field templates: "),
        ("languages: {en: en}\n", "field templates: "),
        ("templates: {}\nlanguages: [en]\n", "field languages: "),
        ("templates: {}\nfallback_languages: fr\n", "field fallback_languages: "),
        ("- templates\n", "needs a 'templates' mapping"),
    ],
)
def test_a_broken_templates_file_is_one_line_naming_the_template_and_field(
    tmp_path: Path, body: str, start: str
) -> None:
    path = tmp_path / "_whatsapp_templates.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TemplateError) as raised:
        load_templates(path)
    message = str(raised.value)
    assert message.startswith(f"_whatsapp_templates.yaml: {start}"), message
    assert "\n" not in message and len(message) < 200


def test_a_templates_file_with_defaults_reads_as_before(tmp_path: Path) -> None:
    path = tmp_path / "_whatsapp_templates.yaml"
    path.write_text(
        "templates:\n  alert: {name: coach_alert}\n  nudge: {name: hi, params: [name], text: 'Hi {name}', "
        "category: marketing}\nlanguages: {en: en_US, ti: }\n",
        encoding="utf-8",
    )
    templates = load_templates(path)
    assert templates.by_kind["alert"] == Template("coach_alert", (), "", "UTILITY")
    assert templates.by_kind["nudge"] == Template("hi", ("name",), "Hi {name}", "MARKETING")
    assert dict(templates.languages) == {"en": "en_US"}  # a locale without a template language is left out
    assert templates.fallback == ("fr", "en")
