"""Percent ranges ("stages") and how local progress maps into them.

ZStack keeps the current absolute range in the thread context as ``"start-end"``; code inside a stage reports
a local 0-100 that is mapped into that range. We keep ZStack's arithmetic for nesting (``markTaskStage`` rounds
half up) and fix its splitting: ZStack truncates a cumulative float, so ``0-100`` split by ``[1, 1, 1]`` ends at
99. Here the boundaries are computed with exact fractions and the last one is always the parent's end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from taskprogress.errors import InvalidArgument


def _round_half_up(value: Fraction | float) -> int:
    """Java's ``Math.round``: halves go up (ZStack rounds stage bounds this way)."""
    return math.floor(Fraction(value) + Fraction(1, 2))


@dataclass(frozen=True, slots=True)
class Range:
    """An absolute percent range ``start``-``end`` with integer bounds, 0 <= start <= end <= 100."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.end <= 100):
            raise InvalidArgument(f"a stage must satisfy 0 <= start <= end <= 100, got {self.start}-{self.end}")

    def __str__(self) -> str:  # ZStack's wire form, as agents receive it in ``task-stage``
        return f"{self.start}-{self.end}"

    @classmethod
    def parse(cls, text: str) -> Range:
        """Parse ZStack's ``"start-end"`` form."""
        parts = text.strip().split("-")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise InvalidArgument(f"a stage is written 'start-end', got {text!r}")
        return cls(int(parts[0]), int(parts[1]))

    @property
    def width(self) -> int:
        return self.end - self.start

    def sub(self, start: float, end: float) -> Range:
        """The absolute range of local ``start``-``end`` (0-100 of this range), as ZStack's ``markTaskStage``.

        Parent ``10-50`` with sub ``0-90`` gives ``10-46``.
        """
        check_percent(start)
        check_percent(end)
        if start > end:
            raise InvalidArgument(f"a stage must satisfy start <= end, got {start}-{end}")
        ratio = Fraction(self.width, 100)
        return Range(
            _round_half_up(Fraction(start) * ratio + self.start),
            _round_half_up(Fraction(end) * ratio + self.start),
        )

    def absolute(self, local: float) -> float:
        """Map a local percent (0-100 of this range) to the API's absolute percent."""
        return self.start + local * self.width / 100

    def split(self, weights: Sequence[float]) -> list[Range]:
        """Split this range by ``weights`` into adjacent ranges whose ends meet exactly.

        The first starts at ``start``, the last ends at ``end``; all-zero weights split equally.
        ``0-90`` by ``[2, 3, 4]`` gives ``0-20, 20-50, 50-90``; ``0-100`` by ``[1, 1, 1]`` gives
        ``0-33, 33-67, 67-100``.
        """
        if not weights:
            raise InvalidArgument("parallel stages need at least one weight")
        exact = []
        for w in weights:
            if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
                raise InvalidArgument(f"weights must be finite numbers >= 0, got {w!r}")
            exact.append(Fraction(w))
        total = sum(exact)
        if total == 0:
            exact = [Fraction(1)] * len(exact)
            total = Fraction(len(exact))
        bounds = [self.start]
        cumulative = Fraction(0)
        for w in exact[:-1]:
            cumulative += w
            bounds.append(self.start + _round_half_up(self.width * cumulative / total))
        bounds.append(self.end)
        return [Range(a, b) for a, b in itertools.pairwise(bounds)]


FULL = Range(0, 100)


def check_percent(value: float) -> float:
    """Validate a percent given by a producer: a real number within 0-100."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument(f"a percent must be a number, got {value!r}")
    if not 0 <= value <= 100:
        raise InvalidArgument(f"a percent must be within 0-100, got {value!r}")
    return value


def served_content(absolute: float) -> str:
    """The integer string ZStack stores in ``content`` for a percent (floor, as ZStack's agents do).

    A tiny epsilon keeps sums such as 33.333 + 66.667 from flooring to 99.
    """
    return str(math.floor(absolute + 1e-9))
