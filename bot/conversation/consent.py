"""The consent texts' version. Every grant and withdrawal is recorded with it (``consent_records``), so the
organisation can show which words she agreed to. Change the version whenever the consent texts in
``conversations/onboarding.yaml`` change meaning.

The recorded version is the one she was shown: ``CONSENT_VERSION`` plus a short fingerprint of the consent
question exactly as it read in her language (``2026-11-v1+3f9a2c1e``). A changed translation therefore gets
a new version of its own, and ``consent_text_for`` finds the words again from the catalogs of that time.
"""

from __future__ import annotations

import hashlib

from bot.conversation.flows import FlowSet, GenderedText, NamedText, PluralText
from bot.core.i18n import Catalogs

CONSENT_VERSION = "2026-11-v1"
CONSENT_STEP = "consent"  # the step of the flow that asks it, unless the action names another (``step``)


def consent_text(flows: FlowSet, catalogs: Catalogs, flow: str, step: str, locale: str) -> str | None:
    """The consent question of ``flow``/``step`` as it reads in ``locale``; None when there is none."""
    try:
        text = flows.flow(flow).step(step).text
    except KeyError:
        return None
    if text is None or isinstance(text, PluralText | NamedText):
        return None
    if isinstance(text, GenderedText):
        text = text.text  # the consent record keeps the neutral wording
    return catalogs.translations(locale).gettext(text)


def shown_version(shown: str | None) -> str:
    """The version to record for a consent given to the text ``shown`` (at most 32 characters)."""
    if not shown:
        return CONSENT_VERSION
    return f"{CONSENT_VERSION}+{hashlib.sha256(shown.encode('utf-8')).hexdigest()[:8]}"
