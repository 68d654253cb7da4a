"""The printed invite (``trampoline invite sheet``): one A4 page a coach hands over or leaves on the table. The
QR code and the link that open the chat with her code, the code itself in large letters, and three short lines
in HER language first, then in the staff's languages (Dutch and French). Without a chat app connected, the
page says instead how to try the invite on this computer (``trampoline chat --invite CODE``, the simulator).

The page is HTML laid out by WeasyPrint (Pango and HarfBuzz: Arabic, Persian and Pashto shaped and right to
left, Tigrinya in Ethiopic script) with the Noto fonts (Debian's fonts-noto-core). Decision 0025.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import segno

from bot.coaching.texts import CoachTexts
from bot.core import i18n
from bot.people.directory import InviteTerms, ListedInvite

STAFF_LOCALES = ("nl", "fr")
FONTS = '"Noto Sans", "Noto Sans Arabic", "Noto Sans Ethiopic", sans-serif'
MONO = '"DejaVu Sans Mono", monospace'

STYLE = f"""
@page {{ size: A4; margin: 16mm 18mm; }}
body {{ font-family: {FONTS}; color: #111; font-size: 11pt; line-height: 1.4; margin: 0; }}
h1 {{ font-size: 19pt; margin: 0 0 3mm; }}
h2 {{ font-size: 11.5pt; margin: 0 0 1mm; }}
ol {{ margin: 0; padding-inline-start: 1.3em; }}
.her {{ font-size: 15pt; }}
.qr {{ text-align: center; margin: 5mm 0 1mm; }}
.qr img {{ width: 58mm; height: 58mm; }}
.code {{ text-align: center; font-family: {MONO}; font-size: 24pt; font-weight: bold; margin: 2mm 0; }}
.link {{ text-align: center; font-family: {MONO}; font-size: 9.5pt; overflow-wrap: anywhere; margin: 0 0 2mm; }}
.staff {{ border-top: 0.4pt solid #888; margin-top: 4mm; padding-top: 2.5mm; font-size: 10pt; }}
.try {{ margin: 1.5mm 0 0; }}
.command {{ font-family: {MONO}; font-size: 9.5pt; white-space: nowrap; }}
"""


def try_command(code: str) -> str:
    return f"trampoline chat --invite {code}"


def try_locally(texts: CoachTexts, locale: str, code: str, simulator: str | None) -> list[str]:
    """Without a chat app connected: how to try the invite on this computer, in ``locale``."""
    lines = [texts.say("invite_try_here", locale, command=try_command(code))]
    if simulator is not None:
        lines.append(texts.say("invite_try_simulator", locale, address=simulator))
    return lines


def sheet_html(
    invite: ListedInvite, terms: InviteTerms, texts: CoachTexts, staff: Sequence[str] = STAFF_LOCALES
) -> str:
    """The page as HTML: her language first, then each staff language she does not read already."""
    links = [link for link in terms.links(invite.code).values() if link]
    values = {"organisation": invite.organisation, "code": invite.code, "until": invite.expires_at}

    def lines(locale: str) -> tuple[str, list[str]]:
        def say(key: str) -> str:
            return texts.say(key, locale, invite.timezone, **values)

        first = "invite_sheet_scan" if links else "invite_sheet_ask"
        return say("invite_sheet_title"), [say(first), say("invite_sheet_send"), say("invite_sheet_once")]

    parts = [_section(invite.locale, *lines(invite.locale), "her", "h1")]
    if links:
        qr = segno.make_qr(links[0], error="m").svg_data_uri(scale=4, border=2)
        parts.append(f'<div class="qr"><img src="{html.escape(qr)}" alt=""></div>')
    parts.append(f'<p class="code" dir="ltr">{html.escape(invite.code)}</p>')
    parts += [f'<p class="link" dir="ltr">{html.escape(link)}</p>' for link in links]
    for locale in dict.fromkeys(staff):
        if locale == invite.locale:
            continue
        title, steps = lines(locale)
        extra = [] if links else try_locally(texts, locale, invite.code, terms.simulator)
        whole = [try_command(invite.code), terms.simulator or ""]
        parts.append(_section(locale, title, steps, "staff", "h2", extra, whole))
    body = "\n".join(parts)
    return (
        f'<!doctype html>\n<html lang="{_lang(invite.locale)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(invite.code)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def sheet_pdf(
    invite: ListedInvite, terms: InviteTerms, texts: CoachTexts, staff: Sequence[str] = STAFF_LOCALES
) -> bytes:
    """The page as a PDF, laid out by WeasyPrint."""
    from weasyprint import HTML  # imported here: it loads Pango, which no other command needs

    pdf: bytes = HTML(string=sheet_html(invite, terms, texts, staff)).write_pdf()
    return pdf


def _section(
    locale: str,
    title: str,
    steps: list[str],
    kind: str,
    heading: str,
    extra: Sequence[str] = (),
    whole: Sequence[str] = (),
) -> str:
    """One language's part of the page; each of ``whole`` (a command, an address) kept on one line."""
    direction = "rtl" if i18n.is_right_to_left(locale) else "ltr"
    items = "".join(f"<li>{html.escape(step)}</li>" for step in steps)
    tried = "".join(f'<p class="try">{_kept_whole(line, whole)}</p>' for line in extra)
    return (
        f'<section class="{kind}" lang="{_lang(locale)}" dir="{direction}">'
        f"<{heading}>{html.escape(title)}</{heading}><ol>{items}</ol>{tried}</section>"
    )


def _kept_whole(line: str, whole: Sequence[str]) -> str:
    shown = html.escape(line)
    for part in filter(None, whole):
        escaped = html.escape(part)
        shown = shown.replace(escaped, f'<span class="command" dir="ltr">{escaped}</span>')
    return shown


def _lang(locale: str) -> str:
    """The HTML language tag of a locale (fa_AF is fa-AF)."""
    return locale.replace("_", "-")
