"""Languages the bot speaks, and the facts about them the rest of the code needs.

Every text is rendered for one person's locale, passed in explicitly; there is no process-wide locale.
"""

from __future__ import annotations

# Dari is ``fa_AF``: Babel has no ``prs`` locale.
SUPPORTED_LOCALES: tuple[str, ...] = ("nl", "fr", "en", "ar", "tr", "fa_AF", "ps", "ti", "so", "uk", "ru")
RIGHT_TO_LEFT_LOCALES: frozenset[str] = frozenset({"ar", "fa_AF", "ps"})
DEFAULT_LOCALE = "nl"


def normalise_locale(value: str) -> str:
    """Return the supported locale code for ``value`` (``fa-af`` -> ``fa_AF``), or raise ``ValueError``."""
    wanted = value.strip().replace("-", "_").lower()
    for code in SUPPORTED_LOCALES:
        if code.lower() == wanted:
            return code
    raise ValueError(f"unsupported locale {value!r}; use one of: {', '.join(SUPPORTED_LOCALES)}")


def is_right_to_left(locale: str) -> bool:
    return locale in RIGHT_TO_LEFT_LOCALES
