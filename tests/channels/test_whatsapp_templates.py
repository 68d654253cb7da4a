"""The templates as a coordinator submits them to Meta, in every template language, from one source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.channels.whatsapp import TemplateError, load_templates
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
