"""Global configuration values, read from the database and cached briefly.

Producers consult ``progress.on`` on every report; a one-second cache keeps that off the database while a
change made on any node still takes effect within a second everywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from taskprogress.global_config import CATALOG

REFRESH_SECONDS = 1.0


class ConfigCache:
    def __init__(self, load: Callable[[], dict[tuple[str, str], str]]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], Any] = {}
        self._loaded_at = float("-inf")

    def get(self, category: str, name: str) -> Any:
        if time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            self.refresh()
        return self._values[(category, name)]

    def refresh(self) -> None:
        stored = self._load()
        values = {}
        for key, d in CATALOG.items():
            text = stored.get(key, d.default)
            try:
                values[key] = d.parse(text)
            except ValueError:  # a value written by hand that no longer validates: fall back to the default
                values[key] = d.parse(d.default)
        with self._lock:
            self._values = values
            self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
