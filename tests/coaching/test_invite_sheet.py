"""``trampoline invite sheet``: the printed page a coach hands over. The QR code, the link and the code, three
lines in HER language (Arabic shaped and right to left, Tigrinya in Ethiopic script) and in the staff's Dutch
and French; without a chat app connected, the way to try the invite on this computer instead."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from bot.core.i18n import Catalogs
from bot.core.paths import project_root
from tests.support.cli import Trampoline
from tests.support.invites import invite_id, listed, organisation_with_invites

GOOD_TOKEN = "123456:AAFakeTokenForTestsOnly_abcdefghij"
TELEGRAM = {"TELEGRAM_BOT_TOKEN": GOOD_TOKEN, "TELEGRAM_BOT_USERNAME": "FoyerBot"}
SCAN = "Scan the square with your phone's camera, or open the link."
ASK = "We will show you which chat app to open."
TRY_HERE = "No chat app is connected yet. To try the invite on this computer: {command}"


@pytest.fixture
def trampoline(database_url: str) -> Trampoline:
    return Trampoline(database_url)


def said(locale: str, msgid: str) -> str:
    return Catalogs(project_root() / "locales").translations(locale).gettext(msgid)


def read_back(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True).stdout
    return " ".join(text.decode("utf-8").split())


def bare(text: str) -> str:
    """Text without vowel marks and direction marks, which pdftotext moves around in Arabic."""
    return "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))


def has_words_of(line: str, text: str) -> bool:
    """Every word of ``line`` is in ``text`` (pdftotext orders right-to-left words in its own way)."""
    found = set(re.findall(r"\w+", bare(text)))
    return set(re.findall(r"\w+", bare(line))) <= found


def inked_share(pdf: Path, tmp_path: Path) -> float:
    """The share of the page's pixels that are not white, rasterised at 60 dpi."""
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page.png") as page:
        assert page.width in (496, 497) and page.height == 702  # A4 at 60 dpi: one page
        grey = page.convert("L")
        dark = sum(grey.histogram()[:200])
        return dark / (grey.width * grey.height)


def test_a_sheet_for_an_arabic_participant_has_the_qr_the_link_and_her_lines(
    trampoline: Trampoline, tmp_path: Path
) -> None:
    made = organisation_with_invites(trampoline, locale="ar", **TELEGRAM)
    pdf = tmp_path / "amina.pdf"
    amina = str(invite_id(trampoline, made["amina"]["person_id"]))
    printed = trampoline("invite", "sheet", amina, "--out", str(pdf), **TELEGRAM)
    assert str(pdf) in printed.stdout
    text = read_back(pdf)
    code = made["amina"]["code"]
    assert code in text and f"https://t.me/FoyerBot?start={code}" in text
    for locale in ("nl", "fr"):
        assert said(locale, SCAN) != SCAN and said(locale, SCAN) in text, locale
    assert said("ar", SCAN) != SCAN and has_words_of(said("ar", SCAN), text)
    assert "trampoline chat" not in text  # a chat app is connected: nothing to try locally
    assert inked_share(pdf, tmp_path) > 0.03  # the QR code alone covers more


def test_a_sheet_for_a_tigrinya_participant_without_a_chat_app_says_how_to_try_it_here(
    trampoline: Trampoline, tmp_path: Path
) -> None:
    made = organisation_with_invites(trampoline, locale="ti")
    pdf = tmp_path / "ti.pdf"
    sheet_id = str(invite_id(trampoline, made["amina"]["person_id"]))
    trampoline("invite", "sheet", sheet_id, "--out", str(pdf), "--lang", "fr", TRAMPOLINE_SIMULATOR="on")
    text = read_back(pdf)
    code = made["amina"]["code"]
    assert f"trampoline chat --invite {code}" in text
    assert "http://127.0.0.1:8080/simulator" in text
    assert said("ti", ASK) != ASK and said("ti", ASK) in text
    assert said("fr", ASK) in text and said("nl", ASK) not in text  # --lang fr: the staff read French
    assert said("fr", TRY_HERE) != TRY_HERE and said("fr", TRY_HERE).split("{")[0].strip() in text
    assert inked_share(pdf, tmp_path) > 0.005


def test_a_sheet_is_only_for_a_pending_invite_and_refuses_in_one_line(trampoline: Trampoline, tmp_path: Path) -> None:
    made = organisation_with_invites(trampoline)
    amina = str(invite_id(trampoline, made["amina"]["person_id"]))
    out = str(tmp_path / "sheet.pdf")
    assert "no invite with id 999" in trampoline.error("invite", "sheet", "999", "--out", out)
    trampoline("invite", "revoke", amina)
    assert "revoked" in trampoline.error("invite", "sheet", amina, "--out", out)
    assert not Path(out).exists()
    coach = str(invite_id(trampoline, made["coach"]["person_id"]))
    assert "cannot write" in trampoline.error("invite", "sheet", coach, "--out", str(tmp_path / "no" / "x.pdf"))
    assert trampoline("invite", "sheet", coach, "--out", out, "--lang", "de", code=2).exit_code == 2
    assert len(listed(trampoline)) == 2
