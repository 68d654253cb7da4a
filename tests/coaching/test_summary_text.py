"""The weekly summary read the way a coach reads it in a minute: the week as dates, notes one per line under
the woman's name (whatever the direction of her name), women by their name even before they are on the bot,
namesakes told apart, a single very bad mood on the attention list, and no stray spaces; in Dutch and in
Arabic, as text and as HTML."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from bot.coaching.summary import CoachSummary, ParticipantWeek, collect
from bot.coaching.summary_text import render_html, render_lines, shown_names
from bot.coaching.texts import CoachTexts
from bot.core import i18n
from bot.core.clock import FakeClock
from bot.db.engine import Database
from bot.db.models import PersonStatus
from tests.support.harness import Bot, conversations
from tests.support.summary_week import checkin, coach_speaks, note_only, woman

FRIDAY = datetime(2026, 12, 11, 14, 0, tzinfo=UTC)  # week 2026-W50: Monday 7 to Sunday 13 December
EARLY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FSI, PDI = i18n.FIRST_STRONG_ISOLATE, i18n.POP_DIRECTIONAL_ISOLATE
AMINA, MARYAM = "أمينة", "مريم"


async def caseload_week(bot: Bot, locale: str) -> int:
    """Sara's caseload in week 2026-W50: an Arabic name with two notes, two Fatimas with family names, two
    Maryams invited on different days (no family name), a woman invited without a name, and Hana, whose
    only bad week is this one (mood 1)."""
    sara = await coach_speaks(bot, locale)
    amina = await woman(bot, AMINA, invited=EARLY, last_contact=FRIDAY)
    fatima_a = await woman(bot, "Fatima Ahmadi", invited=EARLY, last_contact=FRIDAY)
    await woman(bot, "Fatima Bakri", invited=EARLY, last_contact=FRIDAY - timedelta(days=1))
    hana = await woman(bot, "Hana", invited=EARLY, last_contact=FRIDAY)
    await woman(bot, MARYAM, status=PersonStatus.INVITED, invited=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    await woman(bot, MARYAM, status=PersonStatus.INVITED, invited=datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
    await woman(bot, None, status=PersonStatus.INVITED, invited=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    await checkin(bot, amina, "2026-W49", FRIDAY - timedelta(days=7), 3, ["none"], ["none"])
    await checkin(bot, amina, "2026-W50", FRIDAY - timedelta(days=1), 4, ["volunteer"], ["language"], note="voice")
    await note_only(bot, amina, "2026-W50", FRIDAY, "text")
    await checkin(bot, fatima_a, "2026-W50", FRIDAY, 3, ["none"], ["none"])  # her first: no trend yet
    await checkin(bot, hana, "2026-W49", FRIDAY - timedelta(days=7), 4, ["job"], ["none"])
    await checkin(bot, hana, "2026-W50", FRIDAY, 1, ["none"], ["none"])
    return sara


def _rtl(name: str) -> str:
    return f"{FSI}{name}{PDI}"


EXPECTED_NL = [
    "📋 Jouw week 7–13 dec: 7 vrouwen",
    "",
    "Eerst aandacht nodig:",
    "😢 Hana: stemming heel laag deze week (1 op 5).",
    "",
    "Iedereen:",
    "✅ Fatima A.: stemming 😐 3, 0 stappen",
    "⬜ Fatima B.: geen check-in deze week",
    "✅ Hana: stemming 😢 1 ↓, 0 stappen",
    f"✅ {_rtl(AMINA)}: stemming 🙂 4 ↑, 1 stap, moeilijk: 💬 Taal",
    f"✉️ {_rtl(MARYAM)} (uitgenodigd 3 dec): nog niet op de bot",
    f"✉️ {_rtl(MARYAM)} (uitgenodigd 5 dec): nog niet op de bot",
    "✉️ nog geen naam, uitgenodigd 1 dec: nog niet op de bot",
    "",
    "📝 Notities deze week:",
    f"{_rtl(AMINA)}:",
    "🎤 een spraakbericht",
    "💬 een geschreven bericht",
    "",
    "Alles samen:",
    "Check-ins: 3 van 7",
    "Stappen: 🤝 Vrijwilligerswerk 1",
    "Meest genoemde obstakels: 💬 Taal (1)",
]


def _no_stray_spaces(lines: list[str]) -> None:
    for line in lines:
        assert "  " not in line, line
        assert not re.search(r"\s[,،]", line), line
        assert line == line.strip(), line
        assert i18n.isolate_problems(line) == [], line


async def test_the_dutch_summary_names_every_woman_and_lists_notes_under_her_name(
    db: Database, clock: FakeClock
) -> None:
    bot = Bot(db, clock)
    sara = await caseload_week(bot, "nl")
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    lines = render_lines(texts, summary)
    assert lines == EXPECTED_NL
    _no_stray_spaces(lines)


async def test_the_arabic_summary_has_the_same_women_apart_and_every_name_isolated(
    db: Database, clock: FakeClock
) -> None:
    bot = Bot(db, clock)
    sara = await caseload_week(bot, "ar")
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    lines = render_lines(texts, summary)
    _no_stray_spaces(lines)
    text = "\n".join(lines)
    assert "W50" not in text and "#" not in text
    assert f"{FSI}7–13 ديسمبر{PDI}" in lines[0]
    assert len(lines) == len(EXPECTED_NL)
    # The same women in the same places as in Dutch.
    for mine, dutch in zip(lines, EXPECTED_NL, strict=True):
        for name in ("Hana", "Fatima A.", "Fatima B.", AMINA, MARYAM):
            assert (name in mine) == (name in dutch), (mine, dutch)
    assert lines[3].startswith("😢") and "Hana" in lines[3]
    maryams = [line for line in lines if MARYAM in line]
    assert len(maryams) == 2 and maryams[0] != maryams[1]
    assert "3 ديسمبر" in maryams[0] and "5 ديسمبر" in maryams[1]
    notes = 14  # the notes' title, as in Dutch
    assert AMINA in lines[notes + 1]
    assert lines[notes + 2].startswith("🎤") and lines[notes + 3].startswith("💬")
    assert all(FSI + "Fatima" in line for line in lines if "Fatima" in line)


async def test_the_html_summary_shows_the_same_lines_with_the_week_as_dates(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    sara = await caseload_week(bot, "ar")
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    page = render_html(texts, summary)
    assert 'dir="rtl"' in page
    assert "W50" not in page
    assert "<title>" in page and "7–13 ديسمبر" in page.split("<title>")[1].split("</title>")[0]
    for line in render_lines(texts, summary):
        if line:
            assert f"<p>{html.escape(line)}</p>" in page
    assert "data:image/png;base64," in page


async def test_a_single_very_bad_mood_is_on_the_attention_list_with_its_reason(db: Database, clock: FakeClock) -> None:
    bot = Bot(db, clock)
    sara = await coach_speaks(bot, "en")
    hana = await woman(bot, "Hana", invited=EARLY, last_contact=FRIDAY)
    await checkin(bot, hana, "2026-W50", FRIDAY, 1, ["none"], ["none"])  # her very first check-in
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    lines = render_lines(texts, summary)
    assert lines[2:4] == ["Needs you first:", "😢 Hana: very low mood this week (1 of 5)."]


def _named(*people: tuple[str | None, int]) -> dict[int, str]:
    """How ``shown_names`` names women called ``name`` invited on day ``day`` of December 2026 (nl)."""
    bot_flows, catalogs = conversations()
    women = [
        ParticipantWeek(pid, name, PersonStatus.ACTIVE, datetime(2026, 12, day, 10, 0, tzinfo=UTC))
        for pid, (name, day) in enumerate(people, start=1)
    ]
    summary = CoachSummary(1, "Sara", "nl", "Europe/Brussels", "2026-W50", FRIDAY, [], women)
    return shown_names(CoachTexts(bot_flows, catalogs), summary)


def test_namesakes_are_told_apart_by_the_family_initial_then_the_full_name_then_the_invite_day() -> None:
    assert _named(("Fatima al-Hassan", 1), ("Fatima Bakri", 2), ("Hana Idrissi", 3)) == {
        1: "Fatima H.",
        2: "Fatima B.",
        3: "Hana",
    }
    assert _named(("Fatima Ahmadi", 1), ("Fatima Alaoui", 2)) == {1: "Fatima Ahmadi", 2: "Fatima Alaoui"}
    assert _named(("Fatima", 1), ("Fatima", 4)) == {1: "Fatima (uitgenodigd 1 dec)", 2: "Fatima (uitgenodigd 4 dec)"}
    same_day = _named(("Fatima", 2), ("Fatima", 2), (None, 2))
    assert len(set(same_day.values())) == 3
    assert same_day[3] == "nog geen naam, uitgenodigd 2 dec"
