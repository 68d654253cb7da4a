"""Where the project's data folders are: ``migrations/``, ``conversations/`` and ``locales/``.

From a checkout (or an editable install) they sit beside the ``bot`` package; an installed copy (the Docker
image) runs from a working directory that holds them.
"""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]  # bot/core/paths.py -> the checkout


def project_root() -> Path:
    if (_CHECKOUT / "migrations").is_dir():
        return _CHECKOUT
    return Path.cwd()


def migrations_dir() -> Path:
    return project_root() / "migrations"
