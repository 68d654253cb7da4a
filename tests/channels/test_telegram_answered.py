"""The line Telegram shows under an answered question (issue 17 §2, decision 0021): several answers of an
Arabic-script question are joined with the Arabic comma and each isolated, never with a Latin ", "."""

from __future__ import annotations

from bot.channels.telegram.render import answered_line
from bot.core.i18n import isolate_problems


def test_several_arabic_answers_are_joined_the_arabic_way() -> None:
    line = answered_line(["العمل التطوعي", "دورة لغة"])
    assert "، " in line and ", " not in line
    assert not isolate_problems(line)


def test_several_pashto_answers_are_joined_the_arabic_way() -> None:
    line = answered_line(["رضاکاره کار", "د ژبې کورس"])
    assert "، " in line and ", " not in line


def test_latin_answers_keep_the_latin_comma_and_one_answer_stays_as_it_is() -> None:
    assert answered_line(["Vrijwilligerswerk", "Taalcursus"]) == "✔️ Vrijwilligerswerk, Taalcursus"
    assert answered_line(["العربية ✓"]) == "✔️ العربية ✓"
