"""The outbox payload sealed at rest: what a person typed (a note, a message to or from the coach, her
answers echoed back, a caption, an export) never lies in the database file in clear text.

A payload is split on its way into the database: the keys the dispatcher and the delivery record need to
route and count (``CLEAR_KEYS``) stay readable; everything else is one encrypted blob under ``SEALED``,
with the same keys as the notes. The blob is opened only when the row is read back, that is when the
dispatcher claims it to send. After sending, ``reduce_after_send`` leaves only the clear keys.

The sealer is given to the engine (``seal_with``), not read from settings: the database layer does not know
where keys come from. Writing a payload with free text to an engine without a sealer is refused, so a
process that forgot its key fails loudly instead of storing her words in clear (decision 0022).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy import JSON, Dialect, TypeDecorator
from sqlalchemy.ext.asyncio import AsyncEngine

SEALED = "sealed"
# What routing and the delivery record need; none of it is typed by a person.
CLEAR_KEYS = frozenset({"locale", "rtl", "multiple", "skippable", "as_template", "document_sent", "media_kind"})
_ATTRIBUTE = "trampoline_sealer"


class Sealer(Protocol):
    def encrypt(self, text: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class UnsealedWrite(RuntimeError):
    """An outbox payload with free text, written by an engine that was given no key."""


def seal_with(engine: AsyncEngine, sealer: Sealer) -> None:
    setattr(engine.sync_engine.dialect, _ATTRIBUTE, sealer)


def _sealer(dialect: Dialect) -> Sealer | None:
    return getattr(dialect, _ATTRIBUTE, None)


def seal(payload: dict[str, Any], sealer: Sealer | None) -> dict[str, Any]:
    clear = {k: v for k, v in payload.items() if k in CLEAR_KEYS or k == SEALED}
    secret = {k: v for k, v in payload.items() if k not in CLEAR_KEYS and k != SEALED}
    if not secret:
        return clear
    if sealer is None:
        raise UnsealedWrite("an outbox payload with free text needs the encryption key (seal_with)")
    if SEALED in clear:  # an already sealed blob and new free text: open, merge and seal again
        secret = {**json.loads(sealer.decrypt(clear[SEALED])), **secret}
    clear[SEALED] = sealer.encrypt(json.dumps(secret, ensure_ascii=False))
    return clear


def unseal(payload: dict[str, Any], sealer: Sealer | None) -> dict[str, Any]:
    if SEALED not in payload or sealer is None:
        return payload
    opened = json.loads(sealer.decrypt(payload[SEALED]))
    return {**{k: v for k, v in payload.items() if k != SEALED}, **opened}


def reduce_after_send(payload: dict[str, Any]) -> dict[str, Any]:
    """What the delivery record keeps once a message went out: no text, no file, no label; the kind of a
    voice note or photo it carried (not its file)."""
    kept = {k: v for k, v in payload.items() if k in CLEAR_KEYS}
    if payload.get("media"):
        kept["media_kind"] = str(payload["media"][0])
    return kept


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON payload whose free text is encrypted at rest (see the module's docstring)."""

    impl = JSON()
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        return seal(value, _sealer(dialect))

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        return unseal(value, _sealer(dialect))
