"""Every word a help text tells her to send is a command word of her language: a help that advertises a word
the bot does not know (or one that was taken away because it is an everyday answer) sends her into a wall."""

from __future__ import annotations

import pytest

from bot.conversation.wording import GenderedText, address_contexts, addressee
from tests.support.harness import conversations

HELP_FLOWS = ("help", "coach_help", "buddy_help")


def folded(word: str, locale: str) -> str:
    """Case-folded as her language does it: Turkish capitals İ and I are i and ı."""
    if locale == "tr":
        word = word.replace("İ", "i").replace("I", "ı")
    return word.strip().casefold()


@pytest.mark.parametrize("locale", ["en", "ar", "fa_AF", "fr", "nl", "ps", "ru", "so", "ti", "tr", "uk"])
def test_each_word_a_help_text_names_is_a_command_word_in_her_language(locale: str) -> None:
    flows, catalogs = conversations()
    tr = catalogs.translations(locale)
    known: set[str] = set()
    for command in flows.commands:
        known |= {folded(w, locale) for w in command.words.split("|")}
        known |= {folded(w, locale) for w in tr.pgettext("command", command.words).split("|")}
    for name in HELP_FLOWS:
        (step,) = [s for s in flows.flow(name).steps if s.id == "explain"]
        to = addressee(name)  # coach_help is addressed to a coach: each address names the same words
        said = step.say
        # help speaks of her coach: each of her coach's genders names the same words
        msgid, contexts = (
            (said.text, [None, *said.contexts()]) if isinstance(said, GenderedText) else (str(said), [None])
        )
        for context in address_contexts(to) if to else contexts:
            shown = tr.pgettext(context, msgid) if context else tr.gettext(msgid)
            named = [line.split(" – ", 1)[0] for line in shown.split("\n") if " – " in line]
            assert len(named) >= 7, (name, shown)
            unknown = [word for word in named if folded(word, locale) not in known]
            assert unknown == [], (name, locale, context, unknown)
