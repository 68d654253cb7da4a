"""Languages: which ones the bot speaks, their catalogs, and formatting for one person's locale.

Every text is rendered for one person's locale, passed in explicitly; there is no process-wide locale.
Catalogs are read from ``locales/<locale>/LC_MESSAGES/messages.po`` at start and compiled in memory, so
there is no separate compile step. Message ids are the English texts, so English needs no catalog.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

# Dari is ``fa_AF``: Babel has no ``prs`` locale.
SUPPORTED_LOCALES: tuple[str, ...] = ("nl", "fr", "en", "ar", "tr", "fa_AF", "ps", "ti", "so", "uk", "ru")
RIGHT_TO_LEFT_LOCALES: frozenset[str] = frozenset({"ar", "fa_AF", "ps"})
DEFAULT_LOCALE = "nl"
# How each language is named to the person choosing it: in its own script.
AUTONYMS: dict[str, str] = {
    "nl": "Nederlands",
    "fr": "Français",
    "en": "English",
    "ar": "العربية",
    "tr": "Türkçe",
    "fa_AF": "دری",
    "ps": "پښتو",
    "ti": "ትግርኛ",
    "so": "Soomaali",
    "uk": "Українська",
    "ru": "Русский",
}
# Phones that name Dari in other ways: Telegram and most phones have no Dari, so Afghan women set Persian
# (``fa``, ``fa-IR``, ``fa-AF``); ISO 639-3 ``prs`` is Dari itself. All of them get our Dari (decision 0021).
LANGUAGE_ALIASES: dict[str, str] = {"fa": "fa_AF", "prs": "fa_AF"}
LEFT_TO_RIGHT_ISOLATE = "\u2066"
RIGHT_TO_LEFT_ISOLATE = "\u2067"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
ISOLATE_OPENERS = frozenset({LEFT_TO_RIGHT_ISOLATE, RIGHT_TO_LEFT_ISOLATE, FIRST_STRONG_ISOLATE})
DOMAIN = "messages"


def normalise_locale(value: str) -> str:
    """Return the supported locale code for ``value`` (``fa-af`` -> ``fa_AF``), or raise ``ValueError``."""
    wanted = value.strip().replace("-", "_").lower()
    for code in SUPPORTED_LOCALES:
        if code.lower() == wanted:
            return code
    raise ValueError(f"unsupported locale {value!r}; use one of: {', '.join(SUPPORTED_LOCALES)}")


def locale_from_hint(hint: str | None) -> str | None:
    """A platform's language code (``ar``, ``nl-BE``, ``fa-AF``, ``prs``) as a supported locale, if any."""
    if not hint:
        return None
    code = hint.strip().replace("-", "_")
    base = code.split("_")[0].lower()
    if base in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[base]
    for candidate in (code, base):
        try:
            return normalise_locale(candidate)
        except ValueError:
            continue
    return None


def is_right_to_left(locale: str) -> bool:
    return locale in RIGHT_TO_LEFT_LOCALES


def isolate(fragment: str, opener: str = FIRST_STRONG_ISOLATE) -> str:
    """Wrap a fragment (a name, number, date, code, link) so it keeps its own direction inside
    right-to-left text, as Telegram and WhatsApp render it. An isolate ends at the end of its line (a line
    break ends a paragraph in the Unicode bidi algorithm), so a fragment of several lines is isolated line
    by line: one isolate around all of them would leave a stray U+2069 on the last line."""
    return "\n".join(f"{opener}{line}{POP_DIRECTIONAL_ISOLATE}" if line else line for line in fragment.split("\n"))


# A left-to-right run that a right-to-left line would show back to front: numbers (times, dates) joined by
# dashes or spaces, as in "21:00 - 08:00" or "1 3". Western digits only: Arabic-Indic digits read right
# to left in their own script. A run ends on a digit, so the full stop after it stays in the sentence.
_LTR_RUN = re.compile(r"[0-9](?:[0-9:./]*[0-9])?(?:(?:\s*[-\u2013\u2014]\s*|[ \u00a0])[0-9](?:[0-9:./]*[0-9])?)+")


def isolate_ltr_runs(text: str) -> str:
    """Each left-to-right run of ``text`` (a time range, numbers in a row) in one left-to-right isolate
    (LRI...PDI), so a right-to-left line shows it whole and in its own order: "21:00 - 08:00", not
    "08:00 - 21:00"."""
    return _LTR_RUN.sub(lambda match: isolate(match.group(0), LEFT_TO_RIGHT_ISOLATE), text)


def _outside_isolates(text: str) -> Iterator[tuple[str, bool]]:
    """Each character of ``text`` with whether it stands outside every isolate (a line break ends them)."""
    depth = 0
    for char in text:
        if char in ISOLATE_OPENERS:
            depth += 1
        elif char == POP_DIRECTIONAL_ISOLATE:
            depth = max(depth - 1, 0)
        elif char == "\n":
            depth = 0
        yield char, depth == 0


def unisolated_ltr_runs(text: str) -> list[str]:
    """The left-to-right runs of ``text`` that are not inside an isolate (what ``isolate_ltr_runs`` misses)."""
    return _LTR_RUN.findall("".join(char if outside else "\x00" for char, outside in _outside_isolates(text)))


def isolate_problems(text: str) -> list[str]:
    """What is wrong with the directional isolates of a text, line by line (a line break ends every
    isolate still open): an isolate opened and not closed on its line, or a U+2069 that closes none."""
    problems: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        depth = 0
        for char in line:
            if char in ISOLATE_OPENERS:
                depth += 1
            elif char == POP_DIRECTIONAL_ISOLATE:
                if depth == 0:
                    problems.append(f"line {number}: a U+2069 that closes no isolate")
                else:
                    depth -= 1
        if depth:
            problems.append(f"line {number}: {depth} isolate(s) not closed by U+2069 on the line")
    return problems


def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def language_name(code: str, locale: str) -> str:
    """The name of the language ``code`` in ``locale``, as CLDR (Babel) writes it within a sentence: ``ar`` is
    "Arabic" in English and "arabe" in French, ``ti`` "Tigrinya", ``ps`` "Pashto". Dari is "Dari" whether it
    is ``fa_AF`` (her chat language) or ``prs`` (a language she speaks, which CLDR does not name; decision
    0029), while ``fa`` stays Persian. A code Babel does not know, or an unknown ``locale``, gives the code."""
    try:
        names = babel_locale(locale)
        wanted = code.strip().replace("-", "_")
        for candidate in dict.fromkeys((wanted, LANGUAGE_ALIASES.get(wanted, wanted))):
            name = names.languages.get(candidate)
            if name:
                return str(name)
        return str(Locale.parse(wanted).get_display_name(names) or code)
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def number(value: float, locale: str) -> str:
    return format_decimal(value, locale=babel_locale(locale))


# Arabic-script languages write their own comma and semicolon: "،" and "؛", never "," and ";".
ARABIC_SCRIPT_LOCALES: frozenset[str] = frozenset({"ar", "fa_AF", "ps"})
LATIN_PUNCTUATION = ",;"


def listing(items: Iterable[str], locale: str) -> str:
    """Items as one list in her language ("a, b and c"; "a، b، و c"), as Babel's CLDR data writes it."""
    return format_list(list(items), locale=babel_locale(locale))


def semicolon(locale: str) -> str:
    """What separates the parts of a list whose parts have commas: "; ", or "؛ " in Arabic script."""
    return "؛ " if locale in ARABIC_SCRIPT_LOCALES else "; "


def latin_punctuation(text: str) -> list[str]:
    """The Latin commas and semicolons of ``text`` outside its isolates and placeholders (what an
    Arabic-script text must not have)."""
    found, braces = [], 0
    for char, outside in _outside_isolates(text):
        if char == "{":
            braces += 1
        elif char == "}":
            braces = max(braces - 1, 0)
        elif char in LATIN_PUNCTUATION and outside and not braces:
            found.append(char)
    return found


def moment(value: datetime, locale: str, timezone: str) -> str:
    """A date and time in her locale and her time zone (stored times are UTC)."""
    return format_datetime(value, format="medium", tzinfo=ZoneInfo(timezone), locale=babel_locale(locale))


def day(value: date | datetime, locale: str, timezone: str | None = None) -> str:
    if isinstance(value, datetime) and timezone:
        value = value.astimezone(ZoneInfo(timezone))
    return format_date(value, format="long", locale=babel_locale(locale))


def clock_time(value: datetime, locale: str, timezone: str) -> str:
    return format_time(value, format="short", tzinfo=ZoneInfo(timezone), locale=babel_locale(locale))


class Language:
    """One locale's translations, with plain ``str`` results (message ids are English)."""

    def __init__(self, locale: str, translations: NullTranslations) -> None:
        self.locale = locale
        self._translations = translations

    def gettext(self, message: str) -> str:
        return str(self._translations.gettext(message))

    def pgettext(self, context: str, message: str) -> str:
        return str(self._translations.pgettext(context, message))

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return str(self._translations.ngettext(singular, plural, count))


class Catalogs:
    """The translations of every locale that has a catalog, compiled once at start."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.catalogs: dict[str, Catalog] = {}
        self._translations: dict[str, NullTranslations] = {}
        for locale in SUPPORTED_LOCALES:
            path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=DOMAIN)
            self.catalogs[locale] = catalog
            compiled = io.BytesIO()
            write_mo(compiled, catalog, use_fuzzy=False)
            compiled.seek(0)
            self._translations[locale] = Translations(compiled, domain=DOMAIN)

    def available(self) -> list[str]:
        """Locales she can choose: English (the message ids) and every locale with a catalog."""
        return [code for code in SUPPORTED_LOCALES if code == "en" or code in self._translations]

    def translations(self, locale: str) -> Language:
        return Language(locale, self._translations.get(locale) or NullTranslations())
