"""Just enough PNG for the browser tests to check screenshots: 8-bit RGB/RGBA, not interlaced (what Chromium
writes), decoded with zlib alone, and a few pixel statistics over regions."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

RGB = tuple[int, int, int]
_CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    rows: list[bytes] = field(repr=False)  # RGB, 3 bytes a pixel
    source: bytes = field(default=b"", repr=False)  # the PNG

    def pixel(self, x: int, y: int) -> RGB:
        row = self.rows[y]
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]

    def crop_box(self, box: dict[str, float] | None) -> Image:
        """The region of a Playwright ``bounding_box()`` (viewport pixels, scale 1)."""
        assert box is not None, "the element is not displayed"
        return self.crop(round(box["x"]), round(box["y"]), round(box["width"]), round(box["height"]))

    def crop(self, x: int, y: int, width: int, height: int) -> Image:
        x, y = max(0, x), max(0, y)
        width, height = min(width, self.width - x), min(height, self.height - y)
        return Image(width, height, [r[3 * x : 3 * (x + width)] for r in self.rows[y : y + height]])

    def colors(self) -> set[RGB]:
        return {self.pixel(x, y) for y in range(self.height) for x in range(self.width)}

    def fraction(self, color: RGB, tolerance: int = 24) -> float:
        """The share of pixels within ``tolerance`` (per channel) of ``color``."""
        hits = sum(
            1 for y in range(self.height) for x in range(self.width) if close(self.pixel(x, y), color, tolerance)
        )
        return hits / max(1, self.width * self.height)

    def row_fraction(self, y: int, color: RGB, tolerance: int = 24) -> float:
        """The share of row ``y`` within ``tolerance`` of ``color``: how far a horizontal bar is filled."""
        return sum(1 for x in range(self.width) if close(self.pixel(x, y), color, tolerance)) / max(1, self.width)


def close(a: RGB, b: RGB, tolerance: int) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a, b, strict=True))


def parse_css_color(text: str) -> RGB:
    """``rgb(29, 78, 216)`` (what getComputedStyle gives) as a tuple."""
    inside = text[text.index("(") + 1 : text.index(")")]
    r, g, b = (int(float(v)) for v in inside.replace("/", ",").split(",")[:3])
    return r, g, b


def decode(png: bytes) -> Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat.append(data)
        elif kind == b"IEND":
            break
    assert header is not None, "no IHDR"
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and color_type in _CHANNELS and interlace == 0, f"unsupported PNG {header}"
    bpp = _CHANNELS[color_type]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, bpp)
        previous = line
        rows.append(bytes(line) if bpp == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
    return Image(width, height, rows, png)


def _unfilter(kind: int, line: bytearray, up: bytearray, bpp: int) -> bytearray:
    if kind == 0:
        return line
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up[i]) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + up[i]) >> 1)) & 0xFF
        elif kind == 4:
            upper_left = up[i - bpp] if i >= bpp else 0
            p = left + up[i] - upper_left
            pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upper_left)
            predictor = left if pa <= pb and pa <= pc else up[i] if pb <= pc else upper_left
            line[i] = (line[i] + predictor) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {kind}")
    return line
