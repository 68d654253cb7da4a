"""``trampoline flows check``: every flow valid (loading does that), and each language's catalog complete:
no missing text, no placeholder that differs from the English one."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.flows import FlowSet
from bot.i18n import SUPPORTED_LOCALES, Catalogs


@dataclass
class LocaleReport:
    locale: str
    total: int
    translated: int = 0
    shipped: bool = True  # False: no catalog yet for this language
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.shipped or (not self.problems and self.translated == self.total)


def _names(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<broken braces>"}


def coverage(flows: FlowSet, catalogs: Catalogs) -> list[LocaleReport]:
    wanted = sorted(set(flows.msgids()), key=lambda item: (item[2] or "", item[0]))
    reports = []
    for locale in SUPPORTED_LOCALES:
        if locale == "en":
            reports.append(LocaleReport(locale, len(wanted), len(wanted)))  # the message ids are English
            continue
        catalog = catalogs.catalogs.get(locale)
        if catalog is None:
            reports.append(LocaleReport(locale, len(wanted), shipped=False))
            continue
        report = LocaleReport(locale, len(wanted))
        for msgid, plural, context in wanted:
            message = catalog.get(msgid, context=context)
            strings: Any = None if message is None else message.string
            forms: list[str] = [] if strings is None else (list(strings) if plural else [str(strings)])
            if message is None or message.fuzzy or not all(forms):
                report.problems.append(f"missing: {msgid!r}")
                continue
            expected = _names(msgid) | (_names(plural) if plural else set())
            for form in forms:
                got = _names(form)
                if context != "words" and context != "command" and not got <= expected:
                    report.problems.append(f"placeholder {sorted(got - expected)} not in {msgid!r}")
                    break
                if plural is None and got != expected and context is None:
                    report.problems.append(f"placeholders differ for {msgid!r}")
                    break
            else:
                report.translated += 1
        reports.append(report)
    return reports
