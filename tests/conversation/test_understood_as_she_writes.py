"""Understood as she writes (issue 17 §1, decision 0015): an age typed as a number answers the age-group
question, and times in the forms people type answer wherever a time is asked."""

from __future__ import annotations

from datetime import time

import pytest

from bot.conversation.answers import Option, match_choice, parse_time
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import Profile
from tests.support.harness import Bot

AGES = [Option("18_24", "18-24"), Option("25_40", "25-40"), Option("41_plus", "41 or older")]


@pytest.mark.parametrize(
    ("typed", "group"),
    [("30", "25_40"), ("۳۵", "25_40"), ("٣٠", "25_40"), ("35 years", "25_40"), ("35 jaar", "25_40"),
     ("18", "18_24"), ("24", "18_24"), ("41", "41_plus"), ("۶۰", "41_plus"), ("2", "25_40")],
)  # fmt: skip
def test_an_age_typed_as_a_number_picks_its_group(typed: str, group: str) -> None:
    assert match_choice(typed, AGES) == group


@pytest.mark.parametrize("typed", ["17", "0", "200", "999 years"])
def test_an_age_under_18_or_absurd_is_asked_again(typed: str) -> None:
    assert match_choice(typed, AGES) is None


@pytest.mark.parametrize(
    ("typed", "moment"),
    [("14u", time(14)), ("14h", time(14)), ("2pm", time(14)), ("14:00", time(14)), ("14.00", time(14)),
     ("١٤:٠٠", time(14)), ("۱۴u", time(14)), ("2:30 p.m.", time(14, 30)), ("14 uur", time(14)),
     ("12am", time(0)), ("9", time(9)), ("21h15", time(21, 15))],
)  # fmt: skip
def test_times_are_understood_as_people_type_them(typed: str, moment: time) -> None:
    assert parse_time(typed) == moment


@pytest.mark.parametrize("typed", ["25h", "13pm", "14:75", "soon"])
def test_a_time_that_is_not_one_is_asked_again(typed: str) -> None:
    assert parse_time(typed) is None


def test_a_time_typed_at_a_choice_of_times_picks_that_time() -> None:
    quiet = [Option("21:00", "21:00"), Option("22:00", "22:00"), Option("23:00", "23:00")]
    assert [match_choice(t, quiet) for t in ("22h", "10pm", "٢٢:٠٠", "23u", "1")] == [
        "22:00", "22:00", "22:00", "23:00", "21:00",
    ]  # fmt: skip


@pytest.mark.parametrize(("locale", "typed"), [("en", "30"), ("fa_AF", "۳۵"), ("ar", "٣٠")])
async def test_onboarding_takes_her_age_as_a_number(db: Database, clock: FakeClock, locale: str, typed: str) -> None:
    bot = Bot(db, clock)
    person_id, code = await bot.invite(locale=locale)
    phone = bot.phone(language_hint=locale.split("_")[0] if locale != "fa_AF" else "fa")
    await phone.send(f"/start {code}")
    await phone.send("1")  # her language, offered first
    await phone.send("1")  # consent: yes
    await phone.send("Amina")
    replies = await phone.send(typed)
    assert replies  # the next question, not the age question again
    async with db.reading() as session:
        profile = await session.get(Profile, person_id)
    assert profile is not None and profile.age_group == "25_40"
