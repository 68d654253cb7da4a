"""Privacy by construction: consent, encryption at rest (and, later, export, erasure, retention)."""
