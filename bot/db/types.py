"""Column types shared by the tables: UTC timestamps and enums stored as checked strings."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Enum, Integer, TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key for the busy tables.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zone type and hands back naive values; this puts UTC back on them. A naive value
    going in is refused, because guessing its zone is how reminders end up an hour off after a DST change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        moment = value.astimezone(UTC)
        # SQLite compares timestamps as text: store them all in one naive UTC form so ordering holds.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """An enum column stored as a short string with a CHECK constraint (no native PostgreSQL enum type,
    so adding a value later is a plain migration on both databases)."""
    values: Any = lambda cls: [member.value for member in cls]  # noqa: E731
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=values,
        validate_strings=True,
    )


class PayloadSealer(Protocol):
    """What seals an outbox payload: the service's cipher (``bot.privacy.crypto.Cipher``)."""

    def encrypt(self, text: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


SEALED = "sealed"
SEALER_ATTRIBUTE = "trampoline_payload_sealer"


class MissingSealer(RuntimeError):
    """An outbox payload was written or read on a database that was given no cipher (``Database.seal_with``)."""


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object stored encrypted: ``{"sealed": "<Fernet token>"}`` in the database, the plain object in
    Python. The outbox's payloads hold what people wrote (her note in the coach's alert, her data export, a
    coach's words), so they are encrypted at rest with the same keys as notes and opened only when read to
    be sent (decision 0019). The cipher comes from the engine's dialect (``Database.seal_with``): without it
    a write is refused, never stored in clear. A row written before sealing existed reads as it is."""

    impl = JSON()
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        sealer: PayloadSealer | None = getattr(dialect, SEALER_ATTRIBUTE, None)
        if sealer is None:
            raise MissingSealer("an outbox payload needs the encryption keys: Database.seal_with(cipher)")
        return {SEALED: sealer.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))}

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if not isinstance(value, dict) or set(value) != {SEALED}:
            return value  # type: ignore[no-any-return]
        sealer: PayloadSealer | None = getattr(dialect, SEALER_ATTRIBUTE, None)
        if sealer is None:
            raise MissingSealer("an outbox payload needs the encryption keys to be read")
        opened: dict[str, Any] = json.loads(sealer.decrypt(value[SEALED]))
        return opened
