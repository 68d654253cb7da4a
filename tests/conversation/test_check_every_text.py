"""``flows check`` covers every text the bot can send, and knows which placeholders can be empty."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from bot.channels.whatsapp import load_templates
from bot.coaching.texts import msgids as coach_msgids
from bot.conversation.check import coverage, empty_placeholder_problems, template_msgids
from bot.conversation.flows import FlowSet
from bot.conversation.review import is_reviewed, is_stale, mark_reviewed
from bot.core.i18n import Catalogs
from bot.core.paths import project_root
from bot.translation.extract import extract_catalog
from tests.support.harness import conversations

FLOWS, CATALOGS = conversations()
ROOT = project_root()
TEXTS = template_msgids(extract_catalog(ROOT))


def test_the_check_covers_coach_texts_template_bodies_and_engine_texts() -> None:
    checked = {msgid for msgid, _, _ in TEXTS} | {msgid for msgid, _, _ in FLOWS.msgids()}
    assert coach_msgids() <= checked
    templates = load_templates(ROOT / "conversations" / "_whatsapp_templates.yaml")
    assert {t.text for t in templates.by_kind.values()} <= checked
    assert set(FLOWS.texts) and all(isinstance(t, str) for t in FLOWS.texts.values() if isinstance(t, str))
    report = next(r for r in coverage(FLOWS, CATALOGS, TEXTS) if r.locale == "fr")
    assert report.total == len(set(FLOWS.msgids()) | set(TEXTS))


def test_every_catalog_is_complete_for_every_text() -> None:
    for report in coverage(FLOWS, CATALOGS, TEXTS):
        assert report.ok, (report.locale, report.problems)


def test_an_empty_plural_form_of_a_coach_text_fails(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    path = locales / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    message = catalog.get("✅ {name}: mood {mood}, {steps} step{obstacles}")
    assert message is not None
    message.string = (message.string[0], message.string[1], "")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    report = next(r for r in coverage(FLOWS, Catalogs(locales), TEXTS) if r.locale == "fr")
    assert not report.ok
    assert any("✅ {name}" in problem for problem in report.problems)


def test_a_flow_text_with_a_name_that_can_be_empty_needs_a_variant_without_it() -> None:
    assert empty_placeholder_problems(FLOWS) == []
    menu = FLOWS.flows["menu"]
    step = next(s for s in menu.steps if s.text is not None)
    broken_step = step.model_copy(update={"text": "Hello {name}! What do you want to do?"})
    broken = FlowSet(
        **{**FLOWS.__dict__, "flows": {**FLOWS.flows, "menu": menu.model_copy(update={"steps": [broken_step]})}}
    )
    (problem,) = empty_placeholder_problems(broken)
    assert "menu step" in problem and "{name} can be empty" in problem and "without_name" in problem


def test_a_review_goes_stale_when_the_english_changes() -> None:
    with (ROOT / "locales" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="nl")
    message = catalog.get("Hello {name}! What do you want to do?")
    assert message is not None
    assert not is_reviewed(message)
    mark_reviewed(message)
    assert is_reviewed(message) and not is_stale(message)
    assert "machine-drafted" not in message.user_comments
    message.id = "Hello {name}! What would you like to do?"
    assert is_stale(message) and not is_reviewed(message)
