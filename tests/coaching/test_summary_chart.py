"""The summary's chart reads on its own: a PNG with axes, the weeks as dates under the bars, the values on the
bars and points, and a legend in the coach's language (Dutch, and Arabic with and without text shaping)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.coaching import chart
from bot.coaching.summary import collect
from bot.coaching.summary_text import render_chart
from bot.coaching.texts import CoachTexts
from bot.core.clock import FakeClock
from bot.db.engine import Database
from tests.support.harness import Bot
from tests.support.summary_week import checkin, coach_speaks, woman

FRIDAY = datetime(2026, 12, 11, 14, 0, tzinfo=UTC)  # week 2026-W50
EARLY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
NOTO = Path("/usr/share/fonts/truetype/noto")  # fonts-noto-core (tests/system-packages.txt)
FONTS = chart.ChartFonts(
    latin=NOTO / "NotoSans-Regular.ttf",
    arabic=NOTO / "NotoSansArabic-Regular.ttf",
    ethiopic=NOTO / "NotoSansEthiopic-Regular.ttf",
)
WHITE = (255, 255, 255)


def _dark(pixel: tuple[int, ...]) -> bool:
    return sum(pixel[:3]) < 3 * 110


def _count(image: Image.Image, box: tuple[int, int, int, int], test: object) -> int:
    assert callable(test)
    data = image.crop(box).convert("RGB").tobytes()
    return sum(1 for at in range(0, len(data), 3) if test(tuple(data[at : at + 3])))


async def _png(db: Database, clock: FakeClock, locale: str, *, with_data: bool, shaping: bool = True) -> Image.Image:
    bot = Bot(db, clock)
    sara = await coach_speaks(bot, locale)
    if with_data:
        for name in ("Amina", "Hawa"):
            pid = await woman(bot, name, invited=EARLY, last_contact=FRIDAY)
            for back in range(8):
                when = FRIDAY - timedelta(weeks=back)
                label = f"{when.isocalendar().year}-W{when.isocalendar().week:02d}"
                if name == "Amina" or back % 2 == 0:
                    await checkin(bot, pid, label, when, 3, ["volunteer", "job"], ["none"])
    texts = CoachTexts(bot.flows, bot.catalogs)
    async with db.reading() as session:
        [summary] = await collect(session, [sara], FRIDAY)
    data = render_chart(texts, summary, FONTS, shaping=shaping)
    assert data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("locale", ["nl", "ar"])
async def test_the_chart_has_axes_week_labels_values_and_a_legend(db: Database, clock: FakeClock, locale: str) -> None:
    image = await _png(db, clock, locale, with_data=True)
    assert image.format == "PNG" and image.size == (chart.WIDTH, chart.HEIGHT)
    left, top, right, bottom = chart.PLOT
    # The axes: a dark line along the bottom and up the side of the plot.
    assert _count(image, (left, bottom, right, bottom + 2), _dark) >= (right - left)
    assert _count(image, (left - 2, top, left, bottom), _dark) >= (bottom - top)
    # The weeks written under the axis, in every slot; the tick labels beside it.
    slot = (right - left) // 8
    for week in range(8):
        x = left + week * slot
        assert _count(image, (x, bottom + 6, x + slot, chart.HEIGHT), _dark) > 20, week
    assert _count(image, (0, top - 10, left - 4, bottom + 10), _dark) > 50
    # A value written on each bar (white text inside the bar near its foot).
    for week in range(8):
        x = left + week * slot
        bar = _count(image, (x + slot // 6, bottom - 40, x + slot - slot // 6, bottom - 2), lambda p: p[:3] == WHITE)
        assert bar > 10, week
    # The legend: a swatch of each colour and words beside them.
    legend = (0, 0, chart.WIDTH, chart.LEGEND_HEIGHT)
    assert _count(image, legend, lambda p: p[:3] == chart.BAR_COLOUR) > 50
    assert _count(image, legend, lambda p: p[:3] == chart.LINE_COLOUR) > 20
    assert _count(image, legend, _dark) > 100


async def test_a_chart_without_data_has_its_axes_and_legend_but_no_bars(db: Database, clock: FakeClock) -> None:
    empty = await _png(db, clock, "nl", with_data=False)
    left, top, right, bottom = chart.PLOT
    assert _count(empty, (left, top, right, bottom), lambda p: p[:3] == chart.BAR_COLOUR) == 0
    assert _count(empty, (left, bottom, right, bottom + 2), _dark) >= (right - left)
    assert _count(empty, (0, 0, chart.WIDTH, chart.LEGEND_HEIGHT), _dark) > 100


async def test_without_text_shaping_a_right_to_left_chart_draws_no_words(db: Database, clock: FakeClock) -> None:
    """Without raqm Arabic letters would come out unjoined and back to front: the legend's words stay in the
    caption, the swatches and numbers stay in the image (decision 0030)."""
    image = await _png(db, clock, "ar", with_data=True, shaping=False)
    legend = (0, 0, chart.WIDTH, chart.LEGEND_HEIGHT)
    assert _count(image, legend, lambda p: p[:3] == chart.BAR_COLOUR) > 50
    assert _count(image, legend, _dark) == 0
    left, _, right, bottom = chart.PLOT
    assert _count(image, (left, bottom + 6, right, chart.HEIGHT), _dark) > 100  # the weeks, as numbers
