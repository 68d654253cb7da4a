"""The fields a flow may save to (``save: profile.FIELD`` / ``record.FIELD``) and read in texts and
conditions, and how a saved answer becomes a column value."""

from __future__ import annotations

import unicodedata
from datetime import time
from typing import Any

from bot.core.crypto import Cipher
from bot.core.i18n import normalise_locale
from bot.db.models import GENDER_CHOICES, GENDERS, CheckIn, Person, Profile

# On the person: what the bot needs to talk with her.
PERSON_FIELDS = frozenset(
    {"display_name", "locale", "checkin_weekday", "checkin_time", "quiet_hours", "grammatical_gender"}
)

# In the intake profile: what the programme counts.
# In the order exports and counts list them.
INTAKE_ORDER = (
    "age_group",
    "has_children",
    "needs_childcare",
    "single_parent",
    "schooling",
    "ever_paid_job",
    "languages",
    "local_language_level",
    "interests",
    "availability",
)
INTAKE_FIELDS = frozenset(INTAKE_ORDER)
PROFILE_FIELDS = PERSON_FIELDS | INTAKE_FIELDS
RECORD_FIELDS = {"checkin": frozenset({"mood", "steps", "obstacles", "note", "wants_contact"})}
# Names every text may use besides profile fields and answers.
CONTEXT_NAMES = frozenset(
    {"name", "organisation", "coach", "coach_gender", "language_hint", "role", "weeks", "paused_until"}
)
MAX_NAME_LENGTH = 60
# A note is kept whole, however long (decision 0015): one message is all she sends at once, and the channels
# split a long text when it goes out to her coach. It used to be cut at 2,000 characters without a word.
MAX_NOTE_LENGTH: int | None = None


class SaveError(ValueError):
    """A value that does not fit the field; the flow file is wrong, not her answer."""


def clean_text(text: str, limit: int | None) -> str:
    """Her typed text without control characters or bidi overrides (which could disguise what the coach
    reads), with spaces folded, cut at ``limit`` characters (a name; never a note: ``None``)."""
    kept = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") and char != "\n" else char
        for char in text
        if unicodedata.category(char) != "Cf" or char in "\u200c\u200d"  # keep ZWNJ/ZWJ: Persian needs them
    )
    lines = [" ".join(line.split()) for line in kept.splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    return cleaned if limit is None else cleaned[:limit]


def save_to_person(person: Person, name: str, value: Any) -> None:
    if name == "display_name":
        if isinstance(value, dict) and "text" in value:
            cleaned = clean_text(str(value["text"]), MAX_NAME_LENGTH).replace("\n", " ")
            if cleaned:
                person.display_name = cleaned
        return  # a voice note is not a name: keep what we had
    if name == "locale":
        person.locale = normalise_locale(str(value))
    elif name == "checkin_weekday":
        if not isinstance(value, int) or not 0 <= value <= 6:
            raise SaveError(f"checkin_weekday takes 0-6, not {value!r}")
        person.checkin_weekday = value
    elif name == "checkin_time":
        person.checkin_time = _time(value)
    elif name == "grammatical_gender":
        if value not in GENDER_CHOICES:
            raise SaveError(f"grammatical_gender takes {', '.join(GENDER_CHOICES)}, not {value!r}")
        person.grammatical_gender = str(value)
    elif name == "quiet_hours":
        start, _, end = str(value).partition("-")
        person.quiet_start, person.quiet_end = _time(start), _time(end)
    else:
        raise SaveError(f"unknown person field {name!r}")


def save_to_profile(profile: Profile, name: str, value: Any) -> None:
    if name not in INTAKE_FIELDS:
        raise SaveError(f"unknown profile field {name!r}")
    if name in ("languages", "interests", "availability"):
        value = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    elif name in ("has_children", "needs_childcare", "single_parent", "ever_paid_job"):
        if not isinstance(value, bool):
            raise SaveError(f"{name} takes yes or no, not {value!r}")
    elif value is not None:
        value = str(value)
    setattr(profile, name, value)


def save_to_checkin(checkin: CheckIn, name: str, value: Any, cipher: Cipher) -> None:
    if name == "mood":
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise SaveError(f"mood takes 1-5, not {value!r}")
        checkin.mood = value
    elif name in ("steps", "obstacles"):
        setattr(checkin, name, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    elif name == "wants_contact":
        checkin.wants_contact = bool(value)
    elif name == "note":
        if isinstance(value, dict) and value.get("text"):
            checkin.note_ciphertext = cipher.encrypt(clean_text(str(value["text"]), MAX_NOTE_LENGTH))
            checkin.note_kind = "text"
        elif isinstance(value, dict) and value.get("media"):
            checkin.note_ciphertext = cipher.encrypt(str(value["ref"]))
            checkin.note_kind = str(value["media"])[:16]
    else:
        raise SaveError(f"a check-in has no field {name!r}")


def context_for(
    person: Person,
    profile: Profile | None,
    *,
    organisation: str,
    coach: str | None,
    language_hint: str | None,
    coach_gender: str | None = None,
) -> dict[str, Any]:
    """What flows can read about her: for conditions, suggestions and texts. No free text from answers."""
    context: dict[str, Any] = {
        "name": person.display_name or "",
        "organisation": organisation,
        "coach": coach or "",
        "coach_gender": coach_gender if coach_gender in GENDERS else None,
        "grammatical_gender": person.grammatical_gender,
        "language_hint": language_hint,
        "role": person.role.value,
        "display_name": person.display_name,
        "locale": person.locale,
        "checkin_weekday": person.checkin_weekday,
        "checkin_time": person.checkin_time.strftime("%H:%M") if person.checkin_time else None,
        "quiet_hours": f"{person.quiet_start:%H:%M}-{person.quiet_end:%H:%M}",
        "paused_until": person.paused_until,
    }
    for name in INTAKE_FIELDS:
        context[name] = getattr(profile, name) if profile is not None else None
    return context


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise SaveError(f"a time of day is HH:MM, not {value!r}") from None
