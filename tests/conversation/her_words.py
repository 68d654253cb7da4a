"""The corpus of ordinary notes that hold command words (issue 17), made from the catalogs' command words and
the sentence frames of tests/data/her_words_frames.yaml, and a check-in that sends one as her note."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.conversation.answers import simplify
from bot.conversation.flows import FlowSet
from bot.core.i18n import Catalogs

FRAMES = Path(__file__).parent.parent / "data" / "her_words_frames.yaml"


def command_words(flows: FlowSet, catalogs: Catalogs, locale: str) -> list[tuple[str, bool]]:
    """Every word that runs a command for a participant in ``locale``, once each, and whether it is her
    language's own word (the catalog's) rather than an English one (which works in every language)."""
    tr = catalogs.translations(locale)
    found: dict[str, tuple[str, bool]] = {}
    for command in flows.commands:
        if command.roles and "participant" not in command.roles:
            continue  # a coach's tool: for her it is just a word
        own = command.words.split("|") if locale == "en" else tr.pgettext("command", command.words).split("|")
        for word in own:
            if simplify(word):
                found.setdefault(simplify(word), (word, True))
        for word in command.words.split("|"):
            if simplify(word):
                found.setdefault(simplify(word), (word, False))
    return list(found.values())


def corpus(flows: FlowSet, catalogs: Catalogs, locale: str) -> list[tuple[str, str]]:
    """(how, note): each command word of her language alone, starting a note and inside one; each English
    command word alone (the English words work in every language; inside her language's sentences they are
    rare, and they are tested in all three places in English)."""
    frames = yaml.safe_load(FRAMES.read_text(encoding="utf-8"))[locale]
    notes: list[tuple[str, str]] = []
    for number, (word, own) in enumerate(command_words(flows, catalogs, locale)):
        notes.append(("alone", word))
        if own:
            notes.append(("first", frames["first"][number % len(frames["first"])].format(word=word)))
            notes.append(("inside", frames["inside"][number % len(frames["inside"])].format(word=word)))
    return notes


NOTE_STEP = "note"


def first_word(flows: FlowSet, catalogs: Catalogs, locale: str, command: str) -> str:
    source = next(c.words for c in flows.commands if c.name == command)
    words = source if locale == "en" else catalogs.translations(locale).pgettext("command", source)
    return words.split("|")[0]


def representative(flows: FlowSet, catalogs: Catalogs, locale: str) -> list[tuple[str, str]]:
    """Three notes of the corpus for the slower paths (chat, a platform): her "forget" word alone, a note that
    starts with her "start" word, and one with her "stop" word inside."""
    frames = yaml.safe_load(FRAMES.read_text(encoding="utf-8"))[locale]
    return [
        ("alone", first_word(flows, catalogs, locale, "forget")),
        ("first", frames["first"][0].format(word=first_word(flows, catalogs, locale, "start"))),
        ("inside", frames["inside"][0].format(word=first_word(flows, catalogs, locale, "stop"))),
    ]
