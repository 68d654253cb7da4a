"""What knows nothing of the programme: the clock, channel names, i18n, time arithmetic, settings (read only
by ``bot/app.py`` and ``bot/cli/``), keys, the cipher, safe JSON and CSV. See docs/architecture.md."""
