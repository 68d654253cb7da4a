"""The consent texts' version. Every grant and withdrawal is recorded with it (``consent_records``), so the
organisation can show which words she agreed to. Change the version whenever the consent texts in
``conversations/onboarding.yaml`` change meaning.

The recorded version is the one she was shown: ``CONSENT_VERSION`` plus a short fingerprint of the consent
question exactly as it read in her language (``2026-11-v1+3f9a2c1e``). A changed translation therefore gets
a new version of its own, and ``consent_text_for`` finds the words again from the catalogs of that time.
"""

from __future__ import annotations

import hashlib

from bot.conversation.flows import FlowSet
from bot.conversation.wording import (
    GENDERS,
    GenderedText,
    NamedText,
    PluralText,
    addressed_text,
    addressee,
    gender_context,
)
from bot.core.i18n import Catalogs

CONSENT_VERSION = "2026-11-v1"
CONSENT_STEP = "consent"  # the step of the flow that asks it, unless the action names another (``step``)


def consent_text(
    flows: FlowSet,
    catalogs: Catalogs,
    flow: str,
    step: str,
    locale: str,
    gender: str | None = None,
    own_gender: str | None = None,
) -> str | None:
    """The consent question of ``flow``/``step`` as it reads in ``locale``, speaking of her coach as
    ``gender`` says (the neutral wording when None), and, in a coach flow, to the coach as ``own_gender``
    says; None when there is none."""
    try:
        text = flows.flow(flow).step(step).text
    except KeyError:
        return None
    if text is None or isinstance(text, PluralText | NamedText):
        return None
    tr = catalogs.translations(locale)
    to = addressee(flow)
    if to is not None and isinstance(text, str):
        return addressed_text(tr, text, to, own_gender)
    if isinstance(text, GenderedText):
        if gender in GENDERS:  # the variant she was shown, as the renderer picks it
            variant = tr.pgettext(gender_context(text.about, str(gender)), text.text)
            if variant != text.text:
                return variant
        text = text.text
    return tr.gettext(text)


def shown_version(shown: str | None) -> str:
    """The version to record for a consent given to the text ``shown`` (at most 32 characters)."""
    if not shown:
        return CONSENT_VERSION
    return f"{CONSENT_VERSION}+{hashlib.sha256(shown.encode('utf-8')).hexdigest()[:8]}"
