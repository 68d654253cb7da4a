"""The reminders of buddy matches: the one reminder before the answer's deadline, the deadline itself, and a
meeting's reminder the evening before and its follow-up the day after."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.coaching.matching import ASK_FLOW, expire, whose_turn
from bot.conversation.port import Engine
from bot.db.models import BuddyMatch, MatchStatus, Nudge, Person
from bot.scheduling.planner import NudgeKinds

MEETING_FLOW = "buddy_meeting_reminder"
FOLLOWUP_FLOW = "buddy_followup"


async def _match_for(session: AsyncSession, nudge: Nudge) -> BuddyMatch | None:
    match_id = nudge.data.get("match_id")
    return await session.get(BuddyMatch, match_id) if match_id is not None else None


async def _on_reminder(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    if match is None or whose_turn(match) != nudge.data.get("side"):
        return "she already answered"
    return await service.remind(session, person, ASK_FLOW, key=f"nudge:{nudge.key}", now=now, lead="match_reminder")


async def _on_timeout(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    side = nudge.data.get("side")
    if match is None or whose_turn(match) != side:
        return "she already answered"
    await expire(session, service, match, str(side), person, now)
    return "started"


async def _on_meeting(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    if match is None or match.status is not MatchStatus.ACTIVE or match.meeting_at is None or match.meeting_at <= now:
        return "no meeting planned any more"
    return await service.start_scheduled(
        session, person, MEETING_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=match.meeting_at
    )


async def _on_followup(service: Engine, session: AsyncSession, person: Person, nudge: Nudge, now: datetime) -> str:
    match = await _match_for(session, nudge)
    if match is None or match.status is not MatchStatus.ACTIVE:
        return "the match is over"
    return await service.start_scheduled(
        session, person, FOLLOWUP_FLOW, key=f"nudge:{nudge.key}", now=now, stale_after=now + timedelta(days=3)
    )


def register(nudges: NudgeKinds) -> None:
    """The nudge kinds of buddy matches (``buddy_actions.register`` adds them with the actions)."""
    nudges.add("match_reminder", _on_reminder)
    nudges.add("match_timeout", _on_timeout)
    nudges.add("match_meeting", _on_meeting)
    nudges.add("match_followup", _on_followup)
