"""Catalogs: every text extracted, the committed template current, plural forms right, right-to-left safe."""

from __future__ import annotations

import gettext

import pytest
from babel.messages.plurals import get_plural

from bot.channels.whatsapp import load_templates
from bot.coaching.texts import msgids as coach_msgids
from bot.conversation.render import Renderer
from bot.conversation.wording import PluralText
from bot.core import i18n
from bot.core.paths import project_root
from bot.translation.extract import extract_catalog
from tests.support.harness import conversations

FLOWS, CATALOGS = conversations()
ROOT = project_root()


def ids(catalog: object) -> set[tuple[str, str | None]]:
    found = set()
    for message in catalog:  # type: ignore[attr-defined]
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        found.add((msgid, message.context))
    return found


def test_the_extractor_finds_every_text_of_the_flows() -> None:
    wanted = {(msgid, context) for msgid, _, context in FLOWS.msgids()}
    wanted |= {(msgid, None) for msgid in coach_msgids()}  # conversations/_coaching.yaml
    templates = load_templates(ROOT / "conversations" / "_whatsapp_templates.yaml")
    wanted |= {(template.text, None) for template in templates.by_kind.values()}  # the template bodies
    wanted |= python_msgids()  # the code's own: CLI counts (ngettext), the programme report's texts (N_)
    assert ids(extract_catalog(ROOT)) == wanted


def python_msgids() -> set[tuple[str, str | None]]:
    from babel.messages.extract import extract_from_dir

    found = set()
    for _, _, message, _, context in extract_from_dir(str(ROOT), method_map=[("bot/**.py", "python")]):
        found.add((message[0] if isinstance(message, tuple) else message, context))
    assert ("Programme report", None) in found and ("{count} shift imported", None) in found
    return found


def test_the_committed_template_is_current() -> None:
    from babel.messages.pofile import read_po

    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        committed = read_po(handle)
    assert ids(committed) == ids(extract_catalog(ROOT)), "run `trampoline i18n extract` and `trampoline i18n update`"


@pytest.mark.parametrize("locale", sorted(CATALOGS.catalogs))
def test_each_catalog_has_babels_plural_forms(locale: str) -> None:
    catalog = CATALOGS.catalogs[locale]
    count, expression = get_plural(locale)
    assert catalog.num_plurals == count
    assert catalog.plural_expr == expression


@pytest.mark.parametrize("locale", [code for code in ("ar", "uk", "ru", "nl", "fr") if code in CATALOGS.catalogs])
def test_plural_texts_take_the_right_form_for_each_count(locale: str) -> None:
    renderer = Renderer(FLOWS, CATALOGS)
    closing = FLOWS.flow("checkin").step("well_done").say
    assert isinstance(closing, PluralText)
    message = CATALOGS.catalogs[locale].get(closing.singular)
    assert message is not None
    form = gettext.c2py(get_plural(locale)[1])
    for count in (0, 1, 2, 3, 5, 11, 21, 100):
        rendered = renderer.text(closing, locale, {"steps_total": count, "steps_labels": ["x"]})
        expected = message.string[form(count)]
        assert rendered.split("{")[0][:12] == expected.split("{")[0][:12]
        if "{steps_total}" in expected:
            assert i18n.number(count, locale) in rendered


def test_right_to_left_texts_isolate_what_is_filled_in() -> None:
    renderer = Renderer(FLOWS, CATALOGS)
    text = renderer.text("Welcome back, {name}! 😊 I will send your reminders again.", "ar", {"name": "Amina"})
    assert f"{i18n.FIRST_STRONG_ISOLATE}Amina{i18n.POP_DIRECTIONAL_ISOLATE}" in text
    left_to_right = renderer.text("Welcome back, {name}! 😊 I will send your reminders again.", "nl", {"name": "Amina"})
    assert i18n.FIRST_STRONG_ISOLATE not in left_to_right


def test_numbers_and_dates_follow_her_locale() -> None:
    from datetime import UTC, datetime

    assert i18n.number(1234.5, "nl") == "1.234,5"
    assert i18n.number(1234.5, "en") == "1,234.5"
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Brussels, the night clocks go forward
    assert i18n.day(moment, "nl", "Europe/Brussels") == "29 maart 2026"
    assert i18n.day(moment, "en", "America/New_York") == "March 28, 2026"


@pytest.mark.parametrize(
    ("hint", "locale"),
    [("ar", "ar"), ("nl-BE", "nl"), ("fa-AF", "fa_AF"), ("prs", "fa_AF"), ("de", None), (None, None), ("FR", "fr")],
)
def test_platform_language_hints(hint: str | None, locale: str | None) -> None:
    assert i18n.locale_from_hint(hint) == locale


def test_the_language_list_names_each_language_in_its_own_script() -> None:
    labels = {c.value: c.label for c in FLOWS.choice_lists["languages"]}
    for code in CATALOGS.available():
        assert labels[code.lower()] == i18n.AUTONYMS[code]


@pytest.mark.parametrize(
    ("code", "locale", "name"),
    [
        ("ar", "en", "Arabic"),
        ("ar", "fr", "arabe"),
        ("fa_AF", "en", "Dari"),
        ("prs", "en", "Dari"),  # a language she speaks: CLDR has no "prs", it is our Dari
        ("prs", "nl", "Dari"),
        ("fa", "en", "Persian"),
        ("ti", "en", "Tigrinya"),
        ("so", "nl", "Somalisch"),
        ("ps", "en", "Pashto"),
        ("xx", "en", "xx"),  # unknown to Babel: the code
        ("ar", "not-a-locale", "ar"),
    ],
)
def test_language_name_is_babels_with_dari_one_way(code: str, locale: str, name: str) -> None:
    assert i18n.language_name(code, locale) == name
