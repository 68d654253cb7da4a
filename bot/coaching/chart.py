"""A small PNG chart for the weekly summary, written with the standard library only (zlib and struct):
bars for the share of women who checked in each week, a line for the steps they took. It carries no text,
so it needs no font and reads the same in every language; the caption that goes with it is translated.
``store_image`` keeps an image on disk and ``photo`` is the message that carries it.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from bot.core import i18n
from bot.messaging.channel import OutboundMessage

WIDTH, HEIGHT = 400, 200
MARGIN = 16
# An indexed (palette) image: one byte a pixel keeps it small and quick to write.
PALETTE = ((255, 255, 255), (225, 225, 225), (120, 170, 220), (220, 110, 40))
BACKGROUND, GRID, BAR, LINE = range(4)


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        # Each row starts with its filter byte (0: none), as PNG stores it.
        self.stride = width + 1
        self.pixels = bytearray(self.stride * height)

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        row = bytes([colour]) * (x1 - x0)
        for y in range(y0, y1):
            start = y * self.stride + 1 + x0
            self.pixels[start : start + len(row)] = row

    def line(self, a: tuple[int, int], b: tuple[int, int], colour: int) -> None:
        """A line three pixels wide: column by column, each column's run from the previous height."""
        (x0, y0), (x1, y1) = sorted((a, b))
        dot = bytes([colour]) * 3
        width = max(x1 - x0, 1)
        previous = y0
        for x in range(max(x0, 1), min(x1, self.width - 2) + 1):
            y = y0 + (y1 - y0) * (x - x0) // width
            for row in range(max(min(previous, y) - 1, 0), min(max(previous, y) + 1, self.height - 1) + 1):
                start = row * self.stride + x
                self.pixels[start : start + 3] = dot
            previous = y

    def png(self) -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)
        palette = b"".join(bytes(colour) for colour in PALETTE)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"PLTE", palette)
            + chunk(b"IDAT", zlib.compress(bytes(self.pixels), 1))
            + chunk(b"IEND", b"")
        )


def weekly_chart(response: Sequence[float], steps: Sequence[int]) -> bytes:
    """``response``: the share (0-1) of women who checked in, per week, oldest first; ``steps`` the steps
    they took in the same weeks."""
    canvas = Canvas(WIDTH, HEIGHT)
    top, bottom = MARGIN, HEIGHT - MARGIN
    weeks = max(len(response), 1)
    slot = (WIDTH - 2 * MARGIN) // weeks
    bars = []
    for i, share in enumerate(response):
        x = MARGIN + i * slot
        bars.append((x + slot // 6, x + slot - slot // 6, bottom - int((bottom - top) * max(0.0, min(1.0, share)))))
    grid = {bottom - (bottom - top) * quarter // 4 for quarter in range(5)}
    # Rows with the same bars and grid line are the same bytes: build each kind once.
    # A row changes only where a bar starts or ends or a grid line is: build each distinct row once.
    changes = {0, bottom} | {bar_top for _, _, bar_top in bars} | grid | {y + 1 for y in grid}
    pixels = bytearray()
    row = b""
    for y in range(HEIGHT):
        if y in changes:
            made = bytearray(canvas.stride)
            if y in grid:
                made[1 + MARGIN : 1 + WIDTH - MARGIN] = bytes([GRID]) * (WIDTH - 2 * MARGIN)
            for x0, x1, bar_top in bars:
                if bar_top <= y < bottom:
                    made[1 + x0 : 1 + x1] = bytes([BAR]) * (x1 - x0)
            row = bytes(made)
        pixels += row
    canvas.pixels = pixels
    most = max([*steps, 1])
    points = [(MARGIN + i * slot + slot // 2, bottom - (bottom - top) * value // most) for i, value in enumerate(steps)]
    for a, b in itertools.pairwise(points):
        canvas.line(a, b, LINE)
    for x, y in points:
        canvas.rect(x - 4, y - 4, x + 5, y + 5, LINE)
    return canvas.png()


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
