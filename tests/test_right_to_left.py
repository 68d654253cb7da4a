"""Shown right in right-to-left languages: every text the bot can send, rendered in ar, fa_AF and ps with
realistic values, has balanced directional isolates (each opened isolate closed on its own line, no stray
U+2069); her data summary too, as she gets it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversation.check import Msgid, label_slots, sendable_texts, template_msgids
from bot.conversation.interpreter import Message
from bot.conversation.render import Renderer
from bot.conversation.wording import PluralText
from bot.core import i18n
from bot.core.channel import Channel
from bot.core.paths import project_root
from bot.db.models import ConsentKind, ConsentRecord, Person
from bot.translation.extract import extract_catalog
from tests.support.harness import Bot, conversations
from tests.support.locales import _check, _copy_locales, _edit
from tests.support.privacy import checkin_with_note, linked

FLOWS, CATALOGS = conversations()
RENDERER = Renderer(FLOWS, CATALOGS)
RIGHT_TO_LEFT = ["ar", "fa_AF", "ps"]
TEXTS: list[Msgid] = sendable_texts(FLOWS, template_msgids(extract_catalog(project_root())))
SENT = [text for text in TEXTS if text[2] is None]  # command and answer words are understood, not sent

# What the placeholders hold when the bot fills them in: names as people write them (Latin or their own
# script), numbers, dates, lists, links and codes, and the multi-line blocks the actions compose.
BLOCK = "• Amina: 😊 4\n• هانا: 😐 3\n• Sara (Foyer): 25/12/2026"
VALUES: dict[str, Any] = {
    "name": "Amina",
    "other_name": "هانا",
    "coach": "Sara",
    "buddy": "Fatima Z.",
    "organisation": "Foyer Brussel",
    "code": "K7M2QX",
    "link": "https://t.me/trampoline_bot?start=K7M2QX",
    "count": 3,
    "days": 12,
    "done": 5,
    "held": "Amina: 5/1/2027",
    "steps_total": 7,
    "steps": 2,
    "participants": 8,
    "week": "2026-W48",
    "mood": "😊",
    "trend": "↗",
    "status": "🟢",
    "last": date(2026, 11, 20),
    "date": "3 dec",
    "until": date(2027, 1, 5),
    "paused_until": date(2027, 1, 5),
    "meet_by": date(2026, 12, 14),
    "meeting_when": datetime(2026, 12, 14, 15, 0),
    "when": datetime(2026, 12, 2, 9, 0),
    "shift_when": datetime(2026, 12, 2, 9, 0),
    "place": "Kringwinkel Anderlecht",
    "shift_place": "Kringwinkel Anderlecht",
    "shift_address": "Bergensesteenweg 45, 1070 Anderlecht",
    "shift_contact": "+32 470 12 34 56",
    "other_contact": "@hana_b",
    "other_region": "Brussel",
    "other_languages": ["العربية", "Français"],
    "other_interests": ["🍳 Koken", "🚶 Wandelen"],
    "names": ["Amina", "هانا", "Sara"],
    "steps_labels": ["💼 Werk", "📚 Taal"],
    "obstacles": ["🚌 Vervoer", "👶 Kinderopvang"],
    "query": "Amina",
    "start": date(2026, 1, 10),
    "end": date(2027, 1, 10),
    "shifts": 4,
    "milestone": "📄 CV klaar",
    "milestones": "📄 CV klaar, 🤝 Sollicitatiegesprek",
    "summary": BLOCK,
    "her_steps": "🌟 Your steps:\n🤝 3 volunteer shifts\n📚 Began language class",
    "hours": 12,
    "data_summary": BLOCK,
    "details": BLOCK,
    "caseload": BLOCK,
    "invite_text": "https://t.me/trampoline_bot?start=K7M2QX\n\nK7M2QX",
    "language_hint": "ar",
    "command": "trampoline chat --invite K7M2QX",
    "address": "http://127.0.0.1:8080/simulator",
    # The programme report's (written in nl, fr or en; its catalog entries are checked all the same).
    "day": date(2026, 12, 31),
    "period": "1 January – 31 December 2026",
    "minimum": 5,
    "mark": "<5",
}


def _rendered(text: Msgid, locale: str) -> list[str]:
    msgid, plural, _ = text
    if plural is None:
        return [RENDERER.text(msgid, locale, VALUES)]
    return [
        RENDERER.text(PluralText(singular=msgid, plural=plural, count="count"), locale, {**VALUES, "count": n})
        for n in (0, 1, 2, 3, 11, 100)
    ]


def test_the_values_fill_every_placeholder() -> None:
    import string

    names = {n for m, p, _ in SENT for t in (m, p) if t for _, n, _, _ in string.Formatter().parse(t) if n}
    assert names <= set(VALUES), sorted(names - set(VALUES))


@pytest.mark.parametrize("locale", RIGHT_TO_LEFT)
def test_every_text_has_balanced_isolates(locale: str) -> None:
    problems = []
    for text in SENT:
        for shown in _rendered(text, locale):
            problems += [f"{text[0][:50]!r}: {p}" for p in i18n.isolate_problems(shown)]
    for slot in label_slots(FLOWS):
        label = slot.msgid if not slot.translate else CATALOGS.translations(locale).gettext(slot.msgid)
        problems += [f"button {slot.msgid!r}: {p}" for p in i18n.isolate_problems(slot.shown(label))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", RIGHT_TO_LEFT)
def test_every_text_uses_arabic_script_punctuation(locale: str) -> None:
    """No Latin "," or ";" outside what was filled in (an address keeps its own comma, in its isolate)."""
    latin = []
    for text in SENT:
        for shown in _rendered(text, locale):
            if i18n.latin_punctuation(shown):
                latin.append(shown)
    for slot in label_slots(FLOWS):
        if slot.translate and i18n.latin_punctuation(CATALOGS.translations(locale).gettext(slot.msgid)):
            latin.append(slot.msgid)
    assert not latin, latin


@pytest.mark.parametrize("locale", RIGHT_TO_LEFT)
def test_every_left_to_right_run_is_isolated_whole(locale: str) -> None:
    """A time range or numbers in a row ("21:00 - 08:00", "1 3") in a right-to-left text or button is one
    left-to-right isolate, or the line shows it back to front."""
    left = []
    for text in SENT:
        for shown in _rendered(text, locale):
            left += [(text[0][:50], run) for run in i18n.unisolated_ltr_runs(shown)]
    for step in (s for flow in FLOWS.flows.values() for s in flow.steps if s.ask in ("choice", "multi")):
        message = Message(text=step.text or "", step=step.id, choices=tuple(FLOWS.choices(step)))
        for button in RENDERER.message(message, locale, VALUES).buttons:
            left += [(button.label, run) for run in i18n.unisolated_ltr_runs(button.label)]
    assert not left, left


@pytest.mark.parametrize("locale", [*RIGHT_TO_LEFT, "nl"])
def test_quiet_hours_are_one_left_to_right_unit_in_right_to_left_languages(locale: str) -> None:
    step = FLOWS.flow("onboarding").step("quiet_hours")
    shown = RENDERER.message(
        Message(text=step.text or "", step=step.id, choices=tuple(FLOWS.choices(step))), locale, {}
    )
    lri, pdi = i18n.LEFT_TO_RIGHT_ISOLATE, i18n.POP_DIRECTIONAL_ISOLATE
    if i18n.is_right_to_left(locale):
        assert shown.buttons[0].label == f"🌙 {lri}21:00 - 08:00{pdi}"
        assert all(b.label.count(lri) == b.label.count(pdi) == 1 for b in shown.buttons)
    else:
        assert shown.buttons[0].label == "🌙 21:00 - 08:00"
    example = FLOWS.texts["whatsapp_multiple_hint"]
    if i18n.is_right_to_left(locale):
        assert f"{lri}1 3{pdi}" in RENDERER.text(example, locale, {})


def test_the_isolate_check_finds_a_stray_and_an_unclosed_isolate() -> None:
    fsi, pdi = i18n.FIRST_STRONG_ISOLATE, i18n.POP_DIRECTIONAL_ISOLATE
    assert i18n.isolate_problems(f"{fsi}a{pdi} {fsi}b{fsi}c{pdi}{pdi}") == []
    assert i18n.isolate_problems(f"{fsi}a\nb{pdi}") == [
        "line 1: 1 isolate(s) not closed by U+2069 on the line",
        "line 2: a U+2069 that closes no isolate",
    ]


@pytest.mark.parametrize("locale", RIGHT_TO_LEFT)
async def test_her_data_summary_has_balanced_isolates(bot: Bot, locale: str) -> None:
    her = await linked(bot, "tg-550012345", locale=locale)
    async with bot.db.transaction() as session:
        for kind in (ConsentKind.DATA_PROCESSING, ConsentKind.MESSAGING, ConsentKind.SHARE_CONTACT):
            session.add(
                ConsentRecord(
                    person_id=her.person_id,
                    kind=kind,
                    granted=kind is not ConsentKind.SHARE_CONTACT,
                    version="test",
                    locale=locale,
                    channel=Channel.SIMULATOR,
                    recorded_at=bot.clock.now(),
                )
            )
    await checkin_with_note(her.phone)
    summary = (await her.phone.send("mydata"))[-2]
    tr = bot.language(locale)
    assert tr.gettext("What you agreed to") in summary.text
    assert i18n.isolate_problems(summary.text) == [], summary.text
    assert i18n.latin_punctuation(summary.text) == [], summary.text
    consents = next(line for line in summary.text.splitlines() if tr.gettext("What you agreed to") in line)
    assert "\u061b" in consents  # her consents, one after the other, with the Arabic semicolon
    async with bot.db.reading() as session:
        person = await session.scalar(select(Person).where(Person.id == her.person_id))
        assert person is not None and person.status.value == "active"


def test_flows_check_fails_on_an_unbalanced_isolate(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)

    def stray(catalog: Any) -> None:
        entry = catalog.get("Saving your answers")
        entry.string = f"{entry.string}{i18n.POP_DIRECTIONAL_ISOLATE}"

    _edit(locales, "fa_AF", stray)
    result = _check(locales)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if "'Saving your answers'" in line)
    assert "fa_AF:" in line and "a U+2069 that closes no isolate" in line


def test_flows_check_fails_on_a_latin_comma_in_an_arabic_script_language(tmp_path: Path) -> None:
    locales = _copy_locales(tmp_path)

    def comma(catalog: Any) -> None:
        entry = catalog.get("Saving your answers")
        entry.string = f"{entry.string}, {entry.string}"

    _edit(locales, "ps", comma)
    result = _check(locales)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if "'Saving your answers'" in line)
    assert "ps:" in line and 'a Latin "," or ";"' in line
