"""Understanding what she typed: numbers in any script, labels in any case, with or without emoji."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.conversation.answers import (
    Option,
    match_choice,
    match_choices,
    parse_date,
    parse_number,
    parse_time,
    simplify,
)

MOODS = [
    Option("1", "Heel slecht", (), "😢"),
    Option("2", "Niet goed", (), "🙁"),
    Option("3", "Oké", (), "😐"),
    Option("4", "Goed", (), "🙂"),
    Option("5", "Heel goed", (), "😄"),
]
ARABIC = [Option("yes", "نعم", ("أيوه", "اه")), Option("no", "لا", ())]


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("4", "4"),
        (" 4 ", "4"),
        ("٤", "4"),  # Arabic-Indic digit
        ("۴", "4"),  # Persian digit
        ("goed", "4"),
        ("GOED", "4"),
        ("🙂 Goed", "4"),
        ("goed!", "4"),
        ("🙂", "4"),
        ("😄", "5"),
        ("heel goed", "5"),
        ("oke", None),  # close is not the same: she is asked again rather than guessed for
        ("Oké", "3"),
        ("6", None),
        ("0", None),
        ("", None),
        ("🤷", None),
    ],
)
def test_a_choice_by_number_label_or_emoji(typed: str, value: str | None) -> None:
    assert match_choice(typed, MOODS) == value


def test_arabic_labels_and_words_with_diacritics_and_tatweel() -> None:
    assert match_choice("نَعَم", ARABIC) == "yes"
    assert match_choice("نعـــم", ARABIC) == "yes"
    assert match_choice("أيوه", ARABIC) == "yes"
    assert match_choice("لا", ARABIC) == "no"
    assert match_choice("١", ARABIC) == "yes"


@pytest.mark.parametrize(
    ("typed", "values"),
    [
        ("1 3 5", ["1", "3", "5"]),
        ("1,3", ["1", "3"]),
        ("١، ٣", ["1", "3"]),
        ("goed, heel goed", ["4", "5"]),
        ("heel goed", ["5"]),
        ("3 3", ["3"]),
        ("1 9", None),
        ("goed, bananen", None),
    ],
)
def test_several_choices(typed: str, values: list[str] | None) -> None:
    assert match_choices(typed, MOODS) == values


def test_simplify_keeps_letters_of_every_script() -> None:
    assert simplify("  Ça VA? ") == "ça va"
    assert simplify("ትግርኛ") == "ትግርኛ"
    assert simplify("دری") == "دری"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("9", time(9, 0)), ("09:30", time(9, 30)), ("21h", time(21, 0)), ("21h15", time(21, 15)), ("٩:٣٠", time(9, 30))],
)
def test_times(typed: str, expected: time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "9:75", "noon", ""])
def test_not_times(typed: str) -> None:
    assert parse_time(typed) is None


def test_dates_and_numbers() -> None:
    assert parse_date("2026-12-01") == date(2026, 12, 1)
    assert parse_date("1/12/2026") == date(2026, 12, 1)
    assert parse_date("31/02/2026") is None
    assert parse_date("tomorrow") is None
    assert parse_number("٣") == 3
    assert parse_number("2,5") == 2.5
    assert parse_number("two") is None
