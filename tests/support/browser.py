"""Debian's Chromium for the browser tests: where it is and how Playwright starts it (never a download)."""

from __future__ import annotations

import os
import shutil

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = (
    "no Chromium found at /usr/bin/chromium: install Debian's package (apt-get install chromium) "
    "to run the browser tests; a browser is never downloaded"
)
