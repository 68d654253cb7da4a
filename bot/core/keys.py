"""Where the encryption keys come from (``TRAMPOLINE_ENCRYPTION_KEYS`` or a key file) and how a first key is made.

``MultiFernet`` encrypts with the first key and decrypts with any, so keys rotate without downtime:
put the new key first in ``TRAMPOLINE_ENCRYPTION_KEYS`` and re-encrypt. The embedded SQLite default keeps
its key in a file beside the database; a server database refuses to run without keys. A key is never made
on the way: only a new database gets its first key (``create_key_file``, from ``trampoline db upgrade`` or
``run`` on an empty database) or an operator asks for one (``trampoline keys generate --write``). Anything
else without its key refuses in one line that says where the key was expected (decision 0019).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet

from bot.core.crypto import Cipher
from bot.core.settings import Settings, SettingsError

log = logging.getLogger(__name__)
KEY_FILE_NAME = "encryption.key"


def key_file_for(settings: Settings) -> Path | None:
    """Where the embedded SQLite default keeps its key (beside the database), or None when the keys come
    from TRAMPOLINE_ENCRYPTION_KEYS or the database is a server's."""
    if settings.encryption_keys is not None or settings.sqlite_path is None:
        return None
    return settings.sqlite_path.parent / KEY_FILE_NAME


def load_cipher(settings: Settings) -> Cipher:
    """The keys, from TRAMPOLINE_ENCRYPTION_KEYS or the key file beside a SQLite database. Never makes a
    key: a missing one is a one-line ``SettingsError`` that says where it was expected."""
    if settings.encryption_keys is not None:
        return Cipher(settings.encryption_keys.get_secret_value().split(","))
    key_file = key_file_for(settings)
    if key_file is None:
        raise SettingsError(
            "TRAMPOLINE_ENCRYPTION_KEYS: required with PostgreSQL (make a key with: trampoline keys generate)"
        )
    if not key_file.exists():
        raise SettingsError(
            f"TRAMPOLINE_ENCRYPTION_KEYS: no encryption key: expected in {key_file} (restore it from the backup "
            "of the database, set TRAMPOLINE_ENCRYPTION_KEYS, or make a first one with `trampoline keys "
            "generate --write`)"
        )
    return Cipher([_read_key(key_file)])


def create_key_file(key_file: Path) -> None:
    """Write a new key to ``key_file`` (readable by its owner only); refuses to replace one."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(Fernet.generate_key().decode())


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    try:
        Fernet(key.encode())
    except ValueError:
        raise SettingsError(f"TRAMPOLINE_ENCRYPTION_KEYS: the key file {path} does not hold a valid key") from None
    return key
