"""The programme report written out (``bot/coaching/report.py`` counts it): JSON for machines, CSV for a
spreadsheet, and an A4 HTML page with a small bar chart per table; a suppressed cell shows as "<5" (null in
JSON) in every format."""

from __future__ import annotations

import html
import io
import json
from typing import Any

from bot.coaching.report import MIN_CELL, SUPPRESSED, Report, Table
from bot.core import csv_safe


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(report), ensure_ascii=False, indent=1)
    if fmt == "csv":
        return as_csv(report)
    return as_html(report)


def as_json(report: Report) -> dict[str, Any]:
    return {
        "period": {
            "from": report.period_from.isoformat() if report.period_from else None,
            "to": report.period_to.isoformat(),
        },
        "suppression": f"cells under {MIN_CELL} and the cells that would reveal them are shown as null",
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "unit": t.unit,
                "total": t.total,
                "notes": t.notes,
                "rows": [{"label": c.label, "count": c.shown(), "percent": t.percent(c)} for c in t.cells],
            }
            for t in report.tables
        ],
    }


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv_safe.writer(out)  # no cell runs as a formula in a spreadsheet
    writer.writerow(["table", "row", "count", "percent"])
    for t in report.tables:
        for c in t.cells:
            percent = t.percent(c)
            writer.writerow(
                [t.title, c.label, SUPPRESSED if c.suppressed else c.count, "" if percent is None else percent]
            )
        if t.total is not None:
            writer.writerow([t.title, "total", t.total if t.total >= MIN_CELL else SUPPRESSED, ""])
    return "\ufeff" + out.getvalue()  # a BOM, so spreadsheets read the file as UTF-8


def as_html(report: Report) -> str:
    sections = []
    for t in report.tables:
        rows = []
        for c in t.cells:
            percent = t.percent(c)
            rows.append(
                f"<tr><td>{html.escape(c.label)}</td><td class=n>{SUPPRESSED if c.suppressed else c.count}</td>"
                f"<td class=n>{'' if percent is None else f'{percent}%'}</td></tr>"
            )
        total = (
            f"<tr class=total><td>total</td><td class=n>{t.total if t.total >= MIN_CELL else SUPPRESSED}"
            "</td><td></td></tr>"
            if t.total is not None
            else ""
        )
        sections.append(
            f"<section><h2>{html.escape(t.title)}</h2>"
            + "".join(f"<p>{html.escape(note)}</p>" for note in t.notes)
            + f"<div class=pair>{_bars(t)}<table><thead><tr><th></th>"
            f"<th>{html.escape(t.unit)}</th><th>%</th></tr></thead><tbody>{''.join(rows)}{total}</tbody>"
            "</table></div></section>"
        )
    period = f"{report.period_from.isoformat() if report.period_from else '…'} – {report.period_to.isoformat()}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Programme report</title><style>'
        "@page{size:A4;margin:15mm}body{font-family:sans-serif;font-size:10pt;color:#222;max-width:180mm;"
        "margin:auto}h1{font-size:16pt}h2{font-size:12pt;margin:0 0 2mm}section{break-inside:avoid;"
        "margin-bottom:6mm}.pair{display:flex;gap:6mm;align-items:flex-start}table{border-collapse:collapse}"
        "td,th{padding:1mm 2mm;border-bottom:1px solid #ddd;text-align:left}.n{text-align:right}"
        ".total td{font-weight:bold}svg{flex:none}</style></head><body>\n"
        f"<h1>Programme report</h1><p>{html.escape(period)}. Cells under {MIN_CELL} women, and cells that "
        f"would reveal them, are shown as {html.escape(SUPPRESSED)}. No names, no ids.</p>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _bars(table: Table) -> str:
    """A horizontal bar chart as inline SVG; suppressed cells get no bar."""
    shown = [c.count for c in table.cells if not c.suppressed]
    most = max([*shown, 1])
    height = 14 * len(table.cells) + 4
    bars = []
    for i, c in enumerate(table.cells):
        width = 0 if c.suppressed else int(70 * c.count / most)
        bars.append(f'<rect x="0" y="{i * 14 + 2}" width="{width}" height="10" fill="#6a9fd4"/>')
    return f'<svg width="72" height="{height}" viewBox="0 0 72 {height}" aria-hidden="true">{"".join(bars)}</svg>'
