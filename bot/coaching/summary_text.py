"""A coach's weekly summary written in her language (``bot/coaching/summary.py`` collects it): who needs her
first, then how everyone is doing, then the caseload's totals; as text for the chat, or as an HTML page
with the chart."""

from __future__ import annotations

import base64
import html
from collections import Counter
from dataclasses import dataclass, field

from bot.coaching.summary import (
    MOOD_EMOJI,
    NO_OBSTACLE,
    NO_STEP,
    STEP_DIMENSIONS,
    CoachSummary,
    ParticipantWeek,
)
from bot.coaching.texts import CoachTexts
from bot.core import i18n
from bot.db.models import PersonStatus


@dataclass
class _Tally:
    """What the lines about each woman add up to, for the totals at the end."""

    steps: Counter[str] = field(default_factory=Counter)
    obstacles: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    done: int = 0


def _trend(texts: CoachTexts, locale: str, p: ParticipantWeek) -> str:
    moods = [c[1] for c in p.checkins[:2]]
    if len(moods) < 2 or moods[0] is None or moods[1] is None:
        return ""
    key = "trend_up" if moods[0] > moods[1] else "trend_down" if moods[0] < moods[1] else "trend_same"
    return texts.say(key, locale)


def _mood(mood: int | None) -> str:
    return f"{MOOD_EMOJI.get(mood, '')} {mood}" if mood is not None else "-"


def render_lines(texts: CoachTexts, summary: CoachSummary) -> list[str]:
    """The summary as lines of text in her language: attention first, then everyone, then the totals."""
    locale = summary.locale
    say = texts.say
    lines = [say("summary_title", locale, week=summary.week, participants=len(summary.participants)), ""]
    lines += _attention_lines(texts, summary)
    lines += ["", say("summary_participants", locale)]
    tally = _Tally()
    lines += _participant_lines(texts, summary, tally)
    if tally.notes:
        lines += ["", say("summary_notes", locale, names=tally.notes)]
    lines += ["", say("summary_totals", locale)]
    lines += _total_lines(texts, summary, tally)
    return lines


def _attention_lines(texts: CoachTexts, summary: CoachSummary) -> list[str]:
    """Who needs her first, one line per reason, or that nobody does."""
    locale, say = summary.locale, texts.say
    attention = summary.attention()
    if not attention:
        return [say("summary_attention_none", locale)]
    return [
        say("summary_attention", locale),
        *(say(f"attention_{kind}", locale, name=p.name, **extra) for kind, p, extra in attention),
    ]


def _participant_lines(texts: CoachTexts, summary: CoachSummary, tally: _Tally) -> list[str]:
    """One line per woman by name: not on the bot yet, no check-in, or how her week went (counted in
    ``tally``)."""
    locale, week, say = summary.locale, summary.week, texts.say
    lines = []
    for p in sorted(summary.participants, key=lambda p: (p.name.casefold(), p.id)):
        current = p.this_week(week)
        if p.status is PersonStatus.INVITED:
            lines.append(say("line_not_on_bot", locale, name=p.name))
            continue
        if current is None:
            lines.append(say("line_no_checkin", locale, name=p.name))
            _mark_notes(tally.notes, p.name, p.current[2] if p.current else [])  # sent at a choice question
            continue
        tally.done += 1
        mood, steps, obstacles, note_kinds = current
        taken = [s for s in steps if s != NO_STEP]
        named = [o for o in obstacles if o != NO_OBSTACLE]
        tally.steps.update(taken)
        tally.obstacles.update(set(named))
        shown = [texts.label("checkin", "obstacles", o, locale) for o in named]
        extra = say("line_obstacles", locale, obstacles=shown) if shown else ""
        lines.append(
            say(
                "line_checked_in",
                locale,
                name=p.name,
                mood=_mood(mood),
                trend=_trend(texts, locale, p),
                steps=len(taken),
                obstacles=extra,
            ).replace("  ", " ")
        )
        _mark_notes(tally.notes, p.name, note_kinds)
    return lines


def _total_lines(texts: CoachTexts, summary: CoachSummary, tally: _Tally) -> list[str]:
    """The caseload's week: check-ins done, steps per dimension, the three obstacles named most."""
    locale, say = summary.locale, texts.say
    lines = [say("totals_checkins", locale, done=tally.done, participants=len(summary.participants))]
    per_dimension = [
        f"{texts.label('checkin', 'steps', d, locale)} {i18n.number(tally.steps[d], locale)}"
        for d in STEP_DIMENSIONS
        if tally.steps[d]
    ]
    lines.append(say("totals_steps", locale, steps=per_dimension or "0"))
    order = texts.order("checkin", "obstacles")
    top = sorted(tally.obstacles.items(), key=lambda item: (-item[1], order.get(item[0], len(order))))[:3]
    if top:
        named_top = [f"{texts.label('checkin', 'obstacles', o, locale)} ({i18n.number(n, locale)})" for o, n in top]
        lines.append(say("totals_obstacles", locale, obstacles=named_top))
    else:
        lines.append(say("totals_obstacles_none", locale))
    return lines


def _mark_notes(notes: list[str], name: str, note_kinds: list[str]) -> None:
    """Every note of the week, one mark each: two notes show as two marks."""
    if note_kinds:
        marks = "".join("🎤" if kind in ("voice", "audio") else "💬" for kind in note_kinds)
        notes.append(f"{name} {marks}")


def render_text(texts: CoachTexts, summary: CoachSummary) -> str:
    return "\n".join(render_lines(texts, summary))


def render_html(texts: CoachTexts, summary: CoachSummary) -> str:
    direction = "rtl" if i18n.is_right_to_left(summary.locale) else "ltr"
    body = []
    for line in render_lines(texts, summary):
        body.append(f"<p>{html.escape(line)}</p>" if line else "")
    chart = base64.b64encode(summary.chart_png()).decode("ascii")
    caption = html.escape(texts.say("summary_chart_caption", summary.locale))
    return (
        f'<!doctype html>\n<html lang="{summary.locale}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(summary.week)}</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:1em auto}p{margin:.2em 0}"
        "img{max-width:100%}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<figure><img alt="{caption}" src="data:image/png;base64,{chart}"><figcaption>{caption}'
        "</figcaption></figure>\n</body></html>\n"
    )
