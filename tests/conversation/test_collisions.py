"""``trampoline flows check`` fails when a command word is also one of her ordinary answers: a choice's label or
word, a button, or a whole line of her language's everyday answers (locales/<lang>/everyday.txt), and prints
each collision with the language, the word and where (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po, write_po
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.conversation.collisions import MIN_EVERYDAY_LINES, collisions, everyday_lines
from bot.core.i18n import SUPPORTED_LOCALES
from bot.core.paths import project_root
from tests.support.harness import conversations
from tests.support.locales import _copy_locales

FLOWS, CATALOGS = conversations()


def _check(locales: Path) -> Any:
    return CliRunner().invoke(cli, ["flows", "check", "--locales", str(locales)])


def _command_words(locales: Path, locale: str, command_words: str, words: str) -> None:
    path = locales / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    catalog.get(command_words, context="command").string = words
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_by_file=True)


def test_the_shipped_catalogs_have_no_collision_and_every_language_its_everyday_answers() -> None:
    assert collisions(FLOWS, CATALOGS, project_root() / "locales") == []
    for locale in SUPPORTED_LOCALES:
        assert len(everyday_lines(project_root() / "locales", locale)) >= MIN_EVERYDAY_LINES, locale


def test_a_command_word_that_is_a_whole_everyday_answer_fails_the_check(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    _command_words(locales, "nl", "forget|delete my data", "wissen|vergeten|wis mijn gegevens")  # as on main
    result = _check(locales)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if line.startswith("collision: nl:"))
    assert "'vergeten' (forget)" in line and "everyday answer 'vergeten'" in line and "everyday.txt line" in line


def test_a_command_word_that_is_a_choice_word_or_label_fails_the_check(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    _command_words(locales, "ar", "stop", "توقف|إيقاف|لا")  # "لا" is "no"
    _command_words(locales, "fr", "change language|switch language", "langue")  # the obstacle "Langue"
    result = _check(locales)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("collision:")]
    assert any("ar: command word 'لا' (stop)" in line and "choice word" in line for line in lines), lines
    assert any("fr: command word 'langue' (language)" in line and "'Langue'" in line for line in lines), lines


def test_a_menu_button_that_does_what_the_word_does_is_no_collision() -> None:
    # "Help" is a button of the menu and the help command: the same thing, so no collision.
    assert not [c for c in collisions(FLOWS, CATALOGS, project_root() / "locales") if c.command == "help"]


def test_a_missing_or_short_everyday_list_fails_the_check(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)
    (locales / "so" / "everyday.txt").write_text("waan ilaaway\n", encoding="utf-8")
    result = _check(locales)
    assert result.exit_code == 1
    assert "so:" in result.stdout and f"at least {MIN_EVERYDAY_LINES}" in result.stdout
