"""Her certificate of volunteer work (issue 21): ``certificate`` in the chat and ``trampoline certificate``. One
A4 page in the staff's language and hers, side by side: each place with its dates and hours, the hours she
reported, the total, her coach and the date; Arabic shaped right to left, Tigrinya in Ethiopic script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.coaching.certificate import certificate_facts, certificate_pdf
from bot.coaching.texts import texts_for
from bot.core.clock import FakeClock
from bot.core.i18n import Catalogs
from bot.core.paths import project_root
from bot.db.engine import Database
from bot.db.models import Milestone, MilestoneSource, ShiftStatus, VolunteerShift
from tests.support.cli import Trampoline
from tests.support.invites import organisation_with_invites
from tests.support.programme import Programme

TITLE = "Certificate of volunteer work"
OTHER = "Other volunteer work"
NONE_YET = "You have no volunteer hours yet. After your first volunteer shift, you can get your certificate here."


def said(locale: str, msgid: str) -> str:
    return Catalogs(project_root() / "locales").translations(locale).gettext(msgid)


def read_back(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True).stdout
    return " ".join(text.decode("utf-8").split())


def bare(text: str) -> str:
    """Without vowel marks and direction marks, which pdftotext moves around in Arabic."""
    return "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", bare(text)))


def page_png(pdf: Path, out: Path) -> Path:
    """The page rasterised at 60 dpi; it is one A4 page with ink on it."""
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(out)], check=True)
    png = out.with_suffix(".png")
    with Image.open(png) as page:
        assert page.width in (496, 497) and page.height == 702
        grey = page.convert("L")
        assert sum(grey.histogram()[:200]) / (grey.width * grey.height) > 0.005
    return png


async def her_year(p: Programme, name: str, locale: str) -> int:
    """A participant with 2 shifts at the food bank (3 h each), 1 at the library (1 h 30), one no-show, and
    4 hours she reported herself."""
    coach = await p.coach("Sara")
    her = await p.participant(name, locale, coach)
    start = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
    async with p.db.transaction() as session:
        for place, days, length, status in (
            ("Voedselbank Deurne", 0, 180, ShiftStatus.ATTENDED),
            ("Voedselbank Deurne", 28, 180, ShiftStatus.ATTENDED),
            ("Bibliotheek Permeke", 14, 90, ShiftStatus.ATTENDED),
            ("Bibliotheek Permeke", 21, 90, ShiftStatus.NO_SHOW),
        ):
            at = start + timedelta(days=days)
            session.add(
                VolunteerShift(
                    participant_id=her, place=place, address="-", starts_at=at, ends_at=at + timedelta(minutes=length),
                    status=status, created_at=p.clock.now(),
                )
            )  # fmt: skip
        session.add(
            Milestone(
                participant_id=her, code="volunteer_hours", achieved_on=date(2026, 10, 1), minutes=240,
                source=MilestoneSource.HER, created_at=p.clock.now(),
            )
        )  # fmt: skip
    return her


@pytest.mark.parametrize("locale", ["ar", "nl"])
async def test_she_asks_for_her_certificate_and_gets_a_pdf_in_dutch_and_her_language(
    db: Database, clock: FakeClock, locale: str, tmp_path: Path
) -> None:
    p = Programme(db, clock)
    her = await her_year(p, "Amina", locale)
    got = await p.phone(her).send("certificate")
    assert said(locale, "🌟 Here is your certificate of volunteer work. You can show it to an employer.") in got[0].text
    document = got[-1]
    assert document.document_name == "certificate.pdf" and document.document_bytes is not None
    assert document.document_bytes.startswith(b"%PDF")
    assert said(locale, "📎 Your certificate of volunteer work, in a file:") in document.text
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(document.document_bytes)
    text = read_back(pdf)
    # Dutch (the organisation's language), then hers (English when hers is Dutch).
    second = "en" if locale == "nl" else locale
    for shown in ("nl", second):
        assert said(shown, TITLE) != TITLE or shown == "en"
        assert words(said(shown, TITLE)) <= words(text), shown
        assert words(said(shown, OTHER)) <= words(text), shown
    assert "Amina" in text and "Foyer" in text and "Sara" in text
    assert "Voedselbank Deurne" in text and "Bibliotheek Permeke" in text
    # 6 h at the food bank, 1,5 h at the library, 4 h reported: 11,5 h in all (the no-show does not count).
    assert "11,5" in text and "1,5" in text and "11.5" in text
    if locale == "ar":
        # Right to left, in logical order: each Arabic word reads as written, not reversed.
        title = bare(said("ar", TITLE)).split()
        assert all(word in bare(text) for word in title), text
        assert not any(word[::-1] in bare(text) for word in title if len(word) > 2)
        png = page_png(pdf, tmp_path / "certificate-ar")
        if os.environ.get("TRAMPOLINE_WRITE_DOC_IMAGES"):  # the picture in docs/, renewed on purpose only
            shutil.copy(png, project_root() / "docs" / "images" / "certificate-ar.png")
    else:
        page_png(pdf, tmp_path / f"certificate-{locale}")


async def test_without_volunteer_hours_she_is_told_how_she_gets_one(db: Database, clock: FakeClock) -> None:
    p = Programme(db, clock)
    coach = await p.coach()
    for locale in ("ar", "fr"):
        her = await p.participant(f"Sahra-{locale}", locale, coach)
        got = await p.phone(her).send("certificate")
        assert [m.text for m in got] == [said(locale, NONE_YET)] and got[-1].document_bytes is None


async def test_a_tigrinya_certificate_in_french_with_the_skills_her_coach_confirms(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    p = Programme(db, clock)
    her = await her_year(p, "Selam", "ti")
    async with p.db.reading() as session:
        facts = await certificate_facts(session, her, clock.now())
    assert [(place.name, place.first, place.last, place.minutes) for place in facts.places] == [
        ("Voedselbank Deurne", date(2026, 9, 7), date(2026, 10, 5), 360),
        ("Bibliotheek Permeke", date(2026, 9, 21), date(2026, 9, 21), 90),
    ]
    assert (facts.other_minutes, facts.total_minutes) == (240, 690)
    pdf = tmp_path / "ti.pdf"
    pdf.write_bytes(certificate_pdf(facts, texts_for(p.bot.service), "fr", "Sorting food, serving customers"))
    text = read_back(pdf)
    assert said("ti", TITLE) in text and said("fr", TITLE) in text and said("nl", TITLE) not in text
    assert "Sorting food, serving customers" in text and "11,5" in text
    assert "5 octobre 2026" in text  # her last shift at the food bank, in French
    page_png(pdf, tmp_path / "certificate-ti")


def test_the_command_writes_the_page_and_refuses_in_one_line(database_url: str, tmp_path: Path) -> None:
    trampoline = Trampoline(database_url)
    made = organisation_with_invites(trampoline, locale="ar")
    amina = str(made["amina"]["person_id"])
    out = tmp_path / "amina.pdf"
    printed = trampoline("certificate", "--person", amina, "--out", str(out), "--lang", "fr", "--skills", "Accueil")
    assert str(out) in printed.stdout
    text = read_back(out)
    assert words(said("ar", TITLE)) <= words(text) and said("fr", TITLE) in text and "Accueil" in text
    assert "no participant with id 999" in trampoline.error("certificate", "--person", "999", "--out", str(out))
    coach = str(made["coach"]["person_id"])
    assert "no participant" in trampoline.error("certificate", "--person", coach, "--out", str(out))
    assert "cannot write" in trampoline.error("certificate", "--person", amina, "--out", str(tmp_path / "no" / "x.pdf"))
