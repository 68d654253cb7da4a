"""Nudges at the right moment: the schedule is SQL rows (``nudges``); APScheduler only fires short,
idempotent ticks that plan what is due, start what has come due, and dispatch the outbox."""
