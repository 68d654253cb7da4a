"""The weekly summary's chart, drawn with Pillow: bars for the share of her women who checked in each week, a
line for the steps they took, with axes, the weeks as dates under the bars, each value on its bar or point
and a legend, in the coach's language. The words come in ``ChartLabels`` (``summary_text.render_chart``
writes them) and the fonts in ``ChartFonts`` (paths handed in by ``app.py``): this module reads no setting.
Arabic-script words need text shaping (raqm); without it ``render_chart`` hands in numbers only and the
caption carries the legend (decision 0030). ``store_image`` keeps an image on disk and ``photo`` is the
message that carries it.
"""

from __future__ import annotations

import hashlib
import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from bot.core import i18n
from bot.messaging.channel import OutboundMessage

WIDTH, HEIGHT = 800, 500
LEGEND_HEIGHT = 56
# The plot's box (left, top, right, bottom): tick labels to its left and right, week labels under it.
PLOT = (84, 80, 716, 430)
BACKGROUND = (255, 255, 255)
GRID_COLOUR = (226, 226, 226)
AXIS_COLOUR = (60, 60, 60)
TEXT_COLOUR = (40, 40, 40)
BAR_COLOUR = (52, 112, 184)
LINE_COLOUR = (214, 96, 24)
FONT_SIZE = 20
SMALL_SIZE = 18


@dataclass(frozen=True)
class ChartFonts:
    """The font files to draw with, one a script (None: Pillow's own font, Latin only)."""

    latin: Path | None = None
    arabic: Path | None = None
    ethiopic: Path | None = None

    def for_text(self, text: str) -> Path | None:
        for char in text:
            if "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f" or "\ufb50" <= char <= "\ufeff":
                return self.arabic or self.latin
            if "\u1200" <= char <= "\u139f" or "\u2d80" <= char <= "\u2ddf":
                return self.ethiopic or self.latin
        return self.latin


@dataclass(frozen=True)
class ChartLabels:
    """The chart's words and numbers, written in the coach's language; a legend word left empty is not drawn."""

    weeks: Sequence[str]  # under each bar, oldest first
    response: Sequence[str]  # on each bar: the share that checked in
    steps: Sequence[str]  # on each point: the steps taken
    percent_ticks: Sequence[str]  # the left axis, for 0, 50 and 100 percent
    step_ticks: Sequence[str]  # the right axis, for 0 and ``steps_scale(steps)``
    bars: str = ""
    line: str = ""
    right_to_left: bool = False


def can_shape() -> bool:
    """Whether Pillow can shape Arabic script (joined letters, right to left): it needs libraqm."""
    return bool(features.check("raqm"))


@cache
def _font(path: Path | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path is not None and path.is_file():
        layout = ImageFont.Layout.RAQM if can_shape() else ImageFont.Layout.BASIC
        return ImageFont.truetype(str(path), size, layout_engine=layout)
    return ImageFont.load_default(size)


@dataclass(frozen=True)
class _Sprite:
    image: Image.Image  # the text, drawn once on a transparent background
    offset: tuple[int, int]  # where its top left sits from the anchor point
    width: float


@lru_cache(maxsize=4096)
def _sprite(text: str, path: Path | None, size: int, fill: tuple[int, int, int], anchor: str, halo: bool) -> _Sprite:
    """``text`` drawn once: the same weeks, ticks and numbers come back in every coach's chart, and drawing
    text is most of a chart's time."""
    font = _font(path, size)
    rtl = any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)
    shaped = isinstance(font, ImageFont.FreeTypeFont) and font.layout_engine == ImageFont.Layout.RAQM
    direction = ("rtl" if rtl else "ltr") if shaped else None
    stroke = 3 if halo else 0
    scratch = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    box = scratch.textbbox((0, 0), text, font=font, anchor=anchor, direction=direction, stroke_width=stroke)
    left, top, right, bottom = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3]))
    image = Image.new("RGBA", (max(right - left, 1), max(bottom - top, 1)), (*BACKGROUND, 0))
    ImageDraw.Draw(image).text((-left, -top), text, fill=fill, font=font, anchor=anchor, direction=direction,
                               stroke_width=stroke, stroke_fill=BACKGROUND)  # fmt: skip
    return _Sprite(image, (left, top), float(scratch.textlength(text, font=font, direction=direction)))


class _Drawing:
    def __init__(self, fonts: ChartFonts) -> None:
        self.image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self.fonts = fonts

    def text(self, xy: tuple[float, float], text: str, *, anchor: str, fill: tuple[int, int, int] = TEXT_COLOUR,
             size: int = FONT_SIZE, halo: bool = False) -> float:  # fmt: skip
        """Draw ``text`` at ``xy`` (a Pillow anchor: "mt" middle-top, "rm" right-middle...); its width."""
        if not text:
            return 0.0
        sprite = _sprite(text, self.fonts.for_text(text), size, fill, anchor, halo)
        at = (round(xy[0]) + sprite.offset[0], round(xy[1]) + sprite.offset[1])
        self.image.paste(sprite.image, at, sprite.image)
        return sprite.width


def weekly_chart(response: Sequence[float], steps: Sequence[int], labels: ChartLabels, fonts: ChartFonts) -> bytes:
    """``response``: the share (0-1) of her women who checked in, per week, oldest first; ``steps`` the steps
    they took in the same weeks; ``labels`` the words and numbers to write. A PNG of ``WIDTH`` x ``HEIGHT``."""
    canvas = _Drawing(fonts)
    draw = canvas.draw
    left, top, right, bottom = PLOT
    weeks = max(len(response), 1)
    slot = (right - left) // weeks
    height = bottom - top

    # The grid and the left axis: 0, 50 and 100 percent.
    for quarter, tick in zip((0, 2, 4), labels.percent_ticks, strict=False):
        y = bottom - height * quarter // 4
        draw.line((left, y, right, y), fill=GRID_COLOUR, width=1)
        canvas.text((left - 8, y), tick, anchor="rm", size=SMALL_SIZE)
    # The right axis: the steps, from 0 to the most in a week.
    most = steps_scale(steps)
    for y, tick in zip((bottom, top), labels.step_ticks, strict=False):
        canvas.text((right + 8, y), tick, anchor="lm", fill=LINE_COLOUR, size=SMALL_SIZE)

    # The bars, each with its value (inside at its foot, or above a short bar), and the week under it.
    above: dict[int, int] = {}  # bar -> the top of its value written above it
    for i, share in enumerate(response):
        x = left + i * slot
        x0, x1 = x + slot // 6, x + slot - slot // 6
        bar_top = bottom - round(height * max(0.0, min(1.0, share)))
        if bar_top < bottom:
            draw.rectangle((x0, bar_top, x1 - 1, bottom - 1), fill=BAR_COLOUR)
        value = labels.response[i] if i < len(labels.response) else ""
        if bottom - bar_top >= 34:
            canvas.text(((x0 + x1) / 2, bottom - 8), value, anchor="mb", fill=BACKGROUND, size=SMALL_SIZE)
        else:
            canvas.text(((x0 + x1) / 2, bar_top - 4), value, anchor="mb", size=SMALL_SIZE)
            above[i] = bar_top - 4 - SMALL_SIZE - 2
        week = labels.weeks[i] if i < len(labels.weeks) else ""
        canvas.text((x + slot / 2, bottom + 10), week, anchor="mt", size=SMALL_SIZE)

    # The steps: a line, a dot on each week and its number above the dot (above a short bar's value).
    points = [(left + i * slot + slot // 2, bottom - height * value // most) for i, value in enumerate(steps)]
    if len(points) > 1:
        draw.line(points, fill=LINE_COLOUR, width=3, joint="curve")
    # The axes over the bars and the line.
    draw.line((left, bottom, right, bottom), fill=AXIS_COLOUR, width=2)
    draw.line((left - 1, top, left - 1, bottom), fill=AXIS_COLOUR, width=2)
    draw.line((right, top, right, bottom), fill=LINE_COLOUR, width=2)
    for i, (x, y) in enumerate(points):
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=LINE_COLOUR)
        value = labels.steps[i] if i < len(labels.steps) else ""
        base = y - 9
        if i in above and base > above[i] - SMALL_SIZE:
            base = above[i]
        canvas.text((x, base), value, anchor="mb", fill=LINE_COLOUR, size=SMALL_SIZE, halo=True)

    _legend(canvas, labels)
    out = io.BytesIO()
    # Kept in a palette of the chart's colours and their blends (text edges): a quarter of the bytes to
    # compress, so a thousand coaches' charts are written in a few seconds.
    canvas.image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, format="PNG", compress_level=1)
    return out.getvalue()


@cache
def _palette() -> Image.Image:
    """The chart's colours, each blended with white in 16 steps, and white text on a bar."""
    colours = [BACKGROUND, GRID_COLOUR]
    for colour in (AXIS_COLOUR, TEXT_COLOUR, BAR_COLOUR, LINE_COLOUR):
        colours += [_blend(BACKGROUND, colour, k / 15) for k in range(16)]
    colours += [_blend(BAR_COLOUR, LINE_COLOUR, k / 15) for k in range(1, 15)]
    flat = [value for colour in colours for value in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + [0] * (768 - len(flat)))
    return palette


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    return (
        round(a[0] * (1 - share) + b[0] * share),
        round(a[1] * (1 - share) + b[1] * share),
        round(a[2] * (1 - share) + b[2] * share),
    )


def steps_scale(steps: Sequence[int]) -> int:
    """The number of steps at the top of the right axis."""
    return max([*steps, 1])


def _legend(canvas: _Drawing, labels: ChartLabels) -> None:
    """Two swatches with their words, in reading order: from the left, or from the right in a right-to-left
    language."""
    y = LEGEND_HEIGHT // 2
    edge = PLOT[2] if labels.right_to_left else PLOT[0]
    step = -1 if labels.right_to_left else 1
    for kind, words in (("bar", labels.bars), ("line", labels.line)):
        near, far = edge, edge + step * 28
        box = (min(near, far), y - 10, max(near, far), y + 10)
        if kind == "bar":
            canvas.draw.rectangle(box, fill=BAR_COLOUR)
        else:
            canvas.draw.line((box[0], y, box[2], y), fill=LINE_COLOUR, width=3)
            canvas.draw.ellipse(((box[0] + box[2]) // 2 - 5, y - 5, (box[0] + box[2]) // 2 + 5, y + 5),
                                fill=LINE_COLOUR)  # fmt: skip
        start = far + step * 10
        width = canvas.text((start, y), words, anchor="rm" if labels.right_to_left else "lm")
        edge = int(start + step * (width + 36))


def store_image(data: bytes, directory: Path) -> Path:
    """Keep ``data`` as ``<sha256>.png`` under ``directory``: the outbox row refers to it by its absolute
    path (the Telegram library uploads a local file given by path), and the same chart is stored once."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
    if not path.exists():
        path.write_bytes(data)
    return path.resolve()


def photo(image: Path, caption: str, locale: str) -> OutboundMessage:
    """The message that carries a stored image, with its caption in her language."""
    return OutboundMessage(
        text=caption, locale=locale, right_to_left=i18n.is_right_to_left(locale), image_ref=str(image)
    )
