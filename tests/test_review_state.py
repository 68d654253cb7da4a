"""The operator sees how far the catalogs are reviewed: in the log at start (consent text first) and in
/metrics; nothing of it reaches a coach or a participant."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po

from bot.cli.common import log_review_state
from bot.conversation.review import consent_msgids, mark_reviewed, review_shares
from bot.core.clock import FakeClock
from bot.core.i18n import Catalogs
from bot.core.paths import project_root
from bot.db.engine import Database
from bot.runtime.metrics import Metrics
from tests.support.harness import conversations

FLOWS, CATALOGS = conversations()


def reviewed_consent(tmp_path: Path, locale: str) -> Catalogs:
    locales = tmp_path / "locales"
    shutil.copytree(project_root() / "locales", locales)
    path = locales / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    for msgid, context in consent_msgids(FLOWS):
        mark_reviewed(catalog.get(msgid, context))
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return Catalogs(locales)


def test_the_machine_drafted_catalogs_are_unreviewed_and_say_so_once_per_language(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app: Any = SimpleNamespace(flows=FLOWS, catalogs=CATALOGS)
    with caplog.at_level(logging.INFO, logger="bot.core.i18n"):
        log_review_state(app)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == len(CATALOGS.catalogs)
    ar = next(line for line in lines if line.startswith("translations ar:"))
    assert "consent text NOT reviewed" in ar and "(100%) unreviewed" in ar
    assert all(record.levelno == logging.WARNING for record in caplog.records)


def test_a_reviewed_consent_text_is_named_in_the_log(tmp_path: Path) -> None:
    shares = {share.locale: share for share in review_shares(FLOWS, reviewed_consent(tmp_path, "uk"))}
    assert shares["uk"].consent_reviewed and not shares["ar"].consent_reviewed
    assert "consent text reviewed" in shares["uk"].log_line()
    assert 0 < shares["uk"].ratio < 1 and shares["ar"].ratio == 0


async def test_metrics_show_the_reviewed_ratio_per_language(db: Database, clock: FakeClock, tmp_path: Path) -> None:
    ratios = {share.locale: share.ratio for share in review_shares(FLOWS, reviewed_consent(tmp_path, "uk"))}
    text = await Metrics(db, clock, None, ratios).render()
    assert "# TYPE trampoline_translations_reviewed_ratio gauge" in text
    assert 'trampoline_translations_reviewed_ratio{locale="ar"} 0.0\n' in text
    uk = next(
        line for line in text.splitlines() if line.startswith('trampoline_translations_reviewed_ratio{locale="uk"}')
    )
    assert 0 < float(uk.split()[-1]) < 1


def test_every_consent_text_she_or_a_coach_can_be_shown_counts_for_the_review() -> None:
    """The participant's consent speaks of her coach (a variant per gender) and a coach's is addressed to a
    coach: each of those entries must be reviewed before the consent counts as reviewed."""
    entries = consent_msgids(FLOWS)
    contexts = {context for _, context in entries}
    assert None in contexts and "coach:feminine" in contexts and "to:coach" in contexts
    for locale, catalog in CATALOGS.catalogs.items():
        assert all(catalog.get(msgid, context) is not None for msgid, context in entries), locale
