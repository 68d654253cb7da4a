"""Privacy by construction: consent versions (``consent``), encryption at rest (``crypto``) and key rotation
(``rotation``), see my data (``export``), delete my data (``erasure``), retention periods (``retention``),
the access log (``audit``), hostile input and floods (``inbound``), what the outbox forgets once a message
is sent (``outbox``), the flow actions (``actions``) and the command line (``commands``). See
``docs/privacy.md`` and ``docs/decisions/0006-privacy.md``."""
