"""How far a native speaker has reviewed each language's catalog: the "# Review status:" line at the top of a
catalog, the marks on each entry ("machine-drafted"; "reviewed sha1:..." with the hash of the English the
reviewer read, stale once the English changes) and each catalog's reviewed share, consent text first
(logged at start, ``trampoline i18n status``). ``bot/conversation/check.py`` counts them in its report."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from babel.messages.catalog import Catalog, Message

from bot.conversation.flows import FlowSet
from bot.conversation.wording import GenderedText, address_contexts, addressee
from bot.core.i18n import Catalogs

# A translator comment on an entry a machine drafted; it goes when a person has reviewed the entry.
MACHINE_DRAFTED = "machine-drafted"
# A translator comment a reviewer leaves on an entry she checked, with the hash of the English she read:
# "# reviewed sha1:1a2b3c4d". When the English changes, the hash no longer matches: the review is stale.
REVIEWED_MARK = re.compile(r"^reviewed sha1:([0-9a-f]{8})$")
# The first line of every catalog: "# Review status: reviewed by NAME on DATE" or "...: machine-drafted, ...".
REVIEW_STATUS = re.compile(r"^#\s*Review status:\s*(.*)$", re.IGNORECASE)


def review_status(catalog: Catalog) -> tuple[str, str]:
    """("reviewed" | "machine-drafted" | "unknown", the rest of the line) from the top comment line."""
    first = (catalog.header_comment or "").splitlines()[:1]
    match = REVIEW_STATUS.match(first[0].strip()) if first else None
    if match is None:
        return "unknown", "no '# Review status:' line at the top"
    note = match.group(1).strip()
    lowered = note.lower()
    if lowered.startswith("reviewed"):
        return "reviewed", note
    if lowered.startswith("machine-drafted") or lowered.startswith("machine drafted"):
        return "machine-drafted", note
    return "unknown", note


def is_machine_drafted(message: Message) -> bool:
    return any(comment.strip().lower() == MACHINE_DRAFTED for comment in message.user_comments)


def source_hash(message: Message) -> str:
    """8 hex digits of a SHA-1 of the English an entry translates (its context, text and plural text)."""
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    key = "\x04".join([message.context or "", *ids])
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]


def reviewed_hash(message: Message) -> str | None:
    """The hash in the entry's "reviewed sha1:..." comment, or None when nobody reviewed it."""
    for comment in message.user_comments:
        match = REVIEWED_MARK.match(comment.strip())
        if match is not None:
            return match.group(1)
    return None


def is_reviewed(message: Message) -> bool:
    return not message.fuzzy and reviewed_hash(message) == source_hash(message)


def is_stale(message: Message) -> bool:
    stored = reviewed_hash(message)
    return stored is not None and (message.fuzzy or stored != source_hash(message))


def mark_reviewed(message: Message) -> None:
    """What a reviewer's "reviewed" does: the current English's hash, no machine-drafted mark."""
    kept = [c for c in message.user_comments if c.strip().lower() != MACHINE_DRAFTED]
    kept = [c for c in kept if REVIEWED_MARK.match(c.strip()) is None]
    message.user_comments = [*kept, f"reviewed sha1:{source_hash(message)}"]


def unmark_reviewed(message: Message) -> None:
    message.user_comments = [c for c in message.user_comments if REVIEWED_MARK.match(c.strip()) is None]


CONSENT_STEP = "consent"  # the id of the step that asks for consent (bot/conversation/consent.py)


@dataclass(frozen=True)
class ReviewShare:
    """How much of one language's catalog a native speaker has reviewed, consent text first."""

    locale: str
    entries: int
    reviewed: int
    consent_reviewed: bool

    @property
    def ratio(self) -> float:
        return self.reviewed / self.entries if self.entries else 0.0

    def log_line(self) -> str:
        consent = "reviewed" if self.consent_reviewed else "NOT reviewed"
        unreviewed = self.entries - self.reviewed
        share = 100 * unreviewed // max(self.entries, 1)
        return (
            f"translations {self.locale}: consent text {consent} by a native speaker; "
            f"{unreviewed} of {self.entries} texts ({share}%) unreviewed (trampoline i18n status)"
        )


def consent_msgids(flows: FlowSet) -> list[tuple[str, str | None]]:
    """The consent questions of the flows as catalog entries (message id, context): a participant's, with its
    variants for her coach's gender; a coach's, in the contexts that address a coach (decision 0016)."""
    entries: list[tuple[str, str | None]] = []
    for name in sorted(flows.flows):
        for step in flows.flows[name].steps:
            text = step.text
            if step.id != CONSENT_STEP or not isinstance(text, str | GenderedText):
                continue
            msgid = text if isinstance(text, str) else text.text
            to = addressee(name)
            if to is not None:
                entries += [(msgid, context) for context in address_contexts(to)]
            else:
                entries.append((msgid, None))
                if isinstance(text, GenderedText):
                    entries += [(msgid, context) for context in text.contexts()]
    return entries


def review_shares(flows: FlowSet, catalogs: Catalogs) -> list[ReviewShare]:
    """Each catalog's reviewed share (of its entries, which ``i18n update`` keeps equal to the texts)."""
    shares = []
    for locale, catalog in catalogs.catalogs.items():
        messages = [message for message in catalog if message.id]
        consent = [catalog.get(msgid, context) for msgid, context in consent_msgids(flows)]
        consent_ok = bool(consent) and all(m is not None and is_reviewed(m) for m in consent)
        shares.append(ReviewShare(locale, len(messages), sum(1 for m in messages if is_reviewed(m)), consent_ok))
    return shares
