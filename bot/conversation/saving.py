"""Where her answers go: her person row, her profile, or the check-in the conversation fills in."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.prefetch import prefetched
from bot.conversation.profile import PERSON_FIELDS, save_to_checkin, save_to_person, save_to_profile
from bot.conversation.turn import Turn
from bot.core.crypto import Cipher
from bot.db.models import CheckIn, Profile


async def save(turn: Turn, state: dict[str, Any], target: str, value: Any, cipher: Cipher) -> None:
    """Save ``value`` where ``target`` (``profile.<field>``, ``record.<field>``) says."""
    scope, _, name = target.partition(".")
    if scope == "profile":
        if name in PERSON_FIELDS:
            save_to_person(turn.person, name, value)
            turn.person.updated_at = turn.now
        else:
            if turn.profile is None:
                turn.profile = Profile(person_id=turn.person.id, languages=[], interests=[], availability=[])
                turn.session.add(turn.profile)
                group = prefetched(turn.session)
                if group is not None:
                    group.forget(turn.person.id, context=True)
            save_to_profile(turn.profile, name, value)
            turn.profile.updated_at = turn.now
    elif scope == "record":
        checkin = await turn.session.get(CheckIn, state.get("record_id"))
        if checkin is not None:
            save_to_checkin(checkin, name, value, cipher)


async def open_checkin(turn: Turn) -> int:
    """A new check-in for this week (the ISO week in her time zone). Checking in again the same week makes
    another record: her first note and her "contact me" are kept (decision 0015)."""
    year, week, _ = turn.now.astimezone(ZoneInfo(turn.person.timezone)).isocalendar()
    label = f"{year}-W{week:02d}"
    checkin = CheckIn(person_id=turn.person.id, week=label, steps=[], obstacles=[], started_at=turn.now)
    turn.session.add(checkin)
    await turn.session.flush()  # its id, and the conversation just made
    return checkin.id
