"""An imported CSV file read into one pydantic model per row, with one error format for every import.

An import declares its row as a pydantic model: its fields, in order, are the header, and each field's
``description`` says what that column allows. ``read`` checks the whole file before anything is written and
raises ``RowError`` for the first thing wrong, always as

    line N, column C: what is wrong, allowed: what is allowed

where N is the line of the file (the header is line 1; a row with a quoted line break starts where it
starts) and C is the column's name. A validator of the model says only what is wrong (``raise
ValueError("'30_40' is not an age group")``); the column and what it allows come from the model.

A field with a default is an optional column: it comes after every required one, and a file may leave it
out (the row gets the default) or have it, by its name, in the model's order. The header's errors name the
required columns, which every file has.

Every value is stripped of surrounding spaces before it is validated; a row with nothing in it is skipped.
A cell that a spreadsheet could run as a formula is kept as it is and said (``csv_safe.flag``).

The file is taken as a spreadsheet writes it: ``decode`` takes UTF-8 with or without a BOM and says in one
line what else a file is (UTF-16, Latin-1); ``read`` takes a comma or a semicolon (Belgian Excel) as the
separator, whichever the header line has more of, and CRLF or LF line ends.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.core import csv_safe

MAX_ROWS = 10_000
Row = TypeVar("Row", bound=BaseModel)

# pydantic's own words for what is wrong, when no validator of the model said it.
_PROBLEMS = {
    "missing": "missing",
    "string_type": "not text",
    "int_parsing": "not a whole number",
    "bool_parsing": "not yes or no",
}


class EncodingError(ValueError):
    """A file that is not UTF-8 text, said in one line that tells what to do."""


def decode(data: bytes) -> str:
    """The text of an imported file: UTF-8, with or without a BOM; ``EncodingError`` for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise EncodingError("the file is UTF-16: save it as CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EncodingError("the file is not UTF-8 (Latin-1 or Windows-1252?): save it as CSV UTF-8") from None


def _looks_utf16(data: bytes) -> bool:
    # UTF-16 without a BOM: ASCII text has a zero byte in every other place, which UTF-8 text never has.
    head = data[:200]
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4)


def delimiter(text: str) -> str:
    """``;`` when the first line has more semicolons than commas (Excel in Belgium), else ``,``."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


class RowError(ValueError):
    """The first thing wrong in an imported file, as ``line N, column C: what is wrong, allowed: ...``."""

    def __init__(self, line: int, column: str, problem: str, allowed: str) -> None:
        super().__init__(f"line {line}, column {column}: {problem}, allowed: {allowed}")
        self.line = line
        self.column = column


def squeeze(text: str) -> str:
    """How a written value is compared with a code or a label: no case, no accents, no spaces, dashes or
    underscores ("Paid job", "paid_job" and "PAID-JOB" are one; "EMPLOI REMUNERE" is "emploi rémunéré")."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if not unicodedata.combining(c) and not c.isspace() and c not in "-_")


def one_of(value: str, allowed: Mapping[str, tuple[str, ...]], what: str) -> str:
    """The code of ``value``, written as its code or as one of its labels (``squeeze``); else a ValueError."""
    key = squeeze(value)
    for code, labels in allowed.items():
        if key in {squeeze(code), *(squeeze(label) for label in labels)}:
            return code
    raise ValueError(f"{value[:40]!r} is not {what}")


def header(model: type[BaseModel]) -> tuple[str, ...]:
    """The columns of ``model``'s file, in order, the optional ones last."""
    return tuple(model.model_fields)


def required(model: type[BaseModel]) -> tuple[str, ...]:
    """The columns every file of ``model`` has: those before its optional columns (fields with a default)."""
    columns = header(model)
    first = [field.is_required() for field in model.model_fields.values()]
    count = first.index(False) if False in first else len(columns)
    if any(first[count:]):
        raise TypeError(f"{model.__name__}: a required column after an optional one")
    return columns[:count]


def allowed(model: type[BaseModel], column: str) -> str:
    """What ``column`` allows, in the words of the model."""
    return model.model_fields[column].description or "a value"


def read(
    text: str,
    model: type[Row],
    *,
    what: str,
    rows_called: str,
    max_rows: int = MAX_ROWS,
) -> list[tuple[int, Row]]:
    """Every row of ``text`` as ``(line, model)``; ``RowError`` for the first thing wrong, and then no row.
    ``what`` names the import in the formula warnings; ``rows_called`` is what a row is (participants)."""
    needed = required(model)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter(text))
    first = next(reader, None)
    if first is None:
        raise RowError(1, needed[0], "the file is empty", "a first line with the header " + ",".join(needed))
    columns = _check_header([cell.strip().lower() for cell in first], needed, header(model)[len(needed) :])
    rows: list[tuple[int, Row]] = []
    line = reader.line_num + 1
    for values in reader:
        start, line = line, reader.line_num + 1
        if not any(value.strip() for value in values):
            continue
        if len(rows) == max_rows:
            raise RowError(
                start, columns[0], f"more than {max_rows} {rows_called}", f"at most {max_rows} in one file; split it"
            )
        rows.append((start, _row(model, columns, start, values, what)))
    if not rows:
        raise RowError(line, columns[0], f"no {rows_called} after the header", "at least one row after the header")
    return rows


def _check_header(found: list[str], columns: tuple[str, ...], optional: tuple[str, ...]) -> tuple[str, ...]:
    """The file's columns: ``columns`` exactly, then any of the ``optional`` ones, by name and in order."""
    expected = "exactly the header " + ",".join(columns)
    for index in range(len(columns)):
        got = found[index] if index < len(found) else None
        want = columns[index]
        if got != want:
            raise RowError(1, want, "missing" if got is None else f"{got[:40]!r} is not the header's {want}", expected)
    rest = list(optional)
    for index in range(len(columns), len(found)):
        if found[index] not in rest:
            raise RowError(1, str(index + 1), "a column past the last", expected)
        del rest[: rest.index(found[index]) + 1]
    return tuple(found)


def _row(
    model: type[Row],
    columns: tuple[str, ...],
    line: int,
    values: list[str],
    what: str,
) -> Row:
    if len(values) > len(columns):
        raise RowError(line, str(len(columns) + 1), f"{len(values)} values", f"{len(columns)} values, one per column")
    if len(values) < len(columns):
        raise RowError(
            line, columns[len(values)], f"missing ({len(values)} values)", f"{len(columns)} values, one per column"
        )
    csv_safe.flag(what, line, columns, values)  # kept as they are, and said
    try:
        return model.model_validate({column: value.strip() for column, value in zip(columns, values, strict=True)})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        column = str(error["loc"][0]) if error["loc"] else columns[0]
        cause = error.get("ctx", {}).get("error")
        problem = str(cause) if isinstance(cause, ValueError) else _PROBLEMS.get(error["type"], error["msg"])
        raise RowError(line, column, problem, allowed(model, column)) from None
