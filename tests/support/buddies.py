"""A buddy match proposed by a coach, and the programme it is made in."""

from __future__ import annotations

from bot.coaching import matching
from bot.db.models import (
    BuddyMatch,
)
from tests.support.programme import Programme


async def propose(p: Programme, coach: int, participant: int, buddy: int) -> int:
    async with p.db.transaction() as session:
        match = await matching.propose(session, p.bot.service, coach, participant, buddy, p.clock.now())
        match_id = match.id
    await p.dispatch()
    return match_id


async def match_row(p: Programme, match_id: int) -> BuddyMatch:
    async with p.db.reading() as session:
        match = await session.get(BuddyMatch, match_id)
        assert match is not None
        return match


async def setup(p: Programme, locale: str, share_buddy: bool = True) -> tuple[int, int, int]:
    coach = await p.coach()
    participant = await p.participant("Amina", locale, coach, languages=["ar", "nl"])
    buddy = await p.buddy("Lotte", locale, languages=["nl", "fr"], region="Brussel", share=share_buddy)
    return coach, participant, buddy
