"""Privacy use cases: see my data (``export``), delete my data (``erasure``), retention periods
(``retention``), key rotation (``rotation``), the column registry (``columns``) and the flow actions
(``actions``). Encryption itself is ``bot/core/crypto.py``; see ``docs/privacy.md`` and decision 0006."""
