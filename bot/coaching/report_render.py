"""The programme report written out (``bot/coaching/report.py`` counts it) in nl, fr or en: text for a
terminal (aligned columns, bars of █), JSON for machines, CSV for a spreadsheet, and an A4 HTML page whose
bars are drawn in each table row, beside their own numbers. A suppressed cell shows as "<5" (null in JSON)
in every format and has no bar; the steps (or shifts) of a suppressed cell are not said either.

Titles and labels are English message ids, translated through the catalogs (``trampoline i18n extract``
collects the ``N_``, ``gettext`` and ``ngettext`` calls here and in report.py); languages are named by Babel,
Dari one way (decision 0029)."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations

from bot.coaching.outcomes import TITLES as OUTCOME_TITLES
from bot.coaching.report import Report, language_code
from bot.coaching.report_cells import MIN_CELL, N_, SUPPRESSED, Cell, OutcomeGroup, Table
from bot.core import csv_safe
from bot.core.i18n import Language, language_name

# The languages the report is written in: those of the foundation and the organisations' coordinators.
REPORT_LANGUAGES = ("nl", "fr", "en")
# Tables whose labels are language codes, named in the report's language.
LANGUAGE_TABLES = frozenset({"chat_language", "languages"})
# The names of the cells' keys; organisation names and age ranges without a text here are shown as they are.
# Texts not marked ``N_`` are the flows' own labels (onboarding and check-in choices), in the catalogs already.
LABELS = {
    "participants": N_("Women"),
    "unknown": N_("Unknown"),
    "41+": "41 or older",  # the onboarding question's label, translated already
    "single mother": N_("Single mother"),
    "not a single mother": N_("Not a single mother"),
    "none": "No school",
    "primary": "Primary school",
    "secondary": "Secondary school",
    "higher": "Higher education",
    "never had a paid job": "Never had a paid job",
    "had a paid job": N_("Had a paid job"),
    # The check-in's obstacles and steps, with the labels she saw (translated already).
    "language": "Language",
    "childcare": "Childcare",
    "time": "Time",
    "transport": "Transport",
    "health": "Health",
    "housing": "Housing",
    "papers": "Papers",
    "money": "Money",
    "confidence": "Self-confidence",
    "other": "Something else",
    "coaching": N_("Coaching"),
    "volunteer": "Volunteer work",
    "job": "A job step",
    "buddy": "Met buddy or women",
    "women who attended": N_("Women who attended"),
    "made": N_("Matches made"),
    "still active": N_("Still active"),
    "no longer active": N_("No longer active"),
    # The outcomes (bot/coaching/outcomes.py); the reasons for leaving early share the obstacles' "health",
    # "childcare" and "other" (Something else).
    "volunteered": N_("Did volunteer work"),
    "in_training": N_("In a course or training"),
    "paid_job": N_("Has a paid job"),
    "own_activity": N_("Has an own activity"),
    "median_hours": N_("Median volunteer hours"),
    "volunteering_then_training": N_("Volunteer work, then a course or training"),
    "training_then_paid_job": N_("A course or training, then a paid job"),
    "volunteering_training_paid_job": N_("Volunteer work, then a course or training, then a paid job"),
    "volunteering_straight_to_paid_job": N_("Volunteer work, then a paid job with no course or training before it"),
    "found_work": N_("Found work"),
    "moved": N_("Moved"),
    "no_contact": N_("No contact any more"),
    # Her view of her year (conversations/year_feedback.yaml and year_after.yaml), with the labels she saw.
    "helped_her_coach": N_("Her coach"),
    "helped_buddy": N_("Her buddy"),
    "helped_volunteering": "Volunteer work",
    "helped_peers": "The other women",
    "helped_language_course": "Language course",
    "recommend_yes": "Yes",
    "recommend_maybe": "Maybe",
    "recommend_no": "No",
    "now_work": N_("Working"),
    "now_training": "In a course or training",
    "now_volunteering": N_("Doing volunteer work"),
    "now_none": "None of these",
}
BASE = N_("Women counted")
RULE = N_(
    "Cells of fewer than {minimum} women, and the cells that would reveal them, are shown as {mark}. No names, no ids."
)
BAR_WIDTH = 120  # pixels of the longest bar in the HTML
TEXT_BAR = 24  # blocks of the longest bar in the text


def language_for(report: Report, wanted: str | None) -> str:
    """The report's language: the one asked for, else the organisation's when it is one of the report's,
    else English."""
    if wanted is not None:
        return wanted
    if report.organisation_locale in REPORT_LANGUAGES:
        return report.organisation_locale
    return "en"


def render(report: Report, fmt: str, language: Language | None = None) -> str:
    words = _Words(language or Language("en", NullTranslations()))
    if fmt == "json":
        return json.dumps(as_json(report, words), ensure_ascii=False, indent=1)
    if fmt == "csv":
        return as_csv(report, words)
    if fmt == "text":
        return as_text(report, words)
    return as_html(report, words)


class _Words:
    """The report's texts, numbers and dates in one language."""

    def __init__(self, language: Language) -> None:
        self.tr = language
        self.code = language.locale
        # English dates as Belgium writes them in English ("1 January 2026"), not the American way.
        self.dates = Locale.parse("en_GB" if self.code == "en" else self.code)

    def text(self, message: str) -> str:
        return self.tr.gettext(message)

    def title(self) -> str:
        return self.text(N_("Programme report"))

    def rule(self) -> str:
        return self.text(RULE).format(minimum=MIN_CELL, mark=SUPPRESSED)

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=self.dates)

    def period(self, report: Report) -> str:
        start = report.period_from or report.first_day
        end = report.period_to
        if start is None:
            return self.text(N_("Until {day}")).format(day=self.day(end))
        first = format_skeleton("MMMMd", start, locale=self.dates) if start.year == end.year else self.day(start)
        written = f"{first} – {self.day(end)}"
        if report.period_from is None:
            return self.text(N_("{period} (from the first record)")).format(period=written)
        return written

    def erased(self, count: int) -> str:
        return self.tr.ngettext(
            "{count} woman erased at her request or after the retention period",
            "{count} women erased at their request or after the retention period",
            count,
        ).format(count=self.number(count))

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.dates)

    def percent(self, value: float | None) -> str:
        if value is None:
            return ""
        # The language's own percent pattern ("58,3 %" in French), with one decimal.
        pattern = re.sub(r"0(?=[^0#,.]*$)", "0.0", str(self.dates.percent_formats[None].pattern))
        return format_percent(value / 100, pattern, locale=self.dates)

    def count(self, table: Table, cell: Cell) -> str:
        return SUPPRESSED if cell.suppressed else self.number(cell.count)

    def total(self, table: Table) -> str:
        assert table.total is not None
        return self.number(table.total) if table.total >= MIN_CELL else SUPPRESSED

    def base(self, table: Table) -> str:
        assert table.base is not None
        return self.number(table.base) if table.base == 0 or table.base >= MIN_CELL else SUPPRESSED

    def group(self, group: OutcomeGroup) -> str:
        return group.organisation if group.organisation is not None else self.text(OUTCOME_TITLES["all"])

    def label(self, table: Table, cell: Cell) -> str:
        if table.key in LANGUAGE_TABLES:
            name = self.language(cell.label)
        elif cell.label in LABELS:
            name = self.text(LABELS[cell.label])
        else:
            name = cell.label
        times = shown_times(table, cell)
        if times is None:
            return name
        if table.key == "shifts":
            said = self.tr.ngettext("{count} shift", "{count} shifts", times)
        else:
            said = self.tr.ngettext("{count} step", "{count} steps", times)
        return f"{name} ({said.format(count=self.number(times))})"

    def language(self, code: str) -> str:
        if code == "other":
            return self.text("Another language")  # the spoken-languages choice
        # One code per language (``prs`` is ``fa_AF``, Dari), named by Babel in the report's language.
        name = language_name(language_code(code), str(self.dates))
        return name[:1].upper() + name[1:]


def shown_times(table: Table, cell: Cell) -> int | None:
    """The steps or shifts said beside a label; never for a suppressed cell (1 step tells 1 woman)."""
    return None if cell.suppressed else cell.times


def _json_tables(report: Report, words: _Words, of: list[Table]) -> list[dict[str, Any]]:
    tables = []
    for t in of:
        rows = []
        for c in t.cells:
            row: dict[str, Any] = {"label": c.label, "count": c.shown(), "percent": t.percent(c)}
            times = shown_times(t, c)
            if times is not None:
                row["shifts" if t.key == "shifts" else "steps"] = times
            rows.append(row)
        notes = [words.erased(report.erased)] if report.erased and t.key == "participants" else []
        table: dict[str, Any] = {"key": t.key, "title": words.text(t.title), "unit": t.unit, "total": t.total}
        if t.base is not None:
            table["base"] = t.base if t.base == 0 or t.base >= MIN_CELL else None
        tables.append({**table, "notes": notes, "rows": rows})
    return tables


def as_json(report: Report, words: _Words | None = None) -> dict[str, Any]:
    words = words or _Words(Language("en", NullTranslations()))
    return {
        "language": words.code,
        "period": {
            "from": report.period_from.isoformat() if report.period_from else None,
            "to": report.period_to.isoformat(),
            "first_record": report.first_day.isoformat() if report.first_day else None,
        },
        "suppression": f"cells under {MIN_CELL} and the cells that would reveal them are shown as null",
        "erased": report.erased,
        "tables": _json_tables(report, words, report.tables),
        "outcomes": [
            {
                "organisation": g.organisation,
                "title": words.group(g),
                "tables": _json_tables(report, words, g.tables),
            }
            for g in report.outcomes
        ],
    }


def as_csv(report: Report, words: _Words) -> str:
    out = io.StringIO()
    writer = csv_safe.writer(out)  # no cell runs as a formula in a spreadsheet
    writer.writerow(["table", "row", "count", "percent"])  # column names stay the same in every language
    for group, t in _all_tables(report):
        title = words.text(t.title) if group is None else f"{words.group(group)}: {words.text(t.title)}"
        for c in t.cells:
            percent = t.percent(c)
            writer.writerow(
                [title, words.label(t, c), SUPPRESSED if c.suppressed else c.count, "" if percent is None else percent]
            )
        if t.total is not None:
            writer.writerow([title, words.text(N_("Total")), t.total if t.total >= MIN_CELL else SUPPRESSED, ""])
        if t.base is not None:
            writer.writerow([title, words.text(BASE), t.base if words.base(t) != SUPPRESSED else SUPPRESSED, ""])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheets read the file as UTF-8


def _all_tables(report: Report) -> list[tuple[OutcomeGroup | None, Table]]:
    """The report's tables, then the outcome tables with their group."""
    return [(None, t) for t in report.tables] + [(g, t) for g in report.outcomes for t in g.tables]


def _rows(report: Report, t: Table, words: _Words) -> list[tuple[str, str, str, float | None]]:
    """(label, count, percent, bar share 0..1 or None) per cell, then the total; a table of one cell has no
    bar (it would compare the cell with itself)."""
    most = max([c.count for c in t.cells if not c.suppressed] + [1])
    rows = [
        (
            words.label(t, c),
            words.count(t, c),
            words.percent(t.percent(c)),
            None if c.suppressed or c.count == 0 or len(t.cells) == 1 else c.count / most,
        )
        for c in t.cells
    ]
    if t.total is not None:
        rows.append((words.text(N_("Total")), words.total(t), "", None))
    if t.base is not None:
        rows.append((words.text(BASE), words.base(t), "", None))
    return rows


def as_text(report: Report, words: _Words) -> str:
    lines = [words.title(), words.period(report), words.rule()]
    heading = None
    for group, t in _all_tables(report):
        if group is not None and group is not heading:
            if heading is None:
                lines += ["", words.text(OUTCOME_TITLES["section"])]
            heading = group
            lines += ["", f"== {words.group(group)} =="]
        lines += ["", words.text(t.title)]
        if report.erased and t.key == "participants":
            lines.append(words.erased(report.erased))
        rows = _rows(report, t, words)
        if not rows:
            lines.append("  –")  # nothing counted (no organisation, no obstacle named)
            continue
        wide = max(len(r[0]) for r in rows)
        numbers = max(len(r[1]) for r in rows)
        percents = max(len(r[2]) for r in rows)
        for label, count, percent, share in rows:
            bar = "█" * max(1, round(TEXT_BAR * share)) if share is not None else ""
            line = f"  {label:<{wide}}  {count:>{numbers}}"
            if percents:
                line += f"  {percent:>{percents}}"
            lines.append(f"{line}  {bar}".rstrip())
    return "\n".join(lines) + "\n"


def _section_id(report: Report, group: OutcomeGroup | None, t: Table) -> str:
    if group is None:
        return f"table-{html.escape(t.key)}"
    return f"outcomes-{report.outcomes.index(group)}-{html.escape(t.key)}"


def as_html(report: Report, words: _Words) -> str:
    sections = []
    heading = None
    for group, t in _all_tables(report):
        if group is not None and group is not heading:
            if heading is None:
                sections.append(f'<h1 id="outcomes">{html.escape(words.text(OUTCOME_TITLES["section"]))}</h1>')
            heading = group
            sections.append(f"<h2 class=group>{html.escape(words.group(group))}</h2>")
        rows = []
        for i, (label, count, percent, share) in enumerate(_rows(report, t, words)):
            total = i >= len(t.cells)
            bar = (
                f'<svg class=bar width="{max(1, round(BAR_WIDTH * share))}" height="10" aria-hidden="true">'
                '<rect width="100%" height="10" fill="#6a9fd4"/></svg>'
                if share is not None
                else ""
            )
            rows.append(
                f"<tr{' class=total' if total else ''}><td>{html.escape(label)}</td><td class=n>{html.escape(count)}"
                f"</td><td class=n>{html.escape(percent)}</td><td class=chart>{bar}</td></tr>"
            )
        notes = [words.erased(report.erased)] if report.erased and t.key == "participants" else []
        sections.append(
            f'<section id="{_section_id(report, group, t)}"><h2>{html.escape(words.text(t.title))}</h2>'
            + "".join(f"<p>{html.escape(note)}</p>" for note in notes)
            + f"<table><thead><tr><th></th><th class=n>{html.escape(words.text(t.unit))}</th>"
            f"<th class=n>{'%' if t.total is not None or t.base is not None else ''}</th>"
            f"<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
        )
    return (
        f'<!doctype html>\n<html lang="{html.escape(words.code)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(words.title())}</title><style>"
        "@page{size:A4;margin:15mm}body{font-family:'Noto Sans',sans-serif;font-size:10pt;color:#222;"
        "max-width:180mm;margin:auto}h1{font-size:16pt;margin-bottom:1mm}h2{font-size:12pt;margin:0 0 2mm}"
        "section{break-inside:avoid;margin-bottom:6mm}table{border-collapse:collapse;width:100%}"
        "td,th{padding:1mm 2mm;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}"
        ".n{text-align:right;white-space:nowrap;width:18mm}.chart{width:40mm}.bar{display:block}"
        ".total td{font-weight:bold}.period{font-size:12pt;margin-top:0}"
        "@media print{*{print-color-adjust:exact;-webkit-print-color-adjust:exact}}</style></head><body>\n"
        f"<h1>{html.escape(words.title())}</h1><p class=period>{html.escape(words.period(report))}</p>"
        f"<p>{html.escape(words.rule())}</p>\n" + "\n".join(sections) + "\n</body></html>\n"
    )
