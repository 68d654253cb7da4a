"""The cells and tables of the programme report, their small-cell suppression, and whom the report counts
(``Scope``): shared by ``report.py`` (the programme's figures) and ``outcomes.py`` (her year's outcomes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.db.models import Person, Role


def N_(message: str) -> str:  # the name gettext's extractors know
    """Marks an English text for the catalogs; the renderer translates it."""
    return message


MIN_CELL = 5
SUPPRESSED = "<5"


@dataclass
class Cell:
    label: str  # a stable key: a code, a value, an organisation's name (the renderer names it)
    count: int
    suppressed: bool = False
    times: int | None = None  # how many steps (or shifts) these women took, said beside the label
    measure: bool = False  # not a count of women (a median): hidden only when its table's base is under 5

    def shown(self) -> int | None:
        return None if self.suppressed else self.count


@dataclass
class Table:
    key: str
    title: str
    cells: list[Cell]
    total: int | None = None  # cells add up to this (and it is shown): complementary suppression applies
    unit: str = N_("women")
    notes: list[str] = field(default_factory=list)
    # The women the cells are shares of, when they do not add up to it (outcomes: one woman in several cells).
    base: int | None = None

    def percent(self, cell: Cell) -> float | None:
        whole = self.total if self.total is not None else self.base
        if cell.suppressed or cell.measure or not whole:
            return None
        return round(100 * cell.count / whole, 1)


def suppress(table: Table) -> Table:
    """Hide small cells, and the cells that would reveal them."""
    for cell in table.cells:
        cell.suppressed = 0 < cell.count < MIN_CELL and not cell.measure
    if table.base is not None:
        # A share of a base tells the women outside it too: 21 of 22 tells the 1 who did not.
        for cell in table.cells:
            small_rest = 0 < table.base - cell.count < MIN_CELL
            if cell.measure:  # a median of fewer than 5 women (or of none) says too much, or nothing
                cell.suppressed = table.base < MIN_CELL
            else:
                cell.suppressed = 0 < table.base < MIN_CELL or cell.suppressed or small_rest
        return table
    if table.total is None:
        return table
    if 0 < table.total < MIN_CELL:
        for cell in table.cells:
            cell.suppressed = True
        return table
    while True:
        hidden = [c for c in table.cells if c.suppressed]
        if not hidden:
            break
        if len(hidden) >= 2 and sum(c.count for c in hidden) >= MIN_CELL:
            break
        candidates = sorted((c for c in table.cells if not c.suppressed and c.count > 0), key=lambda c: c.count)
        if not candidates:
            break
        candidates[0].suppressed = True
    return table


@dataclass
class OutcomeGroup:
    """The outcome tables of all organisations (``organisation`` None) or of one, by name."""

    organisation: str | None
    tables: list[Table]


@dataclass(frozen=True)
class Scope:
    """Whom and when the report counts: participants who joined before ``end`` (of one organisation, or
    all), and activity from ``start`` (or ever) until ``end``."""

    end: datetime
    start: datetime | None
    organisation_id: int | None
    demo_id: int | None = None  # the demo organisation, left out when all organisations are counted

    def participants_only(self, query: Any, person_column: Any) -> Any:
        return _participants_only(query, person_column, self.end, self.organisation_id, self.demo_id)

    def from_start(self, query: Any, moment: Any) -> Any:
        return query.where(moment >= self.start) if self.start is not None else query


def _participants_only(
    query: Any, person_column: Any, end: datetime, organisation_id: int | None, demo_id: int | None
) -> Any:
    query = query.join(Person, Person.id == person_column).where(
        Person.role == Role.PARTICIPANT, Person.created_at < end
    )
    if demo_id is not None:
        query = query.where(Person.organisation_id != demo_id)
    return query.where(Person.organisation_id == organisation_id) if organisation_id is not None else query
