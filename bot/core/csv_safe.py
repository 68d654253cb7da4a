"""Every CSV the project writes goes through here, so a spreadsheet never runs a cell as a formula (CSV
injection, OWASP's rule): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a single quote before it. Numbers are written as numbers.

``restore`` undoes exactly what ``neutralise`` did, so a file exported and imported again (the translation
spreadsheet) gives back the same text. To keep that exact, a text that itself starts with a quote followed by
one of those characters or by another quote gets a quote too; any other leading quote (Dutch "'s avonds") is
left alone.

On import, ``risky`` tells which cells could run as a formula: importers keep the data as it is and say so,
one warning line per cell naming its row and column.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Sequence
from typing import IO, Any

log = logging.getLogger(__name__)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    """``value`` as a cell no spreadsheet runs as a formula."""
    if value.startswith(FORMULA_STARTS):
        return QUOTE + value
    if value.startswith(QUOTE) and len(value) > 1 and value[1] in (*FORMULA_STARTS, QUOTE):
        return QUOTE + value
    return value


def restore(cell: str) -> str:
    """The text ``neutralise`` was given: the inverse, for every text."""
    if cell.startswith(QUOTE) and len(cell) > 1 and cell[1] in (*FORMULA_STARTS, QUOTE):
        return cell[1:]
    return cell


def risky(cell: str) -> bool:
    """A cell a spreadsheet could run as a formula (leading spaces do not stop some of them)."""
    return cell.lstrip(" ").startswith(FORMULA_STARTS)


def cells(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) if isinstance(value, str) else value for value in row]


class SafeWriter:
    """``csv.writer`` with every text cell neutralised."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(cells(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: IO[str], **options: Any) -> SafeWriter:
    return SafeWriter(handle, **options)


def flag(what: str, number: int, header: Sequence[str], values: Sequence[str]) -> list[str]:
    """One warning line (logged, and returned) for each cell of row ``number`` that could run as a formula;
    the value is kept as it is and not shown (it may be personal data)."""
    lines = [
        f"{what}: row {number}, column {header[index] if index < len(header) else index + 1}: starts with "
        f"{value.lstrip(' ')[0]!r}, which a spreadsheet may run as a formula; kept as it is"
        for index, value in enumerate(values)
        if risky(value)
    ]
    for line in lines:
        log.warning("%s", line)
    return lines
