"""``trampoline chat`` with a scripted conversation piped in: onboarding and a check-in, end to end, through
the same inbox, engine and outbox as the platforms, on the demo database (decision 0027)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.chat import CHECKIN, ONBOARDING, checkin_word, piped_chat
from tests.support.harness import conversations

FLOWS, CATALOGS = conversations()


@pytest.mark.parametrize(
    ("locale", "name", "note"), [("ar", "أمينة", "سأبدأ دورة"), ("nl", "Amina", "Ik start een cursus")]
)
def test_a_piped_conversation_runs_onboarding_and_a_checkin(tmp_path: Path, locale: str, name: str, note: str) -> None:
    if locale not in CATALOGS.available():
        pytest.skip(f"no {locale} catalog")
    lines = [line.format(name=name, note=note) for line in [*ONBOARDING, checkin_word(locale), *CHECKIN]]
    done = piped_chat(tmp_path, "--locale", locale, lines=lines)
    assert done.returncode == 0, done.stderr
    tr = CATALOGS.translations(locale)
    out = done.stdout
    assert tr.gettext("Hello! 👋 Which language do you want to use?") in out
    assert tr.gettext("Do you want your coach to contact you?") in out
    assert "Sorry" not in out and tr.gettext(FLOWS.texts["reprompt_choice"]) not in out  # type: ignore[arg-type]
    with sqlite3.connect(tmp_path / "var" / "demo.db") as database:
        person = database.execute(
            "SELECT id, status, locale, display_name FROM people WHERE role = 'participant'"
        ).fetchone()
        checkin = database.execute(
            "SELECT mood, steps, obstacles, wants_contact, completed_at, note_ciphertext FROM checkins"
        ).fetchone()
        profile = database.execute(
            "SELECT age_group, has_children, single_parent, schooling, ever_paid_job, languages FROM profiles"
        ).fetchone()
    assert person[1:] == ("active", locale, name)
    mood, steps, obstacles, wants_contact, completed_at, note_ciphertext = checkin
    assert (mood, steps, obstacles, wants_contact) == (4, '["volunteer", "job"]', '["language"]', 0)
    assert completed_at is not None
    assert note not in note_ciphertext
    assert profile == ("25_40", 1, 1, "primary", 0, '["ar", "nl"]')
