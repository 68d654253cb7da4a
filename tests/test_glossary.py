"""The glossary's chosen word is the word the catalogs use, and the reviewer's flagged wordings stay fixed."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["ar", "fa_AF", "fr", "nl", "ps", "ru", "so", "ti", "tr", "uk"]
# The English a term is said with, as a noun ("your coach", not "the women you coach").
NOUN = {
    "coach": r"\b(your|the|a|her|my) coach(es)?\b",
    "buddy": r"\b(your|the|a|her) budd(y|ies)\b",
    "volunteer work": r"\bvolunteer (work|shift)",
    "shift": r"\b(a|your|the|her) shifts?\b",
}


def _glossary() -> dict[str, dict[str, str]]:
    with (ROOT / "locales" / "GLOSSARY.csv").open(encoding="utf-8") as handle:
        return {row["term"]: row for row in csv.DictReader(handle)}


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_the_glossary_holds_every_term_for_every_language() -> None:
    glossary = _glossary()
    for term in ("coach", "buddy", "volunteer work", "shift", "check-in", "step to work"):
        assert term in glossary, term
        assert glossary[term]["meaning"], term
        for locale in LOCALES:
            assert glossary[term][locale].strip(), f"{term}: no word for {locale}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("term", sorted(NOUN))
def test_the_chosen_word_is_used_wherever_the_term_is(locale: str, term: str) -> None:
    word = _glossary()[term][locale].lower()
    off = [
        message.string
        for message in _catalog(locale)
        if isinstance(message.id, str)
        and message.context not in ("command", "words")
        and re.search(NOUN[term], message.id, re.IGNORECASE)
        and word not in str(message.string).lower()
    ]
    assert not off, f"{locale}: {term!r} is not {word!r} in {off}"


@pytest.mark.parametrize("locale", LOCALES)
def test_met_buddy_or_women_keeps_both_meanings(locale: str) -> None:
    label = str(_catalog(locale).get("Met buddy or women").string).lower()
    assert _glossary()["buddy"][locale].lower() in label, label


def test_the_flagged_wordings_stay_fixed() -> None:
    childcare = str(_catalog("so").get("Working with children").string)
    assert "shaqo carruur" not in childcare.lower()  # reads as "child labour"
    level = str(_catalog("ar").get("How well do you speak Dutch or French?").string)
    assert not level.startswith("هل"), level  # a yes/no question over a scale of buttons


@pytest.mark.parametrize("locale", ["fr", "ru", "uk", "nl"])
def test_a_loanword_buddy_is_explained_in_the_first_message_that_uses_it(locale: str) -> None:
    # The buddy match question is the first text a participant gets that says "buddy".
    question = next(
        m for m in _catalog(locale) if isinstance(m.id, str) and m.id.startswith("👭 Your coach found a buddy")
    )
    word = _glossary()["buddy"][locale].lower()
    explanation = str(question.string).lower().split("\n\n")[-1]
    assert explanation.startswith(("une " + word, word, "een " + word)), explanation
