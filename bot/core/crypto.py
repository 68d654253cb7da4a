"""Encryption at rest for free text (notes for the coach), voice and file references.

``MultiFernet`` encrypts with the first key and decrypts with any, so keys rotate without downtime: put the
new key first and re-encrypt. Where the keys come from is ``bot/core/keys.py``; code that encrypts is given
a ``Cipher`` and never reads a setting.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


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
