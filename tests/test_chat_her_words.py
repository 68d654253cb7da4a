"""Issue 17 through ``trampoline chat``: in every language a new participant onboards and, in her check-in,
sends as her note the word that means "forget" in her language, alone. It is stored as her note (read back
with the key the chat used), she taps the first button of the question that follows ("No"), and she is still
there, active."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.core.crypto import Cipher
from bot.core.i18n import AUTONYMS
from tests.support.chat import CHECKIN, ONBOARDING, checkin_word
from tests.support.harness import conversations
from tests.support.her_words import representative

FLOWS, CATALOGS = conversations()


@pytest.mark.parametrize("locale", CATALOGS.available())
def test_her_forget_word_as_a_note_in_trampoline_chat(tmp_path: Path, locale: str) -> None:
    key = Fernet.generate_key().decode()
    (_, note), *_ = representative(FLOWS, CATALOGS, locale)  # her "forget" word, alone
    # Onboarding as in tests/test_chat.py, choosing her language by its name; then the check-in, where after
    # her note she is asked whether she also wanted to delete her data: "1" is "No".
    onboarding = [AUTONYMS[locale], *ONBOARDING[1:]]
    mood, steps, which, obstacles, _, contact = CHECKIN
    lines = [*onboarding, checkin_word(locale), mood, steps, which, obstacles, note, "1", contact]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--locale", locale],
        input="\n".join(line.replace("{name}", "Amina") for line in lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TRAMPOLINE_ENCRYPTION_KEYS": key},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    tr = CATALOGS.translations(locale)
    assert tr.gettext("Did you also want to delete all your data?") in done.stdout
    assert tr.gettext("Do you want your coach to contact you?") in done.stdout
    with sqlite3.connect(tmp_path / "var" / "demo.db") as database:  # a demo participant (decision 0027)
        person = database.execute("SELECT status, locale FROM people WHERE role = 'participant'").fetchone()
        (ciphertext,) = database.execute("SELECT note_ciphertext FROM checkins ORDER BY id DESC").fetchone()
    assert person == ("active", locale)
    assert Cipher([key]).decrypt(ciphertext) == note
