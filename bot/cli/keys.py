"""``trampoline keys generate``, and the first key of a new embedded database (made by ``db upgrade``,
``run`` and ``chat``). ``keys rotate`` is in bot/cli/privacy.py."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import typer
from cryptography.fernet import Fernet

from bot.cli.common import fail, settings_or_fail
from bot.core.keys import create_key_file, key_file_for
from bot.core.settings import Settings

keys_cli = typer.Typer(help="Encryption keys for data at rest.", no_args_is_help=True)


def prepare_first_key(settings: Settings) -> Path | None:
    """A new embedded database gets its first encryption key here, and only here (``db upgrade``, ``run`` and
    ``chat``, which migrate): the file path when one was made. An existing database without its key is left
    alone, so ``load_cipher`` refuses in one line instead of making a key that cannot read her notes."""
    key_file = key_file_for(settings)
    if key_file is None or key_file.exists() or settings.sqlite_path is None:
        return None
    if not sqlite_is_new(settings.sqlite_path):
        return None
    create_key_file(key_file)
    return key_file


KEY_MADE = "created an encryption key in {}; back it up with the database, or set TRAMPOLINE_ENCRYPTION_KEYS"


def sqlite_is_new(path: Path) -> bool:
    """No file yet, or a file with no tables (SQLite makes an empty file on first connect)."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return int(tables[0]) == 0


@keys_cli.command("generate")
def keys_generate(
    write: bool = typer.Option(
        False, "--write", help="Write the key to the key file beside the SQLite database instead of printing it."
    ),
) -> None:
    """Print a new encryption key for TRAMPOLINE_ENCRYPTION_KEYS (put the newest key first). With --write,
    make the first key file of an embedded SQLite database (it never replaces one)."""
    if not write:
        typer.echo(Fernet.generate_key().decode())
        return
    settings = settings_or_fail()
    key_file = key_file_for(settings)
    if key_file is None:
        fail(
            "--write is for the embedded SQLite database; with TRAMPOLINE_ENCRYPTION_KEYS or PostgreSQL, "
            "put the printed key in TRAMPOLINE_ENCRYPTION_KEYS"
        )
    if key_file.exists():
        fail(f"{key_file} already holds a key; to change keys see `trampoline keys rotate`")
    create_key_file(key_file)
    typer.echo(f"a new encryption key is in {key_file}: back it up with the database")
