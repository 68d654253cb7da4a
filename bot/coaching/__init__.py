"""What coaches and the foundation get: caseload tools, weekly summaries, alerts passed on, participant
imports and the programme report. Every query that takes a coach starts from her caseload."""
