"""The programme report's HTML in a real browser (Debian's Chromium, headless, driven by Playwright): each bar
sits in its own row, at the height of its numbers, and a suppressed cell ("<5") has no bar at all.

Measured before: the bars were one SVG beside the table, spaced closer than the rows, with a zero-width bar
for a suppressed cell, so "secondary 7" was drawn beside "none"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import load_conversations
from bot.coaching.report_render import render
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, NO_CHROMIUM
from tests.support.report import sample_report

if CHROMIUM is None:
    pytest.skip(NO_CHROMIUM, allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (pip install -e '.[dev]')"
)

BARS = "rect, .bar"  # whatever draws a bar: an SVG rectangle or a block with a width


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _centre(box: dict[str, float]) -> float:
    return box["y"] + box["height"] / 2


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_each_bar_is_beside_its_own_row_and_a_suppressed_cell_has_none(browser: Any, lang: str) -> None:
    catalogs = load_conversations()[1]
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    page.set_content(render(sample_report(), "html", catalogs.translations(lang)))
    [schooling] = [s for s in page.query_selector_all("section") if "schooling" in (s.get_attribute("id") or "")]
    drawn = [b for b in schooling.query_selector_all(BARS) if b.bounding_box() is not None]
    # A rectangle inside its SVG is one bar, not two.
    bars = list({tuple(b.bounding_box().values()): b for b in drawn}.values())
    rows = schooling.query_selector_all("tbody tr")
    counts = [row.query_selector_all("td")[1].inner_text() for row in rows[:5]]
    assert counts == ["<5", "<5", "7", "6", "0"]
    row_boxes = [row.bounding_box() for row in rows[:5]]
    # Secondary (7) and higher (6) have a bar each, at the height of their row's numbers (within 2 px).
    for index in (2, 3):
        beside = [b for b in bars if abs(_centre(b.bounding_box()) - _centre(row_boxes[index])) <= 2]
        assert len(beside) == 1, (index, [b.bounding_box() for b in bars], row_boxes)
        assert beside[0].bounding_box()["width"] > 0
    # The bar of 7 is longer than the bar of 6.
    widths = [
        next(b for b in bars if abs(_centre(b.bounding_box()) - _centre(row_boxes[i])) <= 2).bounding_box()["width"]
        for i in (2, 3)
    ]
    assert widths[0] > widths[1]
    # None and primary are "<5" and the unknown are 0: nothing drawn within their rows, not even a zero-width bar.
    for index in (0, 1, 4):
        box = row_boxes[index]
        inside = [b for b in bars if box["y"] <= _centre(b.bounding_box()) <= box["y"] + box["height"]]
        assert inside == [], index
    page.close()
