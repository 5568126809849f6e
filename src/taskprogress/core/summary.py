"""An API's progress summary: overall percent, rate over a recent window, ETA with its basis, stall flag.

Pure: the store hands in the numbers, this decides what they mean. The ETA's basis says how much to trust it:
``rate`` (the recent rate of the running API), ``history`` (how long earlier successful runs of the same API
name took), ``unknown``, or ``finished``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Sample:
    time: int  # epoch ms
    percent: float


def rate_per_second(samples: Sequence[Sample], current: float, now: int, window_ms: int) -> float:
    """Percent points per second over the last ``window_ms``: from the oldest sample in the window to now.

    Measuring up to *now*, not to the newest sample, makes the rate decay while nothing happens, so an ETA
    never stays optimistic during a stall.
    """
    in_window = [s for s in samples if s.time >= now - window_ms]
    if not in_window:
        return 0.0
    first = in_window[0]  # samples come oldest first; equal times keep their insertion order
    elapsed = (now - first.time) / 1000
    if elapsed <= 0 or current <= first.percent:
        return 0.0
    return (current - first.percent) / elapsed


def summarize(
    *,
    percent: float | None,
    started_at: int,
    progressed_at: int | None,
    finished_at: int | None,
    now: int,
    samples: Sequence[Sample],
    mean_duration_ms: int | None,
    window_ms: int,
    stall_after_ms: int,
) -> dict[str, Any]:
    finished = finished_at is not None
    current = percent or 0.0
    rate = rate_per_second(samples, current, now, window_ms) if percent is not None else None
    eta: float | None
    if finished:
        eta, basis = 0.0, "finished"
    elif rate:
        eta, basis = (100 - current) / rate, "rate"
    elif mean_duration_ms is not None:
        eta, basis = max(0.0, (mean_duration_ms - (now - started_at)) / 1000), "history"
    else:
        eta, basis = None, "unknown"
    last_progress = progressed_at if progressed_at is not None else started_at
    summary: dict[str, Any] = {
        "percent": percent,
        "finished": finished,
        "startedAt": started_at,
        "lastProgressAt": progressed_at,
        "rate": None if rate is None else round(rate, 4),
        "etaSeconds": None if eta is None else round(eta, 1),
        "etaBasis": basis,
        "stalled": not finished and now - last_progress > stall_after_ms,
    }
    if finished:
        summary["finishedAt"] = finished_at
    return summary
