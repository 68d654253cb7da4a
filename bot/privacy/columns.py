"""Every text-like column of the database (String, Text, JSON) and how it is protected: the one registry
that docs/privacy.md's column table and tests/privacy/test_column_registry.py check against. A new text
column that is neither encrypted nor here fails that test, so someone decides what it holds before it ships.

Encrypted columns (a ``*_ciphertext`` column, or the sealed outbox payload) are listed too, so the
document names every place her words are kept.
"""

from __future__ import annotations

ENCRYPTED = "encrypted (Fernet, TRAMPOLINE_ENCRYPTION_KEYS)"
SEALED = "free text sealed with the same keys; opened only to send; after sending only routing keys are left"
NOT_PERSONAL = "no personal data (a code, a name chosen by the code, or the organisation's)"
DB_ACCESS = "personal data: database access only"
RETENTION = "kept for TRAMPOLINE_RETENTION_MESSAGES_DAYS (90 days), then deleted"

COLUMNS: dict[str, str] = {
    "organisations.name": NOT_PERSONAL,
    "organisations.region": NOT_PERSONAL,
    "organisations.default_locale": NOT_PERSONAL,
    "organisations.timezone": NOT_PERSONAL,
    "service_settings.name": NOT_PERSONAL,
    "service_settings.value": NOT_PERSONAL,
    "anonymous_counts.month": "anonymous: no id, no name, the month only",
    "anonymous_counts.role": "anonymous: no id, no name, the month only",
    "anonymous_counts.metric": "anonymous: no id, no name, the month only",
    "anonymous_counts.value": "anonymous: no id, no name, the month only",
    "erasure_records.month": "anonymous: no id, no name, the month only",
    "erasure_records.role": "anonymous: no id, no name, the month only",
    "erasure_records.reason": "anonymous: a reason chosen by the code",
    "people.display_name": f"{DB_ACCESS}; wiped at erasure",
    "people.locale": NOT_PERSONAL,
    "people.grammatical_gender": f"{DB_ACCESS} (how texts speak of a coach or buddy); wiped at erasure",
    "people.timezone": NOT_PERSONAL,
    "alerts.kind": NOT_PERSONAL,
    "audit_log.action": NOT_PERSONAL,
    "audit_log.detail": f"{DB_ACCESS}; no message text; platform ids hashed at erasure",
    "buddy_matches.end_reason": NOT_PERSONAL,
    "buddy_profiles.region": DB_ACCESS,
    "channel_identities.external_id": f"{DB_ACCESS} (Telegram user id, WhatsApp number); hashed at erasure",
    "checkins.week": NOT_PERSONAL,
    "checkins.steps": f"{DB_ACCESS}; ids of steps from a fixed list, no free text",
    "checkins.obstacles": f"{DB_ACCESS}; ids of obstacles from a fixed list, no free text",
    "checkins.note_ciphertext": ENCRYPTED,
    "checkins.note_kind": NOT_PERSONAL,
    "consent_records.version": NOT_PERSONAL,
    "consent_records.locale": NOT_PERSONAL,
    "conversations.flow": NOT_PERSONAL,
    "conversations.step": NOT_PERSONAL,
    "conversations.state": f"{DB_ACCESS}; her answers while a conversation is open; deleted at erasure",
    "inbound_events.dedupe_key": f"hashed for someone the bot does not keep; {RETENTION}",
    "inbound_events.outcome": NOT_PERSONAL,
    "invites.code": "a single-use code, 30 days",
    "nudges.key": NOT_PERSONAL,
    "nudges.kind": NOT_PERSONAL,
    "nudges.reason": NOT_PERSONAL,
    "nudges.data": f"{DB_ACCESS}; ids and dates, no free text",
    "profiles.age_group": f"{DB_ACCESS}; from a fixed list",
    "profiles.schooling": f"{DB_ACCESS}; from a fixed list",
    "profiles.languages": f"{DB_ACCESS}; from a fixed list",
    "profiles.local_language_level": f"{DB_ACCESS}; from a fixed list",
    "profiles.interests": f"{DB_ACCESS}; from a fixed list",
    "profiles.availability": f"{DB_ACCESS}; from a fixed list",
    "volunteer_shifts.place": "the organisation's (not hers)",
    "volunteer_shifts.address": "the organisation's (not hers)",
    "volunteer_shifts.contact": "the organisation's contact person",
    "volunteer_shifts.cancel_reason": f"{DB_ACCESS}; from a fixed list",
    "volunteer_shifts.feedback": f"{DB_ACCESS}; from a fixed list",
    "volunteer_shifts.note_ciphertext": ENCRYPTED,
    "trajectories.left_reason": f"{DB_ACCESS}; from a fixed list",
    "milestones.code": f"{DB_ACCESS}; from a fixed list",
    "milestones.level": f"{DB_ACCESS}; from a fixed list",
    "milestones.contract": f"{DB_ACCESS}; from a fixed list",
    "milestones.note_ciphertext": ENCRYPTED,
    "year_answers.kind": NOT_PERSONAL,
    "year_answers.helped": f"{DB_ACCESS}; from a fixed list",
    "year_answers.hard": f"{DB_ACCESS}; from a fixed list",
    "year_answers.recommend": f"{DB_ACCESS}; from a fixed list",
    "year_answers.now_doing": f"{DB_ACCESS}; from a fixed list",
    "year_answers.words_ciphertext": ENCRYPTED,
    "year_answers.words_kind": NOT_PERSONAL,
    "outbox.idempotency_key": NOT_PERSONAL,
    "outbox.recipient": "a stranger's platform id: wiped as soon as the answer is sent",
    "outbox.kind": NOT_PERSONAL,
    "outbox.payload": f"{SEALED}; {RETENTION}",
    "outbox.claimed_by": NOT_PERSONAL,
    "outbox.provider_message_id": f"the platform's message id; wiped for strangers and at erasure; {RETENTION}",
    "outbox.last_error": f"the platform's error, no message text; {RETENTION}",
    "outbox.history": f"delivery events, no message text; {RETENTION}",
}
