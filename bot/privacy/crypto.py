"""Encryption at rest for free text (notes for the coach), voice and file references.

``MultiFernet`` encrypts with the first key and decrypts with any, so keys rotate without downtime:
put the new key first in ``TRAMPOLINE_ENCRYPTION_KEYS`` and re-encrypt. The embedded SQLite default keeps
its key in a file beside the database (and says so); a server database refuses to run without keys.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)
KEY_FILE_NAME = "encryption.key"


class Cipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("cannot decrypt: none of the configured keys fits") from None

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def load_cipher(settings: Settings) -> Cipher:
    if settings.encryption_keys is not None:
        return Cipher(settings.encryption_keys.get_secret_value().split(","))
    if settings.sqlite_path is None:
        raise SettingsError(
            "TRAMPOLINE_ENCRYPTION_KEYS: required with PostgreSQL (make a key with: trampoline keys generate)"
        )
    key_file = settings.sqlite_path.parent / KEY_FILE_NAME
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(Fernet.generate_key().decode())
        log.warning(
            "created an encryption key in %s; back it up with the database, or set TRAMPOLINE_ENCRYPTION_KEYS",
            key_file,
        )
    return Cipher([_read_key(key_file)])


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    try:
        Fernet(key.encode())
    except ValueError:
        raise SettingsError(f"TRAMPOLINE_ENCRYPTION_KEYS: the key file {path} does not hold a valid key") from None
    return key
