"""The consent texts' version. Every grant and withdrawal is recorded with it (``consent_records``), so the
organisation can show which words she agreed to. Change the version whenever the consent texts in
``conversations/onboarding.yaml`` change meaning."""

CONSENT_VERSION = "2026-11-v1"
