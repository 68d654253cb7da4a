"""Every command's ``--help`` shows its help texts whole: no word lost to markup ("[voice]"), no sentence
broken in the middle of a line of the command list."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import bot
from bot.cli.main import cli

BOX = re.compile(r"[│╭╮╰╯─┌┐└┘├┤┬┴┼]")


def _flat(text: str) -> str:
    return " ".join(BOX.sub(" ", text).split())


def _source(text: str) -> str:
    """A help text as the reader should see it: without markdown's code marks."""
    return _flat(inspect.cleandoc(text).partition("\f")[0].replace("`", ""))


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "commands"):  # a group (Typer has its own copy of click)
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(cli)))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], env={"COLUMNS": "100", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    return _flat(result.output)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "trampoline" for p, _ in COMMANDS])
def test_every_help_text_is_shown_whole(path: tuple[str, ...], command: Any) -> None:
    shown = _help(path)
    if command.help:
        assert _source(command.help) in shown
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            assert _source(text) in shown, (param.name, text)
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            if getattr(sub, "hidden", False):  # an old name kept working, not listed (`shifts`)
                assert f" {name} " not in shown, name
                continue
            first = inspect.cleandoc(sub.help or "").split("\n\n")[0]
            assert f"{name} {_source(first)}" in shown, name


def test_the_chat_help_names_the_voice_mark() -> None:
    assert "a line starting with [voice] sends a voice note" in _help(("chat",))


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "trampoline" for p, _ in COMMANDS])
def test_dash_h_is_help_everywhere(path: tuple[str, ...], command: Any) -> None:
    short = CliRunner().invoke(cli, [*path, "-h"], env={"COLUMNS": "100", "TERM": "dumb"})
    assert short.exit_code == 0, short.output
    assert _flat(short.output) == _help(path)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"trampoline {bot.__version__}"
