"""Every text-like column is either encrypted or in the registry of bot.privacy.columns, and docs/privacy.md
names each of them with its protection (decision 0022)."""

from __future__ import annotations

from sqlalchemy import JSON, Enum, String, Text

from bot.core.paths import project_root
from bot.db.models import Base
from bot.db.sealing import SealedJSON
from bot.privacy.columns import COLUMNS


def _text_columns() -> dict[str, bool]:
    """{"table.column": encrypted?} for every String, Text or JSON column of the models."""
    found: dict[str, bool] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            impl = getattr(kind, "impl", kind)
            if isinstance(kind, Enum) or not isinstance(impl, String | Text | JSON):
                continue
            found[f"{table.name}.{column.name}"] = isinstance(kind, SealedJSON) or column.name.endswith("_ciphertext")
    return found


def test_every_text_column_is_encrypted_or_registered() -> None:
    columns = _text_columns()
    assert columns, "the walk found no text column at all"
    unknown = sorted(name for name, encrypted in columns.items() if not encrypted and name not in COLUMNS)
    assert unknown == [], f"text columns neither encrypted nor in bot/privacy/columns.py: {unknown}"
    assert sorted(set(COLUMNS) - set(columns)) == [], "the registry names columns that no longer exist"


def test_the_free_text_columns_are_the_encrypted_ones() -> None:
    columns = _text_columns()
    assert columns["checkins.note_ciphertext"] and columns["outbox.payload"]


def test_docs_privacy_names_every_registered_column_and_its_protection() -> None:
    document = (project_root() / "docs" / "privacy.md").read_text(encoding="utf-8")
    missing = [name for name in COLUMNS if f"| `{name}` | {COLUMNS[name]} |" not in document]
    assert missing == [], f"docs/privacy.md does not list these columns with their protection: {missing}"
