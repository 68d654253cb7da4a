"""Buddy matches with double opt-in, through the real engine, nudge runner and outbox, in English and in
Arabic (right to left): both yes, a no at each side, a timeout and a rematch; contact details never before
the second yes; capacity; and a coach can only match within her own caseload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.coaching import matching
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import (
    BuddyMatch,
    BuddyProfile,
    ConsentKind,
    ConsentRecord,
    MatchStatus,
    Organisation,
    Person,
    PersonStatus,
)
from bot.people.caseload import caseload
from bot.people.directory import DomainError
from tests.support.buddies import match_row, propose, setup
from tests.support.programme import Programme

LOCALES = ["en", "ar"]


def contacts(p: Programme, *people: int) -> list[str]:
    return [p.phone(person).external_id for person in people]


def leaked(p: Programme, *people: int) -> list[str]:
    """Every message so far that names one of these people's contact details."""
    secrets = contacts(p, *people)
    return [m.text for m in p.everything() if any(s in m.text for s in secrets)]


@pytest.mark.parametrize("locale", LOCALES)
async def test_both_say_yes_and_get_an_introduction(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, locale)
    match_id = await propose(p, coach, participant, buddy)

    asked = p.new(participant)
    assert len(asked) == 1 and "Lotte" in asked[0].text
    assert asked[0].right_to_left is (locale == "ar")
    assert len(asked[0].buttons) == 2  # yes, no
    assert p.new(buddy) == []  # the participant is asked first
    assert leaked(p, participant, buddy) == []

    await p.phone(participant).press(1)  # yes
    await p.dispatch()
    assert leaked(p, participant, buddy) == []
    asked_buddy = p.new(buddy)
    assert any("Amina" in m.text for m in asked_buddy)
    assert (await match_row(p, match_id)).status is MatchStatus.PROPOSED

    await p.phone(buddy).press(1)  # the second yes
    await p.dispatch()
    match = await match_row(p, match_id)
    assert match.status is MatchStatus.ACTIVE
    assert match.participant_accepted_at is not None and match.buddy_accepted_at is not None
    to_participant = "\n".join(m.text for m in p.new(participant))
    to_buddy = "\n".join(m.text for m in p.phone(buddy).inbox)
    assert p.phone(buddy).external_id in to_participant
    assert p.phone(participant).external_id in to_buddy
    assert "Lotte" in to_participant and "Amina" in to_buddy
    assert [a.kind for a in await p.alerts()] == ["match_accepted"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_without_both_consents_the_coach_arranges_the_contact(
    db: Database, clock: FakeClock, locale: str
) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, locale, share_buddy=False)
    await propose(p, coach, participant, buddy)
    await p.phone(participant).press(1)
    await p.dispatch()
    await p.phone(buddy).press(1)
    await p.dispatch()
    assert leaked(p, participant, buddy) == []
    intro = "\n".join(m.text for m in p.phone(participant).inbox)
    assert (
        p.bot.language(locale).gettext("Your coach will help you and {other_name} to get in touch. 📞").split("{")[0]
        in intro
    )


@pytest.mark.parametrize("locale", LOCALES)
async def test_participant_says_no(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, locale)
    match_id = await propose(p, coach, participant, buddy)
    p.new(participant)
    await p.phone(participant).press(2)  # no
    await p.dispatch()
    match = await match_row(p, match_id)
    assert match.status is MatchStatus.DECLINED and match.end_reason == "participant_declined"
    assert p.phone(buddy).inbox == []  # the buddy never heard of it
    assert [a.kind for a in await p.alerts()] == ["match_declined"]
    assert any("declined" in m.text for m in p.phone(coach).inbox)
    assert leaked(p, participant, buddy) == []


@pytest.mark.parametrize("locale", LOCALES)
async def test_buddy_says_no_after_the_participant_said_yes(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, locale)
    match_id = await propose(p, coach, participant, buddy)
    await p.phone(participant).press(1)
    await p.dispatch()
    await p.phone(buddy).press(2)
    await p.dispatch()
    match = await match_row(p, match_id)
    assert match.status is MatchStatus.DECLINED and match.end_reason == "buddy_declined"
    assert [a.kind for a in await p.alerts()] == ["match_declined"]
    assert leaked(p, participant, buddy) == []


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_organisation_can_ask_the_buddy_first(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, locale)
    async with db.transaction() as session:
        org = await session.scalar(select(Organisation))
        assert org is not None
        org.buddy_asked_first = True
    match_id = await propose(p, coach, participant, buddy)
    assert p.phone(participant).inbox == []
    assert any("Amina" in m.text for m in p.new(buddy))
    await p.phone(buddy).press(1)
    await p.dispatch()
    assert leaked(p, participant, buddy) == []
    await p.phone(participant).press(1)
    await p.dispatch()
    assert (await match_row(p, match_id)).status is MatchStatus.ACTIVE


@pytest.mark.parametrize("locale", LOCALES)
async def test_timeout_with_one_reminder_then_a_rematch(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, locale)
    other_buddy = await p.buddy("Fatima", locale, languages=["ar"])
    match_id = await propose(p, coach, participant, buddy)
    p.new(participant)

    clock.advance(timedelta(days=5, minutes=1))
    await p.tick()
    reminder = p.new(participant)
    assert len(reminder) == 1 and len(reminder[0].buttons) == 2
    assert reminder[0].text.startswith(p.bot.language(locale).gettext(p.bot.flows.texts["match_reminder"]))  # type: ignore[arg-type]

    clock.advance(timedelta(days=2))
    await p.tick()
    match = await match_row(p, match_id)
    assert match.status is MatchStatus.EXPIRED and match.end_reason == "participant_timeout"
    assert [a.kind for a in await p.alerts()] == ["match_timeout"]
    assert p.new(participant) == []  # one reminder only

    async with db.reading() as session:
        suggested = await matching.suggestions(session, coach, participant)
    assert [s.buddy.id for s in suggested] == [other_buddy]  # not the one she did not answer about
    second = await propose(p, coach, participant, other_buddy)
    assert any("Fatima" in m.text for m in p.new(participant))
    await p.phone(participant).press(1)
    await p.dispatch()
    await p.phone(other_buddy).press(1)
    await p.dispatch()
    assert (await match_row(p, second)).status is MatchStatus.ACTIVE


async def test_capacity_is_respected(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    first = await p.participant("Amina", "en", coach)
    second = await p.participant("Hana", "ar", coach)
    buddy = await p.buddy("Lotte", "en", capacity=1)
    await propose(p, coach, first, buddy)
    async with db.reading() as session:
        assert await matching.remaining_capacity(session, buddy) == 0
        assert await matching.suggestions(session, coach, second) == []
    with pytest.raises(DomainError, match="capacity"):
        await propose(p, coach, second, buddy)
    # A no frees the place again.
    await p.phone(first).press(2)
    await p.dispatch()
    await propose(p, coach, second, buddy)


async def test_suggestions_rank_shared_languages_and_region(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    participant = await p.participant("Amina", "ar", coach, languages=["ar", "fr"])
    far = await p.buddy("Eva", "en", languages=["nl"], capacity=3)
    close = await p.buddy("Fatima", "ar", languages=["ar", "fr"])
    async with db.reading() as session:
        ranked = await matching.suggestions(session, coach, participant)
    assert [s.buddy.id for s in ranked] == [close, far]


async def test_a_coach_matches_only_within_her_caseload(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    sara = await p.coach("Sara")
    nadia = await p.coach("Nadia")
    participant = await p.participant("Amina", "en", sara)
    buddy = await p.buddy("Lotte", "en")
    with pytest.raises(DomainError, match="caseload"):
        await propose(p, nadia, participant, buddy)
    async with db.reading() as session:
        with pytest.raises(DomainError, match="caseload"):
            await matching.suggestions(session, nadia, participant)
        assert await caseload(session, nadia) == []
    async with db.transaction() as session:
        match = await matching.propose(session, p.bot.service, sara, participant, buddy, clock.now())
        match_id = match.id
    async with db.transaction() as session:
        with pytest.raises(DomainError, match="caseload"):
            await matching.end_by_coach(session, p.bot.service, nadia, match_id, clock.now())


@pytest.mark.parametrize("locale", LOCALES)
async def test_match_in_chat_offers_only_her_caseload(db: Database, clock: FakeClock, locale: str) -> None:
    p = Programme(db, clock)
    sara = await p.coach("Sara")
    nadia = await p.coach("Nadia")
    mine = await p.participant("Amina", locale, sara, languages=["ar"])
    await p.participant("Hana", locale, nadia)
    buddy = await p.buddy("Lotte", locale, languages=["ar"])
    phone = p.phone(sara)
    replies = await phone.send("/match")
    labels = [b.label for b in replies[-1].buttons]
    assert labels == ["Amina"]
    replies = await phone.press("Amina")
    assert [b.label for b in replies[-1].buttons] == ["Lotte (ar)"]
    replies = await phone.press("Lotte")
    assert "Done" in replies[-1].text
    await p.dispatch()
    async with db.reading() as session:
        match = await session.scalar(select(BuddyMatch))
        assert match is not None and (match.participant_id, match.buddy_id) == (mine, buddy)
    assert any("Lotte" in m.text for m in p.phone(mine).inbox)


async def test_match_is_not_a_command_for_participants_or_buddies(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    participant = await p.participant("Amina", "en", coach)
    buddy = await p.buddy("Lotte", "en")
    for person in (participant, buddy):
        for word in ("/match", "match", "/shift"):
            replies = await p.phone(person).send(word)
            assert all("Who needs a buddy" not in m.text and "For whom" not in m.text for m in replies)


async def test_the_pair_plans_a_meeting_is_reminded_and_asked_afterwards(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach, participant, buddy = await setup(p, "en")
    match_id = await propose(p, coach, participant, buddy)
    await p.phone(participant).press(1)
    await p.dispatch()
    await p.phone(buddy).press(1)
    await p.dispatch()
    # The buddy's introduction ends with "when do you meet?"
    await p.phone(buddy).send("02/12/2026")
    await p.phone(buddy).send("15:00")
    assert (await match_row(p, match_id)).meeting_at is not None
    p.new(participant)
    p.new(buddy)
    clock.set(clock.now().replace(day=1, month=12, hour=17, minute=5))  # 18:05 in Brussels, the evening before
    await p.tick()
    assert any("Lotte" in m.text for m in p.new(participant))
    assert any("Amina" in m.text for m in p.new(buddy))
    clock.set(clock.now().replace(day=3, hour=17, minute=5))
    await p.tick()
    asked = p.new(participant)
    assert any("Did you meet Lotte?" in m.text for m in asked)
    await p.phone(participant).press(1)  # yes
    await p.phone(participant).press(3)  # difficult
    await p.phone(participant).press(2)  # no, end the match
    await p.dispatch()
    match = await match_row(p, match_id)
    assert match.status is MatchStatus.ENDED and match.meetings == 1
    assert {a.kind for a in await p.alerts()} >= {"buddy_meeting_hard", "match_ended"}
    assert any("has ended" in m.text for m in p.phone(buddy).inbox)
    assert "has ended" in p.phone(participant).inbox[-1].text  # her goodbye, not the question again
    async with db.reading() as session:
        assert await matching.remaining_capacity(session, buddy) == 1


@pytest.mark.parametrize(("locale", "language_button"), [("en", "English"), ("ar", "العربية")])
async def test_buddy_onboarding(db: Database, clock: FakeClock, locale: str, language_button: str) -> None:
    p = Programme(db, clock)
    org = await p.bot.organisation()
    from bot.db.models import Role
    from bot.people.directory import create_invite

    async with db.transaction() as session:
        invite = await create_invite(session, clock, p.bot.invites, role=Role.BUDDY, organisation_id=org)
        code, person_id = invite.code, invite.person_id
    phone = p.bot.phone(locale)
    await phone.send(f"/start {code}")
    replies = await phone.press(language_button)
    assert replies[-1].right_to_left is (locale == "ar")
    await phone.press(1)  # consent: yes
    await phone.press(1)  # share contact: yes
    await phone.send("Lotte")
    await phone.press(1)  # speak of her as a woman
    await phone.send("1 9")  # Arabic, French
    await phone.send("Anderlecht")
    await phone.send("1")  # mornings
    await phone.send("1")  # cooking
    replies = await phone.send("2")
    async with db.reading() as session:
        person = await session.get(Person, person_id)
        offer = await session.get(BuddyProfile, person_id)
        consents = list(await session.scalars(select(ConsentRecord.kind).where(ConsentRecord.person_id == person_id)))
    assert person is not None and person.status is PersonStatus.ACTIVE and person.locale == locale
    assert offer is not None and (offer.capacity, offer.region) == (2, "Anderlecht")
    assert ConsentKind.SHARE_CONTACT in consents
    assert person.grammatical_gender == "feminine"
    assert replies[-1].right_to_left is (locale == "ar")
