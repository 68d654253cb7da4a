"""Delete my data: ``forget`` (and ``trampoline forget``) erase her everywhere; only anonymous counts and an
erasure record without identifiers stay. Every table and column is scanned afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.conversation.wording import GenderedText
from bot.db.models import (
    AnonymousCount,
    AuditEntry,
    BuddyMatch,
    ErasureRecord,
    MatchStatus,
    OutboxMessage,
    Person,
    Role,
)
from bot.people.audit import record_access
from bot.privacy.erasure import Reason, erase_person
from tests.support.harness import Bot, texts
from tests.support.privacy import NAME, NOTE, checkin_with_note, leftovers, linked


async def _coach_phone(bot: Bot) -> None:
    """Her coach on a channel too, so the alert about her (with her name) goes through the outbox."""
    from bot.db.models import ChannelIdentity

    coach_id = await bot.coach()
    async with bot.db.transaction() as session:
        session.add(
            ChannelIdentity(
                person_id=coach_id, channel=bot.simulator.name, external_id="coach-phone", created_at=bot.clock.now()
            )
        )


async def _buddy(bot: Bot, participant_id: int) -> int:
    buddy = await linked(bot, "buddy-phone-5551", role=Role.BUDDY, name="Griet", locale="nl")
    async with bot.db.transaction() as session:
        session.add(
            BuddyMatch(
                participant_id=participant_id,
                buddy_id=buddy.person_id,
                status=MatchStatus.ACTIVE,
                proposed_at=bot.clock.now(),
            )
        )
    return buddy.person_id


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_forget_from_her_phone_erases_everything_identifying(bot: Bot, locale: str) -> None:
    await _coach_phone(bot)
    her = await linked(bot, "tg-770012345", locale=locale)
    await _buddy(bot, her.person_id)
    await checkin_with_note(her.phone)
    coach_id = await bot.coach()
    async with bot.db.transaction() as session:
        record_access(session, coach_id, "coach.read_checkins", her.person_id, bot.clock.now(), rows=1)
    assert bot.simulator.transcripts["coach-phone"]  # the alert with her name went out

    tr = bot.language(locale)
    question = await her.phone.send("forget")
    asked = bot.flows.flow("forget").step("sure").text
    assert isinstance(asked, str) and question[-1].text == tr.gettext(asked)
    assert question[-1].right_to_left is (locale == "ar")
    assert question[-1].buttons[0].label.endswith(tr.gettext("Keep my data"))  # safe first
    goodbye = await her.phone.press(2)  # delete everything
    assert tr.gettext(
        "Done: I deleted your data. Thank you for the time together, and take care! 🌷 If you want to join again "
        "one day, ask your coach for a new link."
    ) in texts(goodbye)

    found = await leftovers(bot.db, her.person_id, [NAME, NOTE, "Xavierina", her.phone.external_id, her.code])
    assert found == []
    async with bot.db.reading() as session:
        assert await session.get(Person, her.person_id) is None
        records = list(await session.scalars(select(ErasureRecord)))
        counts = {(c.metric, c.value): c.count for c in await session.scalars(select(AnonymousCount))}
        audit = list(await session.scalars(select(AuditEntry)))
    assert [(r.reason, r.role, r.month) for r in records] == [("request", "participant", "2026-11")]
    assert counts[("erased", "")] == 1 and counts[("checkins", "")] == 1
    assert all(a.detail == {} and a.subject_id is None for a in audit)

    # Her buddy is told, kindly and in her language, that the match ended (a buddy has no coach of her
    # own: the neutral wording).
    buddy_says = bot.simulator.transcripts["buddy-phone-5551"]
    ended = bot.flows.texts["buddy_match_ended"]
    assert isinstance(ended, GenderedText)
    assert bot.language("nl").gettext(ended.text) == buddy_says[-1].text

    # Writing again afterwards: she is a stranger now, and nothing about her is kept.
    await her.phone.send("hello")
    assert await leftovers(bot.db, her.person_id, [NAME, her.phone.external_id]) == []


async def test_no_keeps_everything(bot: Bot) -> None:
    her = await linked(bot, "tg-880011223")
    await her.phone.send("forget")
    replies = await her.phone.press(1)  # keep my data (the first button)
    assert "Nothing changes" in texts(replies)
    async with bot.db.reading() as session:
        assert await session.get(Person, her.person_id) is not None


async def test_a_stopped_person_can_still_ask_to_forget(bot: Bot) -> None:
    her = await linked(bot, "tg-990011223")
    await her.phone.send("stop")
    await her.phone.press("Stop messages")
    question = await her.phone.send("delete my data")
    assert "delete" in question[-1].text
    await her.phone.press("Delete everything")
    async with bot.db.reading() as session:
        assert await session.get(Person, her.person_id) is None


async def test_erasing_a_coach_keeps_the_participants(bot: Bot) -> None:
    her = await linked(bot, "tg-110011223")
    coach_id = await bot.coach()
    async with bot.db.transaction() as session:
        assert await erase_person(session, coach_id, bot.clock.now(), reason=Reason.ADMIN)
    async with bot.db.reading() as session:
        assert await session.get(Person, her.person_id) is not None
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert await leftovers(bot.db, coach_id, ["Sara"]) == []


async def test_erasing_no_one_is_a_no(bot: Bot) -> None:
    async with bot.db.transaction() as session:
        assert not await erase_person(session, 9999, bot.clock.now(), reason=Reason.ADMIN)
