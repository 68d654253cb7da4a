"""A copy of the shipped catalogs to edit in a test, and `trampoline flows check` on it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po, write_po
from typer.testing import CliRunner

from bot.cli.main import cli
from bot.core.paths import project_root


def _copy_locales(tmp_path: Path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(project_root() / "locales", copy)
    return copy


def _edit(locales: Path, locale: str, change: Any) -> None:
    path = locales / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_by_file=True)


def _check(locales: Path) -> Any:
    return CliRunner().invoke(cli, ["flows", "check", "--locales", str(locales)])
