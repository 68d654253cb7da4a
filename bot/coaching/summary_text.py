"""A coach's weekly summary written in her language (``bot/coaching/summary.py`` collects it): who needs her
first, then how everyone is doing, then the caseload's totals; as text for the chat, or as an HTML page
with the chart (``render_chart``, its words and numbers in her language).

Each woman is named the same way everywhere in one summary (``shown_names``): by her first name, told apart
from a namesake by the initial of her family name or else by the day she was invited; a woman invited
without a name by that day. A name in a script of the other direction is isolated (FSI...PDI), so a line
keeps its order (decision 0030)."""

from __future__ import annotations

import base64
import html
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from babel.numbers import format_percent

from bot.coaching.chart import ChartFonts, ChartLabels, can_shape, steps_scale, weekly_chart
from bot.coaching.path import milestones_line
from bot.coaching.summary import (
    MOOD_EMOJI,
    NO_OBSTACLE,
    NO_STEP,
    STEP_DIMENSIONS,
    CoachSummary,
    ParticipantWeek,
    week_monday,
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


def _mood(texts: CoachTexts, locale: str, p: ParticipantWeek, mood: int | None) -> str:
    """Her mood as a face and a number, with the arrow from last time when there is a last time."""
    if mood is None:
        return "-"
    return " ".join(part for part in (MOOD_EMOJI.get(mood, ""), str(mood), _trend(texts, locale, p)) if part)


@lru_cache(maxsize=1024)
def short_day(value: date, locale: str) -> str:
    """A day as a coach writes it on a list: "7 dec", "7 ديسمبر", "Dec 7"."""
    return format_skeleton("MMMd", value, locale=i18n.babel_locale(locale))


def week_dates(summary: CoachSummary) -> str:
    """The summary's week as its days: "7–13 dec", "30 nov – 6 dec"."""
    monday, sunday = summary.days()
    return format_interval(monday, sunday, "MMMd", locale=i18n.babel_locale(summary.locale))


def _has_right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


# Family names written with their article: the initial is the letter after it ("al-Hassan" is H.).
ARTICLES = ("al-", "el-", "al ", "el ", "ال")


def _initial(family: str) -> str:
    lowered = family.casefold()
    for article in ARTICLES:
        if lowered.startswith(article) and len(family) > len(article):
            family = family[len(article) :]
            break
    return family[:1].upper()


def shown_names(texts: CoachTexts, summary: CoachSummary) -> dict[int, str]:
    """How each woman is named in this summary: her first name; among namesakes the first name with the
    initial of the family name, else the full name, else the name with the day she was invited; a woman
    invited without a name by that day. In a left-to-right language a right-to-left name is isolated (a
    right-to-left summary isolates every value already)."""
    locale, rtl = summary.locale, i18n.is_right_to_left(summary.locale)

    def name(raw: str) -> str:
        return i18n.isolate(raw) if not rtl and _has_right_to_left(raw) else raw

    def invited(p: ParticipantWeek) -> str:
        return short_day(p.joined_at.astimezone(ZoneInfo(summary.timezone)).date(), locale)

    def first(p: ParticipantWeek) -> str:
        return name(_words(p)[0])

    def initial(p: ParticipantWeek) -> str:
        words = _words(p)
        return name(f"{words[0]} {_initial(words[-1])}.") if len(words) > 1 else name(words[0])

    def full(p: ParticipantWeek) -> str:
        return name(" ".join(_words(p)))

    def dated(p: ParticipantWeek) -> str:
        return texts.say("namesake_invited", locale, summary.timezone, name=full(p), date=invited(p))

    ways: list[Callable[[ParticipantWeek], str]] = [first, initial, full, dated]
    groups: dict[str, list[ParticipantWeek]] = defaultdict(list)
    shown: dict[int, str] = {}
    for p in summary.participants:
        if p.name is None or not p.name.split():
            shown[p.id] = texts.say("name_unknown", locale, summary.timezone, date=invited(p))
        else:
            groups[_words(p)[0].casefold()].append(p)
    for group in groups.values():
        for way in ways:
            labels = [way(p) for p in group]
            if len({label.casefold() for label in labels}) == len(labels) or way is dated:
                break
        shown.update({p.id: label for p, label in zip(group, labels, strict=True)})
    # The same label twice even by the day (two women with one name invited the same day): add her number.
    seen = Counter(label.casefold() for label in shown.values())
    return {pid: label if seen[label.casefold()] == 1 else f"{label} #{pid}" for pid, label in shown.items()}


def _words(p: ParticipantWeek) -> list[str]:
    return (p.name or "").split()


def render_lines(texts: CoachTexts, summary: CoachSummary) -> list[str]:
    """The summary as lines of text in her language: attention first, then everyone, then the totals."""
    locale = summary.locale
    say = texts.say
    names = shown_names(texts, summary)
    title = say("summary_title", locale, week=week_dates(summary), participants=len(summary.participants))
    lines = [title, ""]
    lines += _attention_lines(texts, summary, names)
    lines += ["", say("summary_participants", locale)]
    tally = _Tally()
    lines += _participant_lines(texts, summary, tally, names)
    if tally.notes:
        lines += ["", say("summary_notes", locale), *tally.notes]
    lines += ["", say("summary_totals", locale)]
    lines += _total_lines(texts, summary, tally)
    return lines


def _attention_lines(texts: CoachTexts, summary: CoachSummary, names: dict[int, str]) -> list[str]:
    """Who needs her first, one line per reason, or that nobody does."""
    locale, say = summary.locale, texts.say
    attention = summary.attention()
    if not attention:
        return [say("summary_attention_none", locale)]
    return [
        say("summary_attention", locale),
        *(say(f"attention_{kind}", locale, name=names[p.id], **extra) for kind, p, extra in attention),
    ]


def _participant_lines(texts: CoachTexts, summary: CoachSummary, tally: _Tally, names: dict[int, str]) -> list[str]:
    """One line per woman by name: not on the bot yet, no check-in, or how her week went (counted in
    ``tally``). Women with a name first, in the order of their names."""
    locale, week, say = summary.locale, summary.week, texts.say
    lines = []
    order = sorted(summary.participants, key=lambda p: (p.name is None, names[p.id].casefold(), p.id))
    for p in order:
        name = names[p.id]
        current = p.this_week(week)
        if p.status is PersonStatus.INVITED:
            lines.append(say("line_not_on_bot", locale, name=name))
            continue
        if current is None:
            lines.append(say("line_no_checkin", locale, name=name))
            if p.path.new:
                lines.append(milestones_line(texts, locale, p.path.new))
            _mark_notes(texts, locale, tally.notes, name, p.current[2] if p.current else [])  # at a choice question
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
            say("line_checked_in", locale, name=name, mood=_mood(texts, locale, p, mood), steps=len(taken),
                obstacles=extra)
        )  # fmt: skip
        if p.path.new:
            lines.append(milestones_line(texts, locale, p.path.new))
        _mark_notes(texts, locale, tally.notes, name, note_kinds)
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


def _mark_notes(texts: CoachTexts, locale: str, notes: list[str], name: str, note_kinds: list[str]) -> None:
    """Every note of the week on its own line under her name: two notes are two lines."""
    if note_kinds:
        notes.append(texts.say("summary_note_name", locale, name=name))
        notes += [
            texts.say("summary_note_voice" if kind in ("voice", "audio") else "summary_note_text", locale)
            for kind in note_kinds
        ]


def render_text(texts: CoachTexts, summary: CoachSummary) -> str:
    return "\n".join(render_lines(texts, summary))


def render_chart(texts: CoachTexts, summary: CoachSummary, fonts: ChartFonts, *, shaping: bool | None = None) -> bytes:
    """The chart of the last eight weeks as a PNG, its words and numbers in her language. Without text shaping
    (``shaping`` False, or libraqm missing) a right-to-left chart carries numbers only: the legend's words are
    in the caption that goes with it (decision 0030)."""
    locale = summary.locale
    rtl = i18n.is_right_to_left(locale)
    words = not rtl or (can_shape() if shaping is None else shaping)
    response, steps = summary.chart_series()
    mondays = [week_monday(label) for label in summary.weeks]

    def share(value: float) -> str:
        return _percent(round(value, 4), locale) if words else f"{round(value * 100)}%"

    def count(value: int) -> str:
        return i18n.number(value, locale) if words else str(value)

    labels = ChartLabels(
        weeks=[short_day(monday, locale) if words else f"{monday.day}/{monday.month}" for monday in mondays],
        response=[share(value) for value in response],
        steps=[count(value) for value in steps],
        percent_ticks=[share(value) for value in (0.0, 0.5, 1.0)],
        step_ticks=[count(0), count(steps_scale(steps))],
        bars=texts.say("summary_chart_bars", locale) if words else "",
        line=texts.say("summary_chart_line", locale) if words else "",
        right_to_left=rtl,
    )
    return weekly_chart(response, steps, labels, fonts)


@lru_cache(maxsize=4096)
def _percent(value: float, locale: str) -> str:
    return format_percent(value, locale=i18n.babel_locale(locale))


def render_html(texts: CoachTexts, summary: CoachSummary, fonts: ChartFonts | None = None) -> str:
    direction = "rtl" if i18n.is_right_to_left(summary.locale) else "ltr"
    body = []
    for line in render_lines(texts, summary):
        body.append(f"<p>{html.escape(line)}</p>" if line else "")
    chart = base64.b64encode(render_chart(texts, summary, fonts or ChartFonts())).decode("ascii")
    caption = html.escape(texts.say("summary_chart_caption", summary.locale))
    return (
        f'<!doctype html>\n<html lang="{summary.locale}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(week_dates(summary))}</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:1em auto}p{margin:.2em 0}"
        "img{max-width:100%}</style></head><body>\n"
        + "\n".join(body)
        + f'\n<figure><img alt="{caption}" src="data:image/png;base64,{chart}"><figcaption>{caption}'
        "</figcaption></figure>\n</body></html>\n"
    )
