"""The coach in the chat: her onboarding, her tools (only for coaches, only on her own caseload), the weekly
summary at her chosen time, notes passed on, and alerts that respect her quiet hours when she chose so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.coaching.summary_nudge import plan_coach_summaries
from bot.core.channel import Channel
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import AuditEntry, ChannelIdentity, CoachSetting, Invite, Nudge, OutboxMessage, Person, PersonStatus
from bot.scheduling.planner import NudgeRunner
from tests.support.harness import Bot, Phone, onboarded, texts

GOOD_TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"


async def coach_on_the_bot(bot: Bot, name: str = "Sara", locale: str = "en") -> tuple[int, Phone]:
    coach_id = await bot.coach(name)
    phone = bot.phone()
    async with bot.db.transaction() as session:
        coach = await session.get(Person, coach_id)
        assert coach is not None
        coach.status = PersonStatus.ACTIVE
        coach.locale = locale
        session.add(
            ChannelIdentity(
                person_id=coach_id,
                channel=Channel.SIMULATOR,
                external_id=phone.external_id,
                created_at=bot.clock.now(),
                last_inbound_at=bot.clock.now(),
            )
        )
    return coach_id, phone


async def name(bot: Bot, person_id: int, display: str) -> None:
    async with bot.db.transaction() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.display_name = display


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_a_coach_onboards_with_her_summary_time_and_alert_setting(bot: Bot, locale: str) -> None:
    coach_id = await bot.coach("Sara")
    async with bot.db.reading() as session:
        code = await session.scalar(select(Invite.code).where(Invite.person_id == coach_id))
    phone = bot.phone(language_hint=locale)
    replies = await phone.send(f"/start {code}")
    assert len(replies[-1].buttons) >= 2  # the languages
    await phone.press(1)  # her phone's language is offered first
    await phone.press(1)  # consent: yes
    await phone.send("Sara")
    await phone.press(1)  # texts speak of her as a woman (her gender was not given at the invite)
    await phone.press(3)  # Wednesday
    await phone.press("17:00")
    await phone.press("22:00")
    replies = await phone.press(1)  # alerts wait for quiet hours: yes
    assert replies[-1].right_to_left == (locale == "ar")
    async with bot.db.reading() as session:
        coach = await session.get(Person, coach_id)
        setting = await session.get(CoachSetting, coach_id)
    assert coach is not None and setting is not None
    assert (coach.status, coach.locale) == (PersonStatus.ACTIVE, locale)
    assert (setting.summary_weekday, f"{setting.summary_time:%H:%M}") == (2, "17:00")
    assert setting.alerts_respect_quiet_hours is True
    assert coach.grammatical_gender == "feminine"


async def test_a_participant_typing_a_coach_word_gets_no_coach_tools(bot: Bot) -> None:
    _, phone = await onboarded(bot)
    for word in ("summary", "participants", "participant", "invite", "hold"):
        replies = await phone.send(word)
        assert "Your week" not in texts(replies) and "Your women" not in texts(replies)
        assert not any(m.image_ref for m in replies)


async def test_summary_now_comes_with_the_chart_as_a_photo(bot: Bot) -> None:
    coach_id, phone = await coach_on_the_bot(bot)
    amina, _ = await onboarded(bot, coach="Sara")
    replies = await phone.send("summary")
    assert any(m.image_ref and m.image_ref.endswith(".png") for m in replies)
    assert "Your week" in texts(replies) and "Amina" in texts(replies)
    del coach_id, amina


async def test_every_tool_sees_only_her_own_caseload(bot: Bot) -> None:
    _, sara = await coach_on_the_bot(bot, "Sara")
    _, mona = await coach_on_the_bot(bot, "Mona")
    amina, _ = await onboarded(bot, coach="Sara")
    zara, _ = await onboarded(bot, coach="Mona")
    await name(bot, zara, "Zara")

    listed = texts(await sara.send("participants"))
    assert "Amina" in listed and "Zara" not in listed
    assert "Zara" not in texts(await sara.send("summary"))

    asked = await sara.send("participant")
    assert [b.label for b in asked[-1].buttons if "Skip" not in b.label] == ["Amina"]
    refused = await sara.send("Zara")  # another coach's woman: not a choice, asked again
    assert "did not understand" in texts(refused) and "No check-ins" not in texts(refused)
    shown = texts(await sara.send("Amina"))
    assert "Amina" in shown and "No check-ins yet." in shown
    async with bot.db.reading() as session:
        audit = list(await session.scalars(select(AuditEntry)))
    assert [(a.action, a.subject_id) for a in audit] == [("coach.read_participant", amina)]

    await sara.send("hold")
    await sara.press("Amina")
    held = texts(await sara.press("2 weeks"))
    assert "Amina" in held
    async with bot.db.reading() as session:
        amina_row = await session.get(Person, amina)
        zara_row = await session.get(Person, zara)
    assert amina_row is not None and zara_row is not None
    assert amina_row.status is PersonStatus.PAUSED and zara_row.status is PersonStatus.ACTIVE

    other = texts(await mona.send("participants"))
    assert "Zara" in other and "Amina" not in other


async def test_an_invite_comes_as_a_link_and_a_qr_code(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "foyer_bot")
    bot = Bot(db, clock)
    coach_id, phone = await coach_on_the_bot(bot)
    await phone.send("invite")
    replies = await phone.press("A participant")
    assert "https://t.me/foyer_bot?start=" in texts(replies)
    assert any(m.image_ref and m.image_ref.endswith(".png") for m in replies)
    async with bot.db.reading() as session:
        invited = list(await session.scalars(select(Person).where(Person.status == PersonStatus.INVITED)))
    assert any(p.role.value == "participant" for p in invited)
    del coach_id


@pytest.mark.parametrize("locale", ["nl", "ar"])
async def test_an_invite_without_a_chat_app_says_how_to_try_it_here(bot: Bot, locale: str) -> None:
    _, phone = await coach_on_the_bot(bot, locale=locale)
    await phone.send("invite")
    replies = await phone.press(1)  # a participant
    async with bot.db.reading() as session:
        code = await session.scalar(select(Invite.code).order_by(Invite.id.desc()).limit(1))
    said = texts(replies)
    tr = bot.language(locale)
    assert code and code in said
    assert f"trampoline chat --invite {code}" in said
    try_here = "No chat app is connected yet. To try the invite on this computer: {command}"
    assert tr.gettext(try_here) != try_here and tr.gettext(try_here).split("{")[0].strip() in said
    if bot.settings.simulator_enabled:
        assert "http://127.0.0.1:8080/simulator" in said
    assert replies[-1].right_to_left == (locale == "ar")
    assert not any(m.image_ref for m in replies)  # no link, no QR code


async def test_a_voice_note_reaches_her_coach_as_audio(bot: Bot) -> None:
    _, coach_phone = await coach_on_the_bot(bot)
    _, phone = await onboarded(bot)
    await phone.send("check-in")
    await phone.press("Good")
    await phone.send("2")
    await phone.press("Childcare")
    await phone.voice("voice-file-42")
    await phone.press("No")
    notes = [m for m in coach_phone.inbox if m.media_ref]
    assert [(m.media_kind, m.media_ref) for m in notes] == [("voice", "voice-file-42")]
    assert "Amina" in notes[0].text


async def test_the_weekly_summary_comes_at_her_chosen_time(bot: Bot) -> None:
    coach_id, phone = await coach_on_the_bot(bot)
    await onboarded(bot)
    async with bot.db.transaction() as session:
        session.add(
            CoachSetting(
                person_id=coach_id,
                summary_weekday=3,
                summary_time=datetime(2026, 1, 1, 16, 30).time(),
                alerts_respect_quiet_hours=False,
                updated_at=bot.clock.now(),
            )
        )
    assert await plan_coach_summaries(bot.db, bot.clock.now()) == 1
    assert await plan_coach_summaries(bot.db, bot.clock.now()) == 0  # planned once
    async with bot.db.reading() as session:
        nudge = await session.scalar(select(Nudge).where(Nudge.kind == "coach_summary"))
    assert nudge is not None and nudge.due_at == datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # Thu 16:30 Brussels
    runner = NudgeRunner(bot.db, bot.service, kinds=bot.nudge_kinds)
    bot.clock.set(nudge.due_at - timedelta(minutes=1))
    assert await runner.run_due(bot.clock.now()) == 0
    bot.clock.set(nudge.due_at)
    assert await runner.run_due(bot.clock.now()) == 1
    await bot.dispatcher.dispatch_due()
    assert "Your week Nov 23\u2009–\u200929" in phone.inbox[-2].text
    assert phone.inbox[-1].image_ref is not None


async def test_alerts_wait_for_her_quiet_hours_only_when_she_chose_so(bot: Bot) -> None:
    coach_id, coach_phone = await coach_on_the_bot(bot)
    _, phone = await onboarded(bot)
    bot.clock.set(datetime(2026, 11, 23, 22, 30, tzinfo=UTC))  # 23:30 in Brussels: her quiet hours
    await phone.send("coach")
    await phone.press("Yes")
    assert any("asks you to contact her" in m.text for m in coach_phone.inbox)  # at once by default

    async with bot.db.transaction() as session:
        session.add(
            CoachSetting(
                person_id=coach_id,
                summary_weekday=4,
                summary_time=datetime(2026, 1, 1, 15, 0).time(),
                alerts_respect_quiet_hours=True,
                updated_at=bot.clock.now(),
            )
        )
    before = len(coach_phone.inbox)
    await phone.send("coach")
    await phone.press("Yes")
    assert len(coach_phone.inbox) == before  # waits
    async with bot.db.reading() as session:
        waiting = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.person_id == coach_id, OutboxMessage.kind == "alert")
            .order_by(OutboxMessage.id.desc())
        )  # fmt: skip
    assert waiting is not None and waiting.due_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 Brussels
    bot.clock.set(waiting.due_at)
    await bot.dispatcher.dispatch_due()
    assert len(coach_phone.inbox) == before + 1


async def test_a_coach_cannot_reach_another_coachs_woman_by_id(bot: Bot) -> None:
    from bot.coaching import caseload
    from bot.coaching.summary import collect
    from bot.people.caseload import participant_of

    sara, _ = await coach_on_the_bot(bot, "Sara")
    mona, _ = await coach_on_the_bot(bot, "Mona")
    zara, _ = await onboarded(bot, coach="Mona")
    async with bot.db.transaction() as session:
        assert await participant_of(session, sara, zara) is None
        assert await caseload.one_of_mine(session, sara, zara, bot.clock.now()) is None
        assert [w.id for w in await caseload.mine(session, sara)] == []
        [summary] = await collect(session, [sara], bot.clock.now())
        assert summary.participants == []
        found = await caseload.one_of_mine(session, mona, zara, bot.clock.now())
        assert found is not None and found.id == zara
        audit = list(await session.scalars(select(AuditEntry)))
    assert [(a.actor_id, a.subject_id) for a in audit] == [(mona, zara)]  # only the read that happened


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_pausing_a_woman_who_skipped_her_name_names_her_by_number_not_by_a_blank(bot: Bot, locale: str) -> None:
    _, sara = await coach_on_the_bot(bot, "Sara", locale=locale)
    nameless, _ = await onboarded(bot, coach="Sara")
    async with bot.db.transaction() as session:
        woman = await session.get(Person, nameless)
        assert woman is not None
        woman.display_name = None
    await sara.send("hold")
    await sara.press(1)  # the only woman, shown as #id
    held = texts(await sara.press(1))  # 1 week
    assert f"#{nameless}" in held
    assert "for  are" not in held and "“”" not in held
