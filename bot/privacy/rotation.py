"""Key rotation: re-encrypt every encrypted column under the newest key (``trampoline keys rotate``).

An encrypted column is any column whose name ends in ``_ciphertext`` (``checkins.note_ciphertext``, and
those later issues add): the models are the list, so a new one is rotated without touching this module.
Rows are rotated in batches by primary key, one transaction per batch; a run that stops half-way is simply
run again (a token already under the newest key is rotated once more, harmlessly). A value that no
configured key can read is left as it is and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy import Column, Table, func, select, update

from bot.core.crypto import Cipher
from bot.db.engine import Database
from bot.db.models import Base

SUFFIX = "_ciphertext"
BATCH = 500


@dataclass
class RotationReport:
    rotated: int = 0
    unreadable: int = 0


def encrypted_columns() -> list[tuple[Table, list[Column[str]]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith(SUFFIX)]
        if columns:
            found.append((table, columns))
    return found


async def count_encrypted(db: Database) -> int:
    total = 0
    async with db.reading() as session:
        for _table, columns in encrypted_columns():
            for column in columns:
                total += int(await session.scalar(select(func.count()).where(column.is_not(None))) or 0)
    return total


async def rotate_all(db: Database, cipher: Cipher, progress: Callable[[int], None] | None = None) -> RotationReport:
    """Re-encrypt every value under ``cipher``'s first key; ``progress`` is called with each batch's size."""
    report = RotationReport()
    for table, columns in encrypted_columns():
        (key,) = table.primary_key.columns
        for column in columns:
            last = None
            while True:
                async with db.transaction() as session:
                    query = select(key, column).where(column.is_not(None)).order_by(key).limit(BATCH)
                    if last is not None:
                        query = query.where(key > last)
                    rows = (await session.execute(query)).all()
                    if not rows:
                        break
                    for row_key, token in rows:
                        try:
                            fresh = cipher.rotate(token)
                        except (ValueError, InvalidToken):
                            report.unreadable += 1
                            continue
                        await session.execute(update(table).where(key == row_key).values({column.name: fresh}))
                        report.rotated += 1
                    last = rows[-1][0]
                if progress is not None:
                    progress(len(rows))
    return report
