"""A programme report made by hand, for the tests of how it is written out (text, HTML, in a browser): the
schooling table that was drawn wrong (a suppressed "none", then "secondary 7"), and steps (a suppressed cell's
steps are not said)."""

from __future__ import annotations

from datetime import date

from bot.coaching.report import Cell, Report, Table, suppress


def sample_report(period_from: date | None = date(2026, 1, 1), first_day: date | None = None) -> Report:
    tables = [
        Table("participants", "Participants coached", [Cell("participants", 18)]),
        Table(
            "schooling",
            "Schooling",
            [Cell("none", 3), Cell("primary", 2), Cell("secondary", 7), Cell("higher", 6), Cell("unknown", 0)],
            total=18,
        ),
        Table("chat_language", "Language used with the bot", [Cell("fa_AF", 9), Cell("ar", 9)], total=18),
        Table(
            "steps",
            "Steps per dimension (women who took them; how many steps in brackets)",
            [Cell("coaching", 6, times=9), Cell("volunteer", 12, times=30), Cell("job", 2, times=2)],
        ),
    ]
    return Report(period_from, date(2026, 12, 31), None, [suppress(t) for t in tables], first_day=first_day)
