"""A catalog as a spreadsheet, for volunteer translators: ``trampoline i18n export-csv`` and ``import-csv``.

Columns: ``id, context, source, translation, reviewed, note``. The file is UTF-8 with a byte order mark, so Excel shows
every script; on import a comma, semicolon or tab between columns is accepted (Excel saves with the separator
of its region).

- ``id``: a short code for the text: ``t`` and 8 characters from a hash of the English text and its context,
  so it stays the same as long as the English does. A text that has plural forms has one row per form of
  the language: ``ta1b2c3d4[0]``, ``ta1b2c3d4[1]``, ...
- ``context``: ``command`` (words that start something, separated by ``|``), ``words`` (other words for an
  answer, separated by ``|``) or empty. Only for reading.
- ``source``: the English text. Only for reading.
- ``translation``: the text in the language. An empty cell leaves the catalog as it is.
- ``reviewed``: ``yes`` when a reviewer checked the translation of the English as it is now (``stale`` when
  she did, but the English changed since). A reviewer writes ``yes`` (or ``x``) in the rows she checked: on
  import the entry gets the comment ``# reviewed sha1:<hash of the English>`` and loses ``machine-drafted``.
  A translation changed without ``yes`` is no longer reviewed.
- ``note``: on export the state of the entry (``machine-drafted``, ``reviewed``, ``untranslated``, ``check``
  when the English changed) followed by hints: button length, plural form, placeholders to keep. On import
  a note that starts with ``reviewed`` removes the ``machine-drafted`` mark of that entry; any other note
  leaves the mark as it is.

Import checks every row first (unknown id, placeholders that differ from the English, a button label that is
too long) and changes nothing when one row is wrong. Exporting and importing again without edits changes
nothing.
"""

from __future__ import annotations

import csv
import gettext
import hashlib
import io
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from bot.conversation.check import LabelSlot
from bot.conversation.review import is_machine_drafted, is_reviewed, is_stale, mark_reviewed, unmark_reviewed
from bot.core import csv_safe
from bot.core.i18n import DOMAIN

COLUMNS = ("id", "context", "source", "translation", "reviewed", "note")
_YES = frozenset({"yes", "y", "x", "ja", "oui", "reviewed", "1", "true"})
REVIEWED = "reviewed"
_PLURAL_ID = re.compile(r"^(?P<base>t[0-9a-f]{8})\[(?P<form>\d+)\]$")


class CsvError(Exception):
    """The spreadsheet cannot be imported. The message is one line, naming the row when there is one."""


@dataclass
class ImportResult:
    changed: int = 0  # translations that are new or different
    reviewed: int = 0  # entries whose machine-drafted mark was removed


@dataclass
class _Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    id: str
    translation: str
    note: str
    reviewed: str = ""


@dataclass
class _Change:
    message: Message
    forms: dict[int, str] = field(default_factory=dict)
    reviewed: bool = False


def catalog_path(locales: Path, locale: str) -> Path:
    """``locales/<locale>/LC_MESSAGES/messages.po`` under the catalogs folder ``locales``."""
    return locales / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def entry_id(message: Message) -> str:
    """A short, stable code for an entry: it changes only when the English text or its context changes."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    key = f"{message.context or ''}\x04{msgid}"
    # The leading letter keeps a spreadsheet from reading the code as a number ("00123456" -> 123456).
    return "t" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]


def _names(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<broken braces>"}


def _read_catalog(path: Path, locale: str) -> Catalog:
    if not path.is_file():
        raise CsvError(f"{path}: no catalog for {locale}")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _plural_form(catalog: Catalog) -> Callable[[int], int]:
    form: Callable[[int], int] = gettext.c2py(catalog.plural_expr)
    return form


def _examples(form: Callable[[int], int], index: int) -> str:
    numbers = [n for n in range(0, 1000) if form(n) == index][:5]
    return ", ".join(str(n) for n in numbers) + ("…" if len(numbers) == 5 else "")


def _status(message: Message) -> list[str]:
    strings: Any = message.string
    empty = not strings or (isinstance(strings, tuple | list) and not all(strings))
    if empty:
        status = "untranslated"
    elif is_machine_drafted(message):
        status = "machine-drafted"
    else:
        status = REVIEWED
    return [status, "the English text changed: check the translation"] if message.fuzzy else [status]


def _reviewed(message: Message) -> str:
    return "yes" if is_reviewed(message) else ("stale" if is_stale(message) else "")


def _hints(message: Message, slots: Sequence[LabelSlot]) -> list[str]:
    hints: list[str] = []
    if slots:
        room = min(slot.limit - len(slot.prefix) - len(slot.suffix) for slot in slots)
        hints.append(f"button: at most {room} characters")
    if message.context == "command":
        hints.append("words that mean this command, lower case, separated by |; the first is shown in capitals")
    elif message.context == "words":
        hints.append("other words for this answer, separated by |")
    msgids = [message.id] if isinstance(message.id, str) else list(message.id)
    names = sorted(set().union(*(_names(text) for text in msgids)))
    if names and message.context is None:
        hints.append("keep " + " ".join(f"{{{name}}}" for name in names))
    return hints


def _rows(catalog: Catalog, slots_by_msgid: Mapping[str, Sequence[LabelSlot]]) -> Iterator[list[str]]:
    form = _plural_form(catalog)
    for message in catalog:
        if not message.id:
            continue
        base = entry_id(message)
        context = message.context or ""
        status = _status(message)
        if isinstance(message.id, str):
            hints = _hints(message, slots_by_msgid.get(message.id, ()))
            translation = str(message.string or "")
            yield [base, context, message.id, translation, _reviewed(message), "; ".join([*status, *hints])]
            continue
        singular, plural = message.id[0], message.id[1]
        strings: Any = message.string
        forms = list(strings) if isinstance(strings, tuple | list) else [str(strings or "")]
        forms += [""] * (catalog.num_plurals - len(forms))
        hints = _hints(message, ())
        for index in range(catalog.num_plurals):
            source = singular if form(1) == index else plural
            where = f"plural form {index + 1} of {catalog.num_plurals}, for {_examples(form, index)}"
            note = "; ".join([*status, where, *hints])
            yield [f"{base}[{index}]", context, source, forms[index], _reviewed(message), note]


def export_csv(
    catalog_file: Path, csv_file: Path, locale: str, slots_by_msgid: Mapping[str, Sequence[LabelSlot]]
) -> int:
    """Write the catalog as a spreadsheet; return the number of rows (without the header)."""
    catalog = _read_catalog(catalog_file, locale)
    rows = list(_rows(catalog, slots_by_msgid))
    with csv_file.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_safe.writer(handle)  # no cell runs as a formula; import restores it exactly
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


def _read_rows(csv_file: Path) -> list[_Row]:
    try:
        text = csv_file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CsvError(f"{csv_file}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CsvError(f"{csv_file}: not UTF-8; in Excel save it as 'CSV UTF-8'") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [column for column in ("id", "translation", "note") if column not in header]
    if missing:
        raise CsvError(f"row 1: the header must name the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})")
    where: dict[str, int] = {
        column: header.index(column) for column in ("id", "translation", "note", "reviewed") if column in header
    }
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # an empty line

        # What export quoted is restored exactly; a cell that could run as a formula as it stands (typed
        # in the spreadsheet) is kept and flagged.
        csv_safe.flag(f"{csv_file.name}", number, header, cells)
        cells = [csv_safe.restore(value) for value in cells]

        def cell(column: str, cells: list[str] = cells) -> str:
            index = where.get(column, len(cells))
            return cells[index] if index < len(cells) else ""

        translation = cell("translation").replace("\r\n", "\n").replace("\r", "\n")
        rows.append(_Row(number, cell("id").strip(), translation, cell("note"), cell("reviewed")))
    return rows


def _is_reviewed(row: _Row) -> bool:
    return row.reviewed.strip().lower() in _YES or row.note.strip().lower().startswith(REVIEWED)


def _check_text(message: Message, text: str, slots: Sequence[LabelSlot]) -> str | None:
    """What is wrong with ``text`` as the translation of ``message`` (one of its forms), or None."""
    got = _names(text)
    if isinstance(message.id, str):
        expected = _names(message.id)
        words = message.context in ("command", "words")  # other contexts are texts (coach:feminine...)
        if not words and got != expected:
            shown = " ".join(f"{{{name}}}" for name in sorted(expected)) or "none"
            return f"the placeholders must be the same as in the English text ({shown})"
        if words and got:
            return "command words and answer words take no placeholders"
    else:
        allowed = _names(message.id[0]) | _names(message.id[1])
        if not got <= allowed:
            return f"placeholder {{{sorted(got - allowed)[0]}}} is not in the English text"
    for slot in slots:
        shown = slot.shown(text)
        if len(shown) > slot.limit:
            return f"button label {shown!r} is {len(shown)} characters with its emoji, at most {slot.limit}"
    return None


def _plan(catalog: Catalog, rows: list[_Row], slots_by_msgid: Mapping[str, Sequence[LabelSlot]]) -> list[_Change]:
    by_id = {entry_id(message): message for message in catalog if message.id}
    changes: dict[str, _Change] = {}
    seen: set[str] = set()
    problems: list[str] = []
    for row in rows:
        match = _PLURAL_ID.match(row.id)
        base, index = (match.group("base"), int(match.group("form"))) if match else (row.id, None)
        message = by_id.get(base)
        plural = message is not None and not isinstance(message.id, str)
        if message is None or plural != (index is not None) or (index is not None and index >= catalog.num_plurals):
            problems.append(f"row {row.number}: unknown id {row.id!r}")
            continue
        if row.id in seen:
            problems.append(f"row {row.number}: id {row.id!r} is in the file twice")
            continue
        seen.add(row.id)
        change = changes.setdefault(base, _Change(message))
        change.reviewed = change.reviewed or _is_reviewed(row)
        if not row.translation:
            continue  # an empty cell leaves the catalog as it is
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        problem = _check_text(message, row.translation, slots_by_msgid.get(msgid, ()))
        if problem is not None:
            problems.append(f"row {row.number}: {problem}")
            continue
        change.forms[0 if index is None else index] = row.translation
    if problems:
        others = len(problems) - 1
        more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
        raise CsvError(f"{problems[0]}{more}; nothing was imported")
    return list(changes.values())


def _apply(catalog: Catalog, changes: list[_Change]) -> ImportResult:
    result = ImportResult()
    for change in changes:
        message = change.message
        strings: Any = message.string
        if isinstance(message.id, str):
            new: Any = change.forms.get(0, strings)
        else:
            current = list(strings) if isinstance(strings, tuple | list) else [str(strings or "")]
            current += [""] * (catalog.num_plurals - len(current))
            new = tuple(change.forms.get(index, current[index]) for index in range(catalog.num_plurals))
            strings = tuple(current)
        if new != strings:
            message.string = new
            message.flags.discard("fuzzy")
            unmark_reviewed(message)  # a new translation is reviewed only when the row says so
            result.changed += 1
        if change.reviewed and not is_reviewed(message):
            message.flags.discard("fuzzy")
            mark_reviewed(message)
            result.reviewed += 1
    return result


def import_csv(
    catalog_file: Path, csv_file: Path, locale: str, slots_by_msgid: Mapping[str, Sequence[LabelSlot]]
) -> ImportResult:
    """Check every row, then bring the translations into the catalog; raise ``CsvError`` (and change
    nothing) when a row is wrong. The catalog file is only written when something changed."""
    catalog = _read_catalog(catalog_file, locale)
    changes = _plan(catalog, _read_rows(csv_file), slots_by_msgid)
    result = _apply(catalog, changes)
    if result.changed or result.reviewed:
        out = io.BytesIO()
        write_po(out, catalog, width=100, sort_by_file=True)
        catalog_file.write_bytes(out.getvalue())
    return result


def stamp_reviewed(catalog_file: Path, locale: str) -> int:
    """After a review in Poedit, where she deletes the ``machine-drafted`` comment of each text she checked:
    give every translated entry that has neither that mark nor a current review the ``reviewed sha1:``
    comment of its English. Returns how many entries were stamped; writes the file only when any was."""
    catalog = _read_catalog(catalog_file, locale)
    stamped = 0
    for message in catalog:
        if not message.id or message.fuzzy or is_machine_drafted(message) or is_reviewed(message):
            continue
        if _status(message) == ["untranslated"]:
            continue
        mark_reviewed(message)
        stamped += 1
    if stamped:
        out = io.BytesIO()
        write_po(out, catalog, width=100, sort_by_file=True)
        catalog_file.write_bytes(out.getvalue())
    return stamped
