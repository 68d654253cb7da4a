"""Understanding answers kindly: a choice by button, by its number, or by its label typed in any case, with
or without its emoji; Arabic-Indic and Persian digits read as digits; times and dates in the forms people
type. Every function returns None when it does not understand, and the caller re-prompts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

# Arabic-Indic (U+0660..) and Extended Arabic-Indic / Persian (U+06F0..) digits.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LIST_SEPARATORS = re.compile(r"[,،;、\n]+")  # includes the Arabic comma


@dataclass(frozen=True)
class Option:
    """One choice as she can name it in her language."""

    value: str
    label: str  # translated label (with or without emoji)
    words: tuple[str, ...] = ()  # other words that mean this choice in her language
    emoji: str | None = None  # sending just the emoji counts too


def western_digits(text: str) -> str:
    return text.translate(_DIGITS)


def simplify(text: str) -> str:
    """Lower-case, without emoji, punctuation, marks or extra spaces: what is compared when she types."""
    normal = unicodedata.normalize("NFKC", western_digits(text)).casefold()
    kept = []
    for char in normal:
        category = unicodedata.category(char)
        if category == "Mn" or char == "\u0640":
            continue  # vowel marks and tatweel: نَعَم and نعـم are نعم
        kept.append(" " if category[0] in "SPC" else char)  # symbols (emoji), punctuation, controls
    return " ".join("".join(kept).split())


def match_choice(text: str, options: Sequence[Option]) -> str | None:
    """The value of the option she meant, by number (1-based) or by label or word; None if unclear."""
    bare = text.strip().replace("\ufe0f", "")
    for option in options:
        if option.emoji and bare == option.emoji.replace("\ufe0f", ""):
            return option.value
    wanted = simplify(text)
    if not wanted:
        return None
    if wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(options):
            return options[number - 1].value
        return _by_range(wanted, options)  # not a choice's number: maybe her age, "30"
    for option in options:
        names = {simplify(option.label), *(simplify(w) for w in option.words)}
        names.discard("")
        if wanted in names:
            return option.value
    return _by_range(wanted, options) or _by_time(text, options)


# A choice whose values are ranges ("18_24", "41_plus") takes a number in the range: "30", "۳۵", "35 years".
_RANGE_VALUE = re.compile(r"^(\d+)_(\d+|plus)$")
_NUMBER_AND_WORD = re.compile(r"^(\d{1,3})(?:\s*[^\d\s]+)?$")  # "35", "35 years", "35 jaar", "35ans"


def _by_range(wanted: str, options: Sequence[Option]) -> str | None:
    """The option whose range holds the number she typed; None below the lowest range or past 120."""
    match = _NUMBER_AND_WORD.match(wanted)
    if not match:
        return None
    number = int(match.group(1))
    if number > 120:
        return None
    for option in options:
        bounds = _RANGE_VALUE.match(option.value)
        if bounds and int(bounds.group(1)) <= number and (bounds.group(2) == "plus" or number <= int(bounds.group(2))):
            return option.value
    return None


def _by_time(text: str, options: Sequence[Option]) -> str | None:
    """A choice of times ("22:00") takes the time typed in any form: "22h", "22u", "10pm", "٢٢:٠٠"."""
    moment = parse_time(text)
    if moment is None:
        return None
    for option in options:
        if parse_time(option.label) == moment:
            return option.value
    return None


def match_choices(text: str, options: Sequence[Option]) -> list[str] | None:
    """Several values, as numbers ("1 3 5", "1,3") or labels separated by commas; None if any part is unclear."""
    whole = match_choice(text, options)
    if whole is not None:
        return [whole]
    parts = [p for p in _LIST_SEPARATORS.split(western_digits(text)) if p.strip()]
    if len(parts) == 1 and all(token.isdigit() for token in parts[0].split()):
        parts = parts[0].split()
    values: list[str] = []
    for part in parts:
        value = match_choice(part, options)
        if value is None:
            return None
        if value not in values:
            values.append(value)
    return values or None


def parse_number(text: str) -> float | None:
    cleaned = western_digits(text).strip().replace("٫", ".").replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


_TIME = re.compile(r"^(\d{1,2})(?:\s*(?:[:.hHu]|uur|heures?)\s*(\d{2})?)?$")
_TIME_12H = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_time(text: str) -> time | None:
    """``9``, ``09:30``, ``9.30``, ``21h``, ``21h15``, ``14u``, ``14 uur``, ``2pm``, ``2:30 p.m.``, in any
    digits -> a time of day."""
    value = western_digits(text).strip().casefold()
    if twelve := _TIME_12H.match(value):
        hour, minute = int(twelve.group(1)), int(twelve.group(2) or 0)
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if twelve.group(3) == "p" else 0)
    elif match := _TIME.match(value):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
    else:
        return None
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_date(text: str) -> date | None:
    """``2026-12-01`` or ``1/12/2026`` (day first, as in Belgium) -> a date."""
    value = western_digits(text).strip()
    try:
        if match := _DATE_ISO.match(value):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _DATE_DMY.match(value):
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    return None
